"""Which gold set ``weaksup review import`` writes: the one the run reads (``gold.path`` of ``--config``, or of
``--run``'s config as its run.json records it), not ``gold_sets/TASK``; a ``--gold-dir`` other than that gold set is
refused (exit 2, naming both); "re-run to use it" is said only when the run reads the gold set written."""

from __future__ import annotations

import json

import pytest

from tests.review.helpers import tickets_project, ls_export, write_json
from weaksup.cli import main
from weaksup.gold import load_gold


def cli(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def _export(folder, name="export.json"):
    """One answer (user 1: T0030 is bug) in Label Studio's JSON export."""
    tasks = [{"data": {"row_id": "T0030", "text": "app crashes on login"}}]
    return write_json(ls_export(tasks, {"T0030": [(1, "bug")]}), folder / name)


def test_import_with_config_writes_the_gold_set_the_config_names(tmp_path, capsys, monkeypatch):
    folder = tickets_project(tmp_path / "p")
    monkeypatch.chdir(folder)
    _export(folder)
    code, out, err = cli(capsys, "review", "import", "export.json", "--task", "tickets", "--config", "config.toml")
    assert code == 0, err
    assert load_gold(folder / "gold" / "tickets").version == 2 and "v1 -> v2" in out
    assert not (folder / "gold_sets").exists()  # no new gold set the run would not read
    assert "re-run to use it: weaksup run config.toml (its gold.path is this gold set)" in out


def test_import_with_run_writes_the_gold_set_the_run_reads_and_the_rerun_uses_it(tmp_path, capsys, monkeypatch):
    folder = tickets_project(tmp_path / "p")
    monkeypatch.chdir(folder)
    code, _, err = cli(capsys, "run", "config.toml")
    assert code in (0, None), err
    _export(folder)
    code, out, err = cli(capsys, "review", "import", "export.json", "--task", "tickets", "--run", "runs/tix")
    assert code == 0, err
    assert not (folder / "gold_sets").exists() and "re-run to use it: weaksup run config.toml (its gold.path" in out
    gold = load_gold(folder / "gold" / "tickets")
    assert gold.version == 2 and "T0030" in set(gold.frame["row_id"])
    code, _, err = cli(capsys, "run", "config.toml")
    assert code in (0, None), err
    run = json.loads((folder / "runs" / "tix" / "run.json").read_text(encoding="utf-8"))
    assert run["gold"]["version"] == 2 and run["gold"]["hash"] == gold.hash  # the re-run reads what was written


@pytest.mark.parametrize("data", ["--config", "--run"])
def test_a_gold_dir_other_than_the_runs_gold_set_is_refused(data, tmp_path, capsys, monkeypatch):
    folder = tickets_project(tmp_path / "p")
    monkeypatch.chdir(folder)
    if data == "--run":
        code, _, err = cli(capsys, "run", "config.toml")
        assert code in (0, None), err
    _export(folder)
    given = "config.toml" if data == "--config" else "runs/tix"
    code, _, err = cli(capsys, "review", "import", "export.json", "--task", "tickets", data, given,
                       "--gold-dir", "gold_sets/tickets")
    assert code == 2 and "Traceback" not in err
    assert "--gold-dir gold_sets/tickets is not the gold set" in err
    assert f"gold.path = 'gold/tickets': {(folder / 'gold' / 'tickets').resolve()}" in err
    assert "drop --gold-dir" in err and not (folder / "gold_sets").exists()
    assert load_gold(folder / "gold" / "tickets").version == 1
    code, out, err = cli(capsys, "review", "import", "export.json", "--task", "tickets", data, given,
                         "--gold-dir", "gold/tickets")  # the same folder, named as the config names it
    assert code == 0, err
    assert load_gold(folder / "gold" / "tickets").version == 2


def test_without_a_gold_path_the_import_does_not_say_re_run(tmp_path, capsys, monkeypatch):
    folder = tickets_project(tmp_path / "p", gold=None)
    tickets_project(tmp_path / "other")  # a gold set of the task elsewhere
    monkeypatch.chdir(folder)
    _export(folder)
    gold_dir = tmp_path / "other" / "gold" / "tickets"
    code, out, err = cli(capsys, "review", "import", "export.json", "--task", "tickets", "--config", "config.toml",
                         "--gold-dir", gold_dir)
    assert code == 0, err
    assert load_gold(gold_dir).version == 2
    assert "re-run to use it" not in out
    assert "--config config.toml has no gold.path, so its runs do not read this gold set: set [gold] path" in out
    code, out, err = cli(capsys, "review", "import", _export(folder, "two.json"), "--task", "tickets", "--gold-dir",
                         gold_dir)  # no data named: unknown whether a run reads it
    assert code == 0, err
    assert "re-run to use it" not in out
