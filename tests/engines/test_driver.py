"""The engine driver's gold checks: an engine run says what ``weaksup run`` says of gold ids the input lacks."""

from __future__ import annotations

import pytest

from tests.pipeline_project import int_id_claims, write_config
from weaksup.cli import main


def cli(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out + out.err


@pytest.mark.parametrize("engine", ["local", pytest.param("dask", marks=pytest.mark.slow)])
def test_gold_ids_that_lost_their_leading_zeros_are_named_on_an_engine_too(engine, tmp_path, monkeypatch, capsys):
    # before, `--engine` said "none of the gold set's row ids is in the input" (check input.id_column...), where
    # `weaksup run` names the lost leading zeros and the fix
    if engine == "dask":
        pytest.importorskip("distributed")
    monkeypatch.chdir(tmp_path)
    int_id_claims(tmp_path)
    assert cli(capsys, "gold", "create", "gold/claims", "--from", "gold_int.parquet", "--labels", "legit,fraud",
               "--id-column", "claim_id", "--task", "claims")[0] == 0
    config = write_config(tmp_path, task={"name": "claims", "labels": ["legit", "fraud"]},
                          input={"path": "claims.parquet", "id_column": "claim_id", "text_column": ""},
                          lfs={"modules": ["claims_lfs.py"]}, gold={"path": "gold/claims"})
    plain = cli(capsys, "run", str(config), "--no-progress")
    code, said = cli(capsys, "run", str(config), "--no-progress", "--engine", engine)
    zeros = "the gold ids are numbers without the leading zeros of the input's ids ('0000001'; '1' is '0000001'"
    assert plain[0] == 2 and zeros in plain[1], plain  # (the plain run's message, which the engine now gives)
    assert code == 2 and "12 row id(s) are not in the input claims.parquet" in said, said
    assert zeros in said and "read it with dtype=str" in said and "none of the gold set's row ids" not in said
    assert "Traceback" not in said


def test_an_engine_scores_on_the_pinned_gold_version_as_weaksup_run_does(tmp_path, capsys):
    # before: the engine's references (verdict, final, majority vote, supervised_on_dev) were scored on the latest
    # version (v2) while its label-model line and the recorded config said v1
    import dataclasses
    import json
    import shutil

    from tests.conftest import REPO
    from tests.engines.engine_data import youtube_config
    from tests.pipeline.test_plan_gold_version import add_v2
    from weaksup.engines.driver import run_engine
    from weaksup.pipeline import run

    gold = shutil.copytree(REPO / "gold_sets" / "youtube_spam", tmp_path / "gold")
    add_v2(capsys, tmp_path)  # (the first 20 test labels flipped)
    config = youtube_config(tmp_path, gold={"path": str(gold), "version": 1})
    plain = run(dataclasses.replace(config, output=dataclasses.replace(
        config.output, path=str(tmp_path / "plain" / "labels.parquet"))), progress=False)
    assert plain.references is not None
    engine = run_engine(config, engine="local")
    metrics = json.loads((engine.run_dir / "manifest.json").read_text(encoding="utf-8"))["metrics"]
    for name in ("majority_vote", "label_model", "supervised_on_dev"):
        assert metrics[f"reference/{name}/accuracy"] == pytest.approx(plain.references[name].accuracy), name
    assert metrics["accuracy"] == pytest.approx(plain.metrics["accuracy"])
