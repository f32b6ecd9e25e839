import dataclasses
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.review.helpers import ls_export, write_json
from weaksup.gold import load_gold, write_gold
from weaksup.review import ReviewError, ReviewImportError, import_answers, read_export
from weaksup.review.labelstudio import to_tasks

SPACE = ["ham", "spam"]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def gold_dir(tmp_path):
    rows = pd.DataFrame({"row_id": ["g1", "g2", "t1"], "label": ["ham", "spam", "ham"],
                         "split": ["dev", "dev", "test"], "annotator": ["uci", "uci", "uci"]})
    write_gold(rows, tmp_path / "gold", task="demo", label_space=SPACE, description="demo gold")
    return tmp_path / "gold"


def answers_file(tmp_path, answers, row_ids=None):
    row_ids = row_ids or sorted(answers)
    queue = pd.DataFrame({"row_id": row_ids, "text": [f"text {r}" for r in row_ids], "label": "spam",
                          "confidence": 0.5})
    return read_export(write_json(ls_export(to_tasks(queue, model_version="v"), answers), tmp_path / "e.json"), SPACE)


def test_new_version_merges_and_records_annotator_and_time(tmp_path, gold_dir):
    answers = answers_file(tmp_path, {"n1": [(1, "spam")], "n2": [(1, "ham"), (2, "ham")], "t1": [(1, "spam")]})
    result = import_answers(answers, gold_dir, task="demo")
    gold = result.gold
    assert result.previous_version == 1 and gold.version == 2
    assert result.added_rows == 2 and result.annotations == 4 and result.replaced == 0
    assert len(gold) == 3 + 4
    new = gold.frame[gold.frame["annotator"].str.startswith("user-")]
    assert set(new["split"][new["row_id"].isin(["n1", "n2"])]) == {"dev"}
    assert new.loc[new["row_id"] == "t1", "split"].tolist() == ["test"]  # keeps its split
    assert all(new["timestamp"].str.startswith("2024-05-0"))
    manifest = json.loads((gold_dir / "manifest.json").read_text())
    assert manifest["version"] == 2 and manifest["content_hash"] == gold.hash
    assert manifest["history"][-1]["source"] == "e.json" and manifest["description"] == "demo gold"
    assert load_gold(gold_dir).hash == gold.hash  # the written folder loads back as the new version
    # t1: the reviewer disagrees with the previous gold: listed, kept
    assert result.conflicts["row_id"].tolist() == ["t1"] and result.conflicts["previous_gold"].tolist() == ["ham"]
    assert result.agreement.n_items == 2  # n2 (two reviewers) and t1 (uci + reviewer)
    assert "v1 -> v2" in result.summary() and "t1" in result.summary()


def test_reimport_replaces_same_annotator_and_bumps_again(tmp_path, gold_dir):
    first = answers_file(tmp_path, {"n1": [(1, "spam")]})
    import_answers(first, gold_dir, task="demo")
    again = answers_file(tmp_path, {"n1": [(1, "ham")]})
    result = import_answers(again, gold_dir, task="demo")
    assert result.gold.version == 3 and result.replaced == 1 and result.added_rows == 0
    assert result.gold.labels()["n1"] == "ham" and len(result.gold) == 4
    assert [h["version"] for h in json.loads((gold_dir / "manifest.json").read_text())["history"]] == [2, 3]


def test_an_older_export_imported_after_a_newer_one_keeps_the_newer_answer(tmp_path, gold_dir):
    # the same annotator said ham at 11:00 (imported first) and spam at 10:00 (an older export, imported second):
    # the stale spam replaced the gold label
    def export(label, stamp, name):
        queue = pd.DataFrame({"row_id": ["n1"], "text": ["text n1"], "label": "spam", "confidence": 0.5})
        tasks = ls_export(to_tasks(queue, model_version="v"), {"n1": [(4, label)]})
        tasks[0]["annotations"][0]["updated_at"] = tasks[0]["annotations"][0]["created_at"] = stamp
        return read_export(write_json(tasks, tmp_path / name), SPACE)

    import_answers(export("ham", "2024-06-01T11:00:00Z", "new.json"), gold_dir, task="demo")
    result = import_answers(export("spam", "2024-06-01T10:00:00Z", "old.json"), gold_dir, task="demo")
    assert result.gold.labels()["n1"] == "ham" and result.stale == 1 and result.replaced == 0
    assert "1 answer(s) not imported: the gold set holds a later answer" in result.summary()
    later = import_answers(export("spam", "2024-06-01T12:00:00Z", "later.json"), gold_dir, task="demo")
    assert later.gold.labels()["n1"] == "spam" and later.replaced == 1  # a newer answer still replaces it


