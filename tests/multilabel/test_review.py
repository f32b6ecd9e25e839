"""Label Studio review of a multi-label run: multi-choice tasks out, label sets in as a new gold version."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.multilabel.ml_project import SPACE, make_ml_project, number_review_texts
from weaksup.config import load_config
from weaksup.errors import GoldSetError, ReviewImportError
from weaksup.multilabel.gold import load_multilabel_gold
from weaksup.multilabel.review import (export_multilabel_review, import_multilabel_answers, is_multilabel_run,
                                       read_multilabel_export)
from weaksup.pipeline import run


def _annotated(tasks, answers):
    """A Label Studio JSON export of ``tasks`` with one annotation each (``answers[row_id]``: the choices, or
    "skip" for a cancelled one)."""
    out = []
    for i, task in enumerate(tasks):
        chosen = answers[task["data"]["row_id"]]
        result = [] if chosen == "skip" else [{"from_name": "label", "to_name": "text", "type": "choices",
                                               "value": {"choices": chosen}}]
        out.append({"id": 100 + i, "data": task["data"], "predictions": task.get("predictions", []),
                    "annotations": [{"id": 500 + i, "completed_by": {"email": "ann@example.org"}, "result": result,
                                     "was_cancelled": chosen == "skip", "updated_at": "2026-12-01T12:00:00Z"}]})
    return out


def test_export_review_import_round_trip(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = make_ml_project(tmp_path)
    number_review_texts(tmp_path)  # else every row to review repeats a gold row's text: none is exported
    run(load_config(config), progress=False)
    assert is_multilabel_run(tmp_path / "out") and not is_multilabel_run(tmp_path)
    n, path = export_multilabel_review(tmp_path / "out", budget=6)
    tasks = json.loads(path.read_text())
    assert n == len(tasks) == 6
    xml = path.with_name("tasks.labeling_config.xml").read_text()
    assert 'choice="multiple"' in xml and all(f'<Choice value="{x}"/>' in xml for x in SPACE.labels)
    gold_ids = set(pd.read_csv(tmp_path / "gold_sets" / "tickets" / "labels.csv")["row_id"])
    assert not {t["data"]["row_id"] for t in tasks} & gold_ids  # gold rows are never exported
    labels = pd.read_parquet(tmp_path / "out" / "labels.parquet").set_index("row_id")
    confidences = [t["data"]["confidence"] for t in tasks]
    assert confidences == sorted(confidences)  # least sure first
    with_prediction = [t for t in tasks if "predictions" in t]
    for task in with_prediction:
        assert task["predictions"][0]["result"][0]["value"]["choices"] == list(labels.loc[task["data"]["row_id"],
                                                                                           "labels"])
    ids = [t["data"]["row_id"] for t in tasks]
    answers = {ids[0]: ["billing", "bug"], ids[1]: [], ids[2]: "skip", **{r: ["praise"] for r in ids[3:]}}
    export = tmp_path / "export.json"
    export.write_text(json.dumps(_annotated(tasks, answers)))
    read = read_multilabel_export(export, SPACE)
    assert len(read) == 5 and read.set_index("row_id").loc[ids[0], "labels"] == ("billing", "bug")
    assert read.set_index("row_id").loc[ids[1], "labels"] == () and read["annotator"].iloc[0] == "ann@example.org"
    # an answer with no choice is the empty set, which the none label makes unmatchable: refused, nothing written
    with pytest.raises(GoldSetError, match=f"row '{ids[1]}': an empty label set, and the label space has the none "
                                           "label 'none'"):
        import_multilabel_answers(read, tmp_path / "gold_sets" / "tickets", task="tickets", space=SPACE)
    read["labels"] = [("none",) if r == ids[1] else v for r, v in zip(read["row_id"], read["labels"])]
    gold = import_multilabel_answers(read, tmp_path / "gold_sets" / "tickets", task="tickets", space=SPACE)
    assert gold.version == 2 and gold.counts() == {"dev": 85, "test": 80}
    assert gold.label_sets("dev")[ids[0]] == ("billing", "bug")
    assert len(load_multilabel_gold(tmp_path / "gold_sets" / "tickets", version=1)) == 160  # version 1 kept
    # the next run uses the new dev rows as reviewed rows
    again = run(load_config(config), progress=False)
    assert again.status_counts["reviewed"] == 85


def test_json_min_exports_and_errors(tmp_path):
    path = tmp_path / "min.json"
    path.write_text(json.dumps([{"id": 1, "row_id": "r1", "label": {"choices": ["bug", "praise"]}, "annotator": 3},
                                {"id": 2, "row_id": "r2", "label": "billing"}]))
    read = read_multilabel_export(path, SPACE)
    assert read["labels"].tolist() == [("bug", "praise"), ("billing",)]
    path.write_text(json.dumps([{"id": 1, "row_id": "r1", "label": ["bugs"]}, {"id": 2, "label": ["bug"]}]))
    with pytest.raises(ReviewImportError) as info:
        read_multilabel_export(path, SPACE)
    assert "['bugs'] are not in" in str(info.value) and "no 'row_id'" in str(info.value)



def test_answers_under_another_choices_name_are_refused_not_imported_as_empty_sets(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps([{"id": 1, "data": {"row_id": "r1"}, "annotations": [{"completed_by": 1, "result": [
        {"from_name": "topics", "to_name": "text", "type": "choices", "value": {"choices": ["billing"]}}]}]}]))
    with pytest.raises(ReviewImportError, match=r"but choices from \['topics'\]; pass the <Choices> name as "
                                                r"from_name \(--from-name topics\)"):
        read_multilabel_export(path, SPACE)
    assert read_multilabel_export(path, SPACE, from_name="topics")["labels"].tolist() == [("billing",)]
    path.write_text(json.dumps([{"id": 1, "row_id": "r1", "topics": ["billing"]}]))  # JSON-MIN
    with pytest.raises(ReviewImportError, match=r"no task holds an answer under the control tag 'label' \(JSON-MIN "
                                                r"keys: \['topics'\]\); pass the <Choices> name as --from-name"):
        read_multilabel_export(path, SPACE)
    path.write_text(json.dumps([{"id": 1, "row_id": "r1", "label": ["bug"]}, {"id": 2, "row_id": "r2"}]))
    assert read_multilabel_export(path, SPACE)["row_id"].tolist() == ["r1"]  # r2 unanswered: not an empty set


def test_weaksup_review_export_and_import_take_multilabel_runs(tmp_path, monkeypatch, capsys):
    from weaksup.cli import main

    def cli(*args):
        with pytest.raises(SystemExit) as done:
            main([str(a) for a in args])
        assert done.value.code in (0, None), capsys.readouterr()
        return capsys.readouterr().out

    monkeypatch.chdir(tmp_path)
    config = make_ml_project(tmp_path)
    number_review_texts(tmp_path)
    run(load_config(config), progress=False)
    said = cli("review", "export", tmp_path / "out", "--budget", "3")
    assert "3 row(s) of the multi-label run" in said
    tasks = json.loads((tmp_path / "out" / "review" / "tasks.json").read_text())
    export = tmp_path / "export.json"
    export.write_text(json.dumps(_annotated(tasks, {t["data"]["row_id"]: ["bug"] for t in tasks})))
    said = cli("review", "import", export, "--task", "tickets", "--run", tmp_path / "out")
    assert "is now version 2" in said
    assert load_multilabel_gold(tmp_path / "gold_sets" / "tickets").counts()["dev"] == 83
    files = sorted(p.name for p in (tmp_path / "gold_sets" / "tickets").iterdir())
    said = cli("review", "import", export, "--task", "tickets", "--run", tmp_path / "out")  # the same answers again
    assert "unchanged at version 2" in said and "no new version written" in said
    assert sorted(p.name for p in (tmp_path / "gold_sets" / "tickets").iterdir()) == files
    assert load_multilabel_gold(tmp_path / "gold_sets" / "tickets").version == 2


def test_review_flags_a_multilabel_run_cannot_honour_exit_2(tmp_path, monkeypatch, capsys):
    from weaksup.cli import main

    def cli(*args):
        with pytest.raises(SystemExit) as done:
            main([str(a) for a in args])
        out = capsys.readouterr()
        return done.value.code, out.out + out.err

    monkeypatch.chdir(tmp_path)
    config = make_ml_project(tmp_path)
    number_review_texts(tmp_path)
    run(load_config(config), progress=False)
    code, said = cli("review", "export", tmp_path / "out", "--threshold", "0.99", "--method", "margin")
    assert code == 2 and "--threshold, --method: options of a classification review queue" in said
    code, said = cli("review", "export", tmp_path / "out", "--field", "nosuch")
    assert code == 2 and "--field column" in said and "nosuch" in said
    assert cli("review", "export", tmp_path / "out", "--budget", "3")[0] == 0
    tasks = json.loads((tmp_path / "out" / "review" / "tasks.json").read_text())
    first, second = tasks[0]["data"]["row_id"], tasks[1]["data"]["row_id"]
    export = _annotated(tasks[:2], {first: ["bug"], second: ["billing"]})
    export[0]["annotations"].append({**export[0]["annotations"][0], "id": 999, "completed_by": 7,
                                     "result": [{"from_name": "label", "to_name": "text", "type": "choices",
                                                 "value": {"choices": ["praise"]}}]})
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    gold = tmp_path / "gold_sets" / "tickets"
    before = sorted(p.name for p in gold.iterdir())
    code, said = cli("review", "import", path, "--task", "tickets", "--on-conflict", "error")
    assert code == 2 and f"annotators chose different label sets for 1 row(s), e.g. ['{first}']" in said
    code, said = cli("review", "import", path, "--task", "tickets", "--format", "csv")
    assert code == 2 and "--format csv: a multi-label import reads Label Studio's JSON or JSON-MIN export only" in said
    code, said = cli("review", "import", path, "--task", "other", "--gold-dir", gold)
    assert code == 2 and "is for task 'tickets', not 'other'" in said
    stray = _annotated([{"data": {"row_id": "not-a-row", "text": "x"}}], {"not-a-row": ["bug"]})
    path.write_text(json.dumps(stray))
    code, said = cli("review", "import", path, "--task", "tickets", "--run", tmp_path / "out")
    assert code == 2 and "1 answered row(s) are not rows of the run" in said and "not-a-row" in said
    assert sorted(p.name for p in gold.iterdir()) == before  # nothing written
    path.write_text(json.dumps(export))
    code, said = cli("review", "import", path, "--task", "tickets", "--on-conflict", "skip")
    now, then = load_multilabel_gold(gold), load_multilabel_gold(gold, version=1)
    assert code == 0 and now.label_sets("dev")[second] == ("billing",)
    assert now.label_sets("dev").get(first) == then.label_sets("dev").get(first)  # the disputed row: not imported


def test_csv_and_parquet_runs_export_the_same_review_tasks(tmp_path, monkeypatch):
    from weaksup.multilabel.review import export_multilabel_review

    monkeypatch.chdir(tmp_path)
    config = make_ml_project(tmp_path)
    number_review_texts(tmp_path)
    tasks = {}
    for suffix in ("csv", "parquet"):
        run(load_config(config, [f"output.path=out_{suffix}/labels.{suffix}"]), progress=False)
        _, path = export_multilabel_review(tmp_path / f"out_{suffix}")
        tasks[suffix] = {t["data"]["row_id"]: t.get("predictions") for t in json.loads(path.read_text())}
    assert tasks["csv"] == tasks["parquet"] and len(tasks["csv"]) > 0


def test_a_multilabel_import_with_run_writes_the_gold_set_the_run_reads(tmp_path, monkeypatch, capsys):
    # it wrote gold_sets/TASK, a second gold set the run never reads, when the run's gold.path was another folder
    import shutil

    from weaksup.cli import main

    monkeypatch.chdir(tmp_path)
    config = make_ml_project(tmp_path, gold={"path": "gold/tix", "split": "test"})
    number_review_texts(tmp_path)
    shutil.move(tmp_path / "gold_sets" / "tickets", tmp_path / "gold" / "tix")
    run(load_config(config), progress=False)
    with pytest.raises(SystemExit):
        main(["review", "export", str(tmp_path / "out"), "--budget", "3"])
    tasks = json.loads((tmp_path / "out" / "review" / "tasks.json").read_text())
    export = tmp_path / "export.json"
    export.write_text(json.dumps(_annotated(tasks, {t["data"]["row_id"]: ["bug"] for t in tasks})))
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main(["review", "import", str(export), "--task", "tickets", "--run", str(tmp_path / "out")])
    assert done.value.code in (0, None), capsys.readouterr()
    assert load_multilabel_gold(tmp_path / "gold" / "tix").version == 2
    assert not (tmp_path / "gold_sets" / "tickets").exists()
    with pytest.raises(SystemExit) as done:  # a --gold-dir other than the run's is refused
        main(["review", "import", str(export), "--task", "tickets", "--run", str(tmp_path / "out"),
              "--gold-dir", str(tmp_path / "elsewhere")])
    assert done.value.code == 2 and "is not the gold set the run" in capsys.readouterr().err
