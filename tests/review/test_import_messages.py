"""What `weaksup review import` says when the export is not one (gzip-compressed, a saved API error), when another
import wrote the gold set meanwhile, where a row id the data lacks is, and when review-queue rows go to test gold."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from tests.review.helpers import json_min, ls_export, tickets_project, write_json, write_ls_csv
from weaksup.cli import main
from weaksup.errors import ReviewImportError
from weaksup.gold import load_gold, write_gold
from weaksup.review import import_answers, read_export

SPACE = ["billing", "bug", "feature", "other"]


def cli(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


@pytest.fixture
def gold_dir(tmp_path):
    rows = pd.DataFrame({"row_id": ["T0000"], "label": ["bug"], "split": ["dev"], "annotator": ["lead"]})
    write_gold(rows, tmp_path / "gold", task="tickets", label_space=SPACE)
    return tmp_path / "gold"


def _tasks(*row_ids, queued=True):
    """Tasks as `weaksup review export` writes them (``queued``: with the queue's review_reason and priority)."""
    extra = {"suggested_label": "other", "confidence": 0.5, "review_reason": "lf_conflict", "priority": 1}
    return [{"data": {"row_id": r, "text": f"ticket {r}", **(extra if queued else {})}} for r in row_ids]


def _export(path, *row_ids, queued=True):
    return write_json(ls_export(_tasks(*row_ids, queued=queued), {r: [(1, "bug")] for r in row_ids}), path)


def test_a_gzipped_export_says_gunzip_it(tmp_path, capsys, gold_dir):
    plain = _export(tmp_path / "p3.json", "T0137")
    fixes = {"p3.json.gz": f"gunzip -k {tmp_path / 'p3.json.gz'}",
             "p3.json": f"gunzip -c {tmp_path / 'p3.json'} > {tmp_path / 'p3-unzipped.json'}"}
    for name, fix in fixes.items():
        (tmp_path / name).write_bytes(gzip.compress(plain.read_bytes()))
        code, _, err = cli(capsys, "review", "import", tmp_path / name, "--task", "tickets", "--gold-dir", gold_dir)
        assert code == 2 and "Traceback" not in err
        assert f"{tmp_path / name} is gzip-compressed: gunzip it ({fix}) first" in err and "utf-8" not in err
    (tmp_path / "sheet.csv").write_bytes(gzip.compress(b"row_id,label\nT0001,bug\n"))
    code, _, err = cli(capsys, "review", "import", tmp_path / "sheet.csv", "--task", "tickets", "--gold-dir", gold_dir)
    assert code == 2 and "sheet.csv is gzip-compressed" in err
    assert load_gold(gold_dir).version == 1


def test_a_saved_api_error_is_named_with_its_detail(tmp_path, capsys, gold_dir):
    saved = write_json({"detail": "Authentication credentials were not provided."}, tmp_path / "p3.json")
    code, _, err = cli(capsys, "review", "import", saved, "--task", "tickets", "--gold-dir", gold_dir)
    assert code == 2 and "no 'data' object" not in err
    assert "is a Label Studio API error response, not an export" in err
    assert "'Authentication credentials were not provided.'" in err and "token" in err and "export" in err


class _WhileChecking:
    """The dataset's row ids; the first time the import goes through them (after it read the gold set, before it
    writes), another import writes the gold set's next version: two imports running at once."""

    def __init__(self, ids, other):
        self.ids, self.other = ids, other

    def __iter__(self):
        if self.other is not None:
            other, self.other = self.other, None
            other()
        return iter(self.ids)


def test_the_loser_of_two_imports_at_once_is_told_to_rerun(tmp_path, gold_dir):
    ids = ["T0000", "T0001", "T0002"]
    mine, theirs = _export(tmp_path / "a.json", "T0001"), _export(tmp_path / "b.json", "T0002")
    other = _WhileChecking(ids, lambda: import_answers(read_export(theirs, SPACE), gold_dir, task="tickets"))
    with pytest.raises(ReviewImportError) as info:
        import_answers(read_export(mine, SPACE), gold_dir, task="tickets", row_ids=other)
    message = str(info.value)
    assert "another import wrote version 2 of the gold set" in message and "while this one ran" in message
    assert "re-run the import" in message and "nothing was lost" in message
    assert "after 2" not in message
    gold = load_gold(gold_dir)
    assert gold.version == 2 and "T0001" not in set(gold.frame["row_id"])  # the other's version stands
    again = import_answers(read_export(mine, SPACE), gold_dir, task="tickets", row_ids=ids)  # the re-run
    assert again.gold.version == 3 and {"T0001", "T0002"} <= set(again.gold.frame["row_id"])


@pytest.fixture
def project(tmp_path, capsys, monkeypatch):
    folder = tickets_project(tmp_path / "p")
    monkeypatch.chdir(folder)
    code, _, err = cli(capsys, "run", "config.toml")
    assert code in (0, None), err
    return folder


def test_a_row_id_the_data_lacks_names_the_data_and_where_it_is(project, capsys):
    _export(project / "e.json", "T0030", "T9999")
    code, _, err = cli(capsys, "review", "import", "e.json", "--task", "tickets", "--run", "runs/tix")
    assert code == 2
    assert "e.json: task 2: row_id 'T9999' is not a row of the dataset of the run runs/tix" in err
    code, _, err = cli(capsys, "review", "import", "e.json", "--task", "tickets", "--config", "config.toml")
    assert code == 2
    assert "row_id 'T9999' is not a row of the dataset of --config config.toml (its input data/tickets.csv)" in err
    write_ls_csv(json_min(json.loads((project / "e.json").read_text())), project / "e.csv")  # Label Studio's CSV
    code, _, err = cli(capsys, "review", "import", "e.csv", "--task", "tickets", "--run", "runs/tix")
    assert code == 2
    assert "e.csv: line 3 (task 2), annotation 102: row_id 'T9999' is not a row of the dataset of the run" in err
    (project / "review.csv").write_text("row_id,text,suggested_label,confidence,review_reason,priority,label,"
                                        "annotator\nT0030,hi,bug,0.5,lf_conflict,1,bug,ann\n"
                                        "T9999,yo,bug,0.5,lf_conflict,2,bug,ann\n", encoding="utf-8")
    code, _, err = cli(capsys, "review", "import", "review.csv", "--task", "tickets", "--run", "runs/tix")
    assert code == 2
    assert "review.csv: line 3: row_id 'T9999' is not a row of the dataset of the run runs/tix" in err
    assert load_gold(project / "gold" / "tickets").version == 1


def test_review_queue_rows_imported_as_test_gold_are_warned_about(project, capsys):
    _export(project / "e.json", "T0030", "T0031")
    code, out, err = cli(capsys, "review", "import", "e.json", "--task", "tickets", "--run", "runs/tix",
                         "--split", "test")
    assert code == 0, err
    warning = next(line for line in err.splitlines() if "review queue" in line)
    assert warning.startswith("warning: 2 row(s) new to the test split") and "not a random sample" in warning
    assert "--split dev" in warning and "random sample" in warning
    assert load_gold(project / "gold" / "tickets").counts()["test"] == 10
    _export(project / "f.json", "T0032")
    code, _, err = cli(capsys, "review", "import", "f.json", "--task", "tickets", "--run", "runs/tix")
    assert code == 0 and "review queue" not in err  # dev: no warning
    _export(project / "g.json", "T0033", queued=False)  # tasks of another origin (not the review queue's)
    code, _, err = cli(capsys, "review", "import", "g.json", "--task", "tickets", "--run", "runs/tix",
                       "--split", "test")
    assert code == 0 and "review queue" not in err