def test_conflicting_annotators_listed_not_resolved(tmp_path, gold_dir):
    answers = answers_file(tmp_path, {"n1": [(1, "spam"), (2, "ham")], "n2": [(1, "ham"), (2, "ham"), (3, "spam")]})
    kept = import_answers(answers, gold_dir, task="demo", on_conflict="keep")
    assert sorted(kept.conflicts["row_id"]) == ["n1", "n2"]
    assert "user-1=spam; user-2=ham" in kept.conflicts.set_index("row_id").loc["n1", "labels"]
    labels = kept.gold.labels()
    assert "n1" not in labels.index and labels["n2"] == "ham"  # a tie is left out; a majority decides
    assert kept.agreement.n_items == 2 and kept.agreement.raw_agreement < 1


def test_conflicts_skip_or_error(tmp_path, gold_dir):
    answers = answers_file(tmp_path, {"n1": [(1, "spam"), (2, "ham")], "n3": [(1, "ham")]})
    with pytest.raises(ReviewImportError, match=r"task 1: row_id 'n1': annotators disagree: user-1=spam; user-2=ham"):
        import_answers(answers, gold_dir, task="demo", on_conflict="error")
    assert load_gold(gold_dir).version == 1  # nothing written
    skipped = import_answers(answers, gold_dir, task="demo", on_conflict="skip")
    assert "n1" not in set(skipped.gold.frame["row_id"]) and "n3" in set(skipped.gold.frame["row_id"])
    assert skipped.conflicts["resolution"].tolist() == ["left out"]


def test_test_split_and_new_gold_set(tmp_path):
    answers = answers_file(tmp_path, {"n1": [(1, "spam")]})
    with pytest.raises(ReviewError, match="label space is unknown"):
        import_answers(answers, tmp_path / "fresh", task="demo")
    result = import_answers(answers, tmp_path / "fresh", task="demo", label_space=SPACE, split="test")
    assert result.gold.version == 1 and result.previous_version is None and result.gold.counts() == {"test": 1}


def test_bad_imports(tmp_path, gold_dir):
    answers = answers_file(tmp_path, {"n1": [(1, "spam")]})
    with pytest.raises(ReviewError, match="for task 'demo', not 'other'"):
        import_answers(answers, gold_dir, task="other")
    with pytest.raises(ReviewError, match="differs from the task's"):
        import_answers(answers, gold_dir, task="demo", label_space=["spam", "ham"])
    with pytest.raises(ReviewImportError, match=r"task 1: row_id 'n1' is not a row of the dataset"):
        import_answers(answers, gold_dir, task="demo", row_ids=["g1", "g2", "t1"])
    with pytest.raises(ReviewError, match=r"split must be one of \['dev', 'test'\]; got "):
        import_answers(answers, gold_dir, task="demo", split="train")
    none = answers_file(tmp_path, {"n1": [(1, None)]})
    with pytest.raises(ReviewImportError, match="1 cancelled.*nothing to import"):
        import_answers(none, gold_dir, task="demo")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x.txt").write_text("x")
    with pytest.raises(ReviewError, match="has no manifest.json"):
        import_answers(answers, tmp_path / "junk", task="demo", label_space=SPACE)
    assert load_gold(gold_dir).version == 1


def test_repo_gold_set_copy_grows(tmp_path):
    folder = shutil.copytree(REPO / "gold_sets" / "youtube_spam", tmp_path / "youtube_spam")
    before = load_gold(folder)
    answers = answers_file(tmp_path, {"new-row": [(5, "spam")]})
    result = import_answers(answers, folder, task="youtube_spam")
    assert result.gold.version == before.version + 1 and len(result.gold) == len(before) + 1
    assert result.gold.counts()["dev"] == before.counts()["dev"] + 1


