"""An engine input whose parts are all empty (the right columns, 0 rows) is an error, as in the streaming run:
``input <path> has no rows; nothing to label``, exit 2, nothing committed and ``latest`` where it was."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.engines.engine_data import synthetic_config, write_part
from weaksup.cli import main
from weaksup.engines.driver import run_engine
from weaksup.errors import DataError


def write_empty_parts(folder, n=3):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        pd.DataFrame({"row_id": pd.Series([], dtype=str), "text": pd.Series([], dtype=str)}).to_parquet(
            folder / f"part-{i:04d}.parquet", index=False)


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_all_empty_parts_are_an_error_and_nothing_is_written(tmp_path, engine):
    if engine == "dask":
        pytest.importorskip("dask.distributed")
    write_empty_parts(tmp_path / "input")
    config = synthetic_config(tmp_path)
    with pytest.raises(DataError, match="has no rows; nothing to label") as error:
        run_engine(config, engine=engine)
    assert str(tmp_path / "input") in str(error.value)
    assert not (tmp_path / "out").exists()


def test_all_empty_parts_keep_the_previous_run_latest(tmp_path):
    write_part(tmp_path / "input", 0, 300)
    config = synthetic_config(tmp_path)
    first = run_engine(config, engine="local")
    out = tmp_path / "out"
    before = {p.relative_to(out): p.stat().st_mtime_ns for p in out.rglob("*") if "engine_votes" not in p.parts}
    latest = (out / "LATEST").read_bytes()
    for part in (tmp_path / "input").iterdir():
        part.unlink()
    write_empty_parts(tmp_path / "input")
    with pytest.raises(DataError, match="has no rows"):
        run_engine(config, engine="local")
    assert (out / "LATEST").read_bytes() == latest
    assert {p.relative_to(out): p.stat().st_mtime_ns for p in out.rglob("*")
            if "engine_votes" not in p.parts} == before
    assert first.rows == 300


def test_the_cli_says_so_and_exits_2(tmp_path, capsys, monkeypatch):
    write_empty_parts(tmp_path / "input")
    (tmp_path / "run.toml").write_text('''
[task]
name = "synthetic"
labels = ["ham", "spam"]
[input]
path = "input"
[lfs]
modules = ["lfs.py"]
[end_model]
enabled = false
[mlflow]
enabled = false
[output]
path = "out/labels.parquet"
report = false
''', encoding="utf-8")
    (tmp_path / "lfs.py").write_text("from weaksup import ABSTAIN, labeling_function\n\n"
                                     "@labeling_function(fields=['text'])\ndef never(x):\n    return ABSTAIN\n",
                                     encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["run", "run.toml", "--engine", "local", "--no-progress"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2, err
    assert "error: input input has no rows; nothing to label" in err, err
    assert not (tmp_path / "out").exists()
