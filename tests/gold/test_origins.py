"""A gold row whose id the input lacks: the run's error names the version that brought it and a fix that keeps
every version (``weaksup gold remove``); before, it said only "the gold set labels another dataset"."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.pipeline_project import int_id_claims, make_project, write_config
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


def _command(message: str) -> list[str]:
    """The `weaksup gold remove ...` command a message gives, as the shell splits it (without `weaksup`)."""
    import re
    import shlex

    return shlex.split(re.search(r"`weaksup (gold remove [^`]*)`", message).group(1))


def test_the_remove_command_of_a_few_ids_runs_as_printed(tmp_path, youtube, monkeypatch, capsys):
    from weaksup.gold.origins import absent_ids_error

    make_project(tmp_path, youtube)
    monkeypatch.chdir(tmp_path)
    frame = pd.DataFrame({"row_id": ["a 1", "b2", "c3"], "label": ["spam", "ham", "ham"], "split": ["dev"] * 3})
    frame.to_csv("few.csv", index=False)
    assert _cli(capsys, "gold", "create", "my gold/yt", "--from", "few.csv", "--labels", "ham,spam", "--task",
                "yt")[0] == 0
    message = str(absent_ids_error(load_any_gold("my gold/yt"), ["a 1", "b2"], "comments.csv"))
    assert "`weaksup gold remove 'my gold/yt' --ids 'a 1,b2'`" in message
    code, said = _cli(capsys, *_command(message))
    assert code == 0 and "2 row id(s) removed" in said
    assert set(load_any_gold("my gold/yt").frame["row_id"]) == {"c3"}


def test_more_than_20_ids_are_removed_through_an_ids_file(tmp_path, youtube, monkeypatch, capsys):
    from weaksup.gold.origins import absent_ids_error

    make_project(tmp_path, youtube)
    monkeypatch.chdir(tmp_path)
    ids = [f"x{i:02d}" for i in range(25)]
    pd.DataFrame({"row_id": [*ids, "keep"], "label": "spam", "split": "dev"}).to_csv("many.csv", index=False)
    assert _cli(capsys, "gold", "create", "gold/yt", "--from", "many.csv", "--labels", "ham,spam", "--task",
                "yt")[0] == 0
    message = str(absent_ids_error(load_any_gold("gold/yt"), ids, "comments.csv"))
    assert ",..." not in message and "(all 25)" not in message
    assert "write the 25 row ids (x00, x01, x02, x03, x04, ...) to a file, one per line, and run " in message
    command = _command(message)
    assert command == ["gold", "remove", "gold/yt", "--ids-file", "FILE"]
    (tmp_path / "gone.txt").write_text("\n".join(ids) + "\n\n", encoding="utf-8")
    code, said = _cli(capsys, *command[:-1], "gone.txt")
    assert code == 0 and "25 row id(s) removed" in said
    assert set(load_any_gold("gold/yt").frame["row_id"]) == {"keep"}


def test_remove_takes_ids_or_an_ids_file_not_both(tmp_path, youtube, monkeypatch, capsys):
    make_project(tmp_path, youtube)
    monkeypatch.chdir(tmp_path)
    pd.DataFrame({"row_id": ["a", "b"], "label": "spam", "split": "dev"}).to_csv("two.csv", index=False)
    assert _cli(capsys, "gold", "create", "gold/yt", "--from", "two.csv", "--labels", "ham,spam", "--task",
                "yt")[0] == 0
    (tmp_path / "ids.txt").write_text("a\n", encoding="utf-8")
    code, said = _cli(capsys, "gold", "remove", "gold/yt", "--ids", "a", "--ids-file", "ids.txt")
    assert code == 2 and "give either --ids ID,ID,... or --ids-file FILE" in said and "not both" in said and "Traceback" not in said
    code, said = _cli(capsys, "gold", "remove", "gold/yt")
    assert code == 2 and "--ids" in said and "Traceback" not in said
    code, said = _cli(capsys, "gold", "remove", "gold/yt", "--ids-file", "missing.txt")
    assert code == 2 and "--ids-file missing.txt: cannot be read" in said and "Traceback" not in said
    (tmp_path / "empty.txt").write_text("\n", encoding="utf-8")
    code, said = _cli(capsys, "gold", "remove", "gold/yt", "--ids-file", "empty.txt")
    assert code == 2 and "--ids-file empty.txt: no row id given" in said
    assert load_any_gold("gold/yt").version == 1


def test_gold_ids_that_lost_their_leading_zeros_are_named_with_the_fix(tmp_path, monkeypatch, capsys):
    # a gold file with int64 ids: create said nothing, and the run suggested removing every gold row
    monkeypatch.chdir(tmp_path)
    int_id_claims(tmp_path)
    code, said = _cli(capsys, "gold", "create", "gold/claims", "--from", "gold_int.parquet", "--labels",
                      "legit,fraud", "--id-column", "claim_id", "--task", "claims")
    assert code == 0 and "id column 'claim_id' holds numbers (e.g. 1), not text" in said, said
    assert "leading zeros" in said and "dtype=str" in said
    config = write_config(tmp_path, task={"name": "claims", "labels": ["legit", "fraud"]},
                          input={"path": "claims.parquet", "id_column": "claim_id", "text_column": ""},
                          lfs={"modules": ["claims_lfs.py"]}, gold={"path": "gold/claims"})
    code, said = _cli(capsys, "run", str(config), "--no-progress")
    assert code == 2 and "12 row id(s) are not in the input claims.parquet" in said, said
    assert "the gold ids are numbers without the leading zeros of the input's ids ('0000001'; '1' is '0000001'" in said
    assert "read it with dtype=str" in said and "gold remove" not in said
    pd.DataFrame({"claim_id": ["x1", "x2"], "label": "fraud", "split": "test"}).to_csv("other.csv", index=False)
    assert _cli(capsys, "gold", "create", "gold/other", "--from", "other.csv", "--labels", "legit,fraud",
                "--id-column", "claim_id", "--task", "claims")[0] == 0
    code, said = _cli(capsys, "run", str(config), "--no-progress", "--set", "gold.path=gold/other")
    assert code == 2 and "none of the gold set's row ids is in the input" in said and "gold remove" not in said