def test_one_annotator_answering_a_row_twice_is_told_which_answer_is_kept(tmp_path, gold_dir, caplog):
    answers = answers_file(tmp_path, {"n1": [(1, "spam")], "n2": [(1, "ham")]})
    twice = answers.frame.iloc[[0, 0, 1]].reset_index(drop=True)
    twice.loc[1, "label"], twice["timestamp"] = "ham", ""  # the same annotator, another label, later in the file
    result = import_answers(dataclasses.replace(answers, frame=twice), gold_dir, task="demo")
    assert result.gold.labels()["n1"] == "ham" and result.annotations == 2
    assert "1 row(s) were answered more than once by the same annotator with different labels" in caplog.text
    assert "'n1' by 'user-1': 'ham'" in caplog.text


def test_without_the_data_the_summary_says_the_new_row_ids_were_not_checked(tmp_path, gold_dir):
    answers = answers_file(tmp_path, {"n1": [(1, "spam")], "t1": [(1, "ham")]})
    unchecked = import_answers(answers, gold_dir, task="demo")
    assert unchecked.unchecked == ("n1",)  # t1 is a gold row already
    assert "1 new row id(s) not checked against the data (e.g. 'n1'): no data given" in unchecked.summary()
    checked = import_answers(answers_file(tmp_path, {"n2": [(1, "spam")]}), gold_dir, task="demo",
                             row_ids=["g1", "g2", "t1", "n1", "n2"])
    assert checked.unchecked == () and "not checked" not in checked.summary()


def test_every_problem_of_an_import_is_reported_in_one_error(tmp_path, gold_dir):
    # an answer outside the label space (on a row the data lacks, too), another row the data lacks, a disagreement,
    # and a gold row the data lacks (added by an earlier import without the data): all at once, nothing written
    queue = pd.DataFrame({"row_id": ["n1", "n2", "n3", "x9"], "text": "t", "label": "spam", "confidence": 0.5})
    tasks = ls_export(to_tasks(queue, model_version="v"), {"n1": [(1, "Spam")], "n2": [(1, "ham"), (2, "spam")],
                                                           "n3": [(1, "ham")], "x9": [(1, "ham")]})
    tasks.append({"id": 9, "data": {"row_id": "x8", "text": "t"}, "annotations": [
        {"id": 900, "completed_by": 1, "result": [{"from_name": "label", "to_name": "text", "type": "choices",
                                                  "value": {"choices": ["SPAM"]}}]}]})
    answers = read_export(write_json(tasks, tmp_path / "e.json"), SPACE, collect=True)
    assert [p.code for p in answers.problems] == ["unknown_label", "unknown_label"] and len(answers.frame) == 4
    before = (gold_dir / "manifest.json").read_text()
    with pytest.raises(ReviewImportError) as info:
        import_answers(answers, gold_dir, task="demo", on_conflict="error", row_ids=["g1", "g2", "n1", "n2", "n3"])
    found = {(p.code, p.message.split(":")[0]) for p in info.value.problems}
    assert found == {("unknown_label", "row_id 'n1'"), ("unknown_label", "row_id 'x8'"),
                     ("unknown_row_id", "row_id 'x9' is not a row of the dataset"),
                     ("unknown_row_id", "row_id 'x8' is not a row of the dataset"),
                     ("annotators_disagree", "row_id 'n2'"),
                     ("gold_row_not_in_data", "gold row 't1' (already in the gold set) is not a row of the dataset")}
    message = str(info.value)
    assert message.startswith("review export ") and "has 6 problems" in message
    assert "fix every problem listed" in message and "--on-conflict keep" in message and "--run" in message
    assert (gold_dir / "manifest.json").read_text() == before
    with pytest.raises(ReviewImportError, match="label 'Spam' by 'user-1' is not in the label space"):
        read_export(tmp_path / "e.json", SPACE)  # read alone, the export's problems are raised as before
