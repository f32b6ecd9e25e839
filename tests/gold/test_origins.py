"""A gold row whose id the input lacks: the run's error names the version that brought it and a fix that keeps
every version (``weaksup gold remove``); before, it said only "the gold set labels another dataset"."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.pipeline_project import make_project, write_config
from weaksup.cli import main
from weaksup.gold.edits import load_any_gold, version_table
from weaksup.gold.origins import first_versions


def _cli(capsys, *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out + out.err


def test_a_gold_id_the_input_lacks_names_its_version_and_the_remove_fix(tmp_path, youtube, monkeypatch, capsys):
    make_project(tmp_path, youtube)
    monkeypatch.chdir(tmp_path)
    dev = youtube[youtube["split"] == "dev"].head(40)
    dev[["row_id", "label"]].assign(split="dev").to_csv("dev.csv", index=False)
    assert _cli(capsys, "gold", "create", "gold/yt", "--from", "dev.csv", "--labels", "ham,spam", "--task", "yt")[0] == 0
    pd.DataFrame({"row_id": ["zz9"], "label": ["spam"], "split": ["dev"]}).to_csv("more.csv", index=False)
    assert _cli(capsys, "gold", "add", "gold/yt", "--from", "more.csv")[0] == 0
    assert first_versions(load_any_gold("gold/yt"), ["zz9", str(dev["row_id"].iloc[0]), "nope"]) == {
        "zz9": "version 2", str(dev["row_id"].iloc[0]): "version 1"}
    config = write_config(tmp_path, gold={"path": "gold/yt"})
    code, said = _cli(capsys, "run", str(config), "--no-progress")
    assert code == 2 and "Traceback" not in said
    assert "1 row id(s) are not in the input comments.csv, e.g. ['zz9'] (zz9 came with version 2)" in said
    assert f"weaksup gold remove {tmp_path / 'gold' / 'yt'} --ids zz9` (earlier versions stay on disk)" in said
    code, said = _cli(capsys, "gold", "remove", "gold/yt", "--ids", "zz9,not-there")
    assert code == 0 and "1 row id(s) removed; not in it, skipped: ['not-there']" in said
    gold = load_any_gold("gold/yt")
    assert gold.version == 3 and "zz9" not in set(gold.frame["row_id"]) and len(gold) == 40
    assert version_table("gold/yt")["version"].tolist() == [1, 2, 3]  # every version kept
    assert "zz9" in set(load_any_gold("gold/yt", version=2).frame["row_id"])
    assert _cli(capsys, "run", str(config), "--no-progress")[0] == 0
    code, said = _cli(capsys, "gold", "remove", "gold/yt", "--ids", "zz9")
    assert code == 0 and "unchanged at v3" in said
