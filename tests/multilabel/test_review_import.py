"""``weaksup review import`` of a multi-label task keeps a classification import's promises: a row whose annotators
decide no label set is left out and named (with their agreement), an older export never replaces a newer answer, an
empty answer is named by export and task with a fix that suits Label Studio, and the summary tells what was read and
how to use the new version. The exports have the shapes Label Studio writes (JSON: tasks with ``annotations``)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.multilabel.ml_project import SPACE, make_ml_project, number_review_texts
from weaksup.config import load_config
from weaksup.errors import ReviewImportError
from weaksup.multilabel.gold import load_multilabel_gold, write_multilabel_gold
from weaksup.multilabel.review import import_if_multilabel
from weaksup.multilabel.space import MultiLabelSpace
from weaksup.pipeline import run

FREE = MultiLabelSpace(["billing", "bug", "praise"])  # no none label: an empty answer is the empty set


def _annotation(ann_id, user, choices, at="2026-12-04T15:00:00.000000Z", cancelled=False):
    """One annotation as Label Studio's JSON export writes it (``completed_by`` a user id)."""
    result = [] if choices is None else [{"id": f"r{ann_id}", "from_name": "label", "to_name": "text",
                                          "type": "choices", "value": {"choices": choices}}] if choices else []
    return {"id": ann_id, "completed_by": user, "result": result, "was_cancelled": cancelled, "ground_truth": False,
            "created_at": at, "updated_at": at, "lead_time": 4.2, "task": None, "project": 3}


def _task(task_id, row_id, annotations, queued=True):
    data = {"row_id": row_id, "text": f"ticket {row_id}"}
    if queued:  # as weaksup's multi-label review export writes a task of the review queue
        data.update({"suggested_labels": "billing", "confidence": 0.5, "priority": task_id})
    return {"id": task_id, "annotations": annotations, "drafts": [], "predictions": [], "data": data, "meta": {},
            "created_at": "2026-12-04T14:39:48.637783Z", "project": 3, "total_annotations": len(annotations),
            "cancelled_annotations": sum(a["was_cancelled"] for a in annotations)}


def _gold(folder, space=SPACE):
    rows = pd.DataFrame({"row_id": ["g1", "g2"], "labels": ["billing", "praise"], "split": ["dev", "test"]})
    write_multilabel_gold(rows, folder, task="tickets", space=space)
    return folder


def _write(path, tasks):
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path


def test_a_row_no_label_set_wins_is_left_out_named_and_agreement_is_reported(tmp_path):
    gold = _gold(tmp_path / "gold")
    export = _write(tmp_path / "export.json", [
        _task(1, "r1", [_annotation(11, 1, ["billing"]), _annotation(12, 2, ["bug"])]),  # no label has a majority
        _task(2, "r2", [_annotation(21, 1, ["billing", "bug"]), _annotation(22, 2, ["billing"])]),  # billing wins
        _task(3, "r3", [_annotation(31, 1, ["praise"]), _annotation(32, 2, ["praise"])])])
    said = import_if_multilabel(export, task="tickets", gold_dir=gold, run_dir=None)
    sets = load_multilabel_gold(gold).label_sets()
    assert "r1" not in sets.index  # not in gold with an empty set
    assert sets["r2"] == ("billing",) and sets["r3"] == ("praise",)
    assert "1 row(s) where no label set wins (no label chosen by more than half of the annotators): left out: r1" \
        in said
    assert "r1: user-1=billing, user-2=bug [no label set wins: dev row left out of the gold set until another answer " \
        "breaks the tie]" in said
    assert "r2: user-1=billing;bug, user-2=billing [majority per label: billing]" in said
    assert ("agreement over 3 row(s) with 2+ annotators (2 annotators; every answer, before the conflict policy): "
            "same label set 0.333, mean Jaccard 0.500") in said
    # Label Studio's next export holds a third answer: it breaks the tie, and every answer of the row is written
    _write(export, [_task(1, "r1", [_annotation(11, 1, ["billing"]), _annotation(12, 2, ["bug"]),
                                    _annotation(13, 3, ["billing"])])])
    said = import_if_multilabel(export, task="tickets", gold_dir=gold, run_dir=None)
    now = load_multilabel_gold(gold)
    assert now.label_sets()["r1"] == ("billing",) and (now.frame["row_id"] == "r1").sum() == 3
    assert "r1: user-1=billing, user-2=bug, user-3=billing [majority per label: billing]" in said


def test_an_older_export_never_replaces_a_newer_answer(tmp_path):
    gold = _gold(tmp_path / "gold")
    older = _write(tmp_path / "pulled.json", [_task(1, "r1", [_annotation(11, 2, ["praise"],
                                                                          at="2026-12-04T14:40:01.876481Z")])])
    newer = _write(tmp_path / "newer.json", [_task(1, "r1", [_annotation(11, 2, ["bug"],
                                                                         at="2026-12-04T16:00:00.000000Z")])])
    import_if_multilabel(newer, task="tickets", gold_dir=gold, run_dir=None)
    assert load_multilabel_gold(gold).label_sets()["r1"] == ("bug",)
    version = load_multilabel_gold(gold).version
    said = import_if_multilabel(older, task="tickets", gold_dir=gold, run_dir=None)
    now = load_multilabel_gold(gold)
    assert now.label_sets()["r1"] == ("bug",) and now.version == version
    assert ("1 answer(s) not imported: the gold set holds a later answer of the same annotator for those rows (an "
            "older export imported after a newer one)") in said
    assert "unchanged at version 2" in said and "no answer left to write; no new version written" in said
    # a later answer still replaces an earlier one
    _write(newer, [_task(1, "r1", [_annotation(11, 2, ["billing"], at="2026-12-04T17:00:00.000000Z")])])
    import_if_multilabel(newer, task="tickets", gold_dir=gold, run_dir=None)
    assert load_multilabel_gold(gold).label_sets()["r1"] == ("billing",)


def test_an_anonymous_annotator_s_later_answer_replaces_their_earlier_one(tmp_path):
    # an export without completed_by: the gold set names the annotator "reviewer"; the next export is the same person
    gold = _gold(tmp_path / "gold")
    first = _write(tmp_path / "e1.json", [_task(1, "r1", [_annotation(11, None, ["praise"])])])
    later = _write(tmp_path / "e2.json", [_task(1, "r1", [_annotation(11, None, ["bug"],
                                                                       at="2026-12-04T16:00:00.000000Z")])])
    import_if_multilabel(first, task="tickets", gold_dir=gold, run_dir=None)
    said = import_if_multilabel(later, task="tickets", gold_dir=gold, run_dir=None)
    assert load_multilabel_gold(gold).label_sets()["r1"] == ("bug",)
    assert "no label set wins" not in said and "(anonymous)" not in said


def test_an_empty_answer_is_named_by_export_and_task_with_a_label_studio_fix(tmp_path):
    gold = _gold(tmp_path / "gold")
    export = _write(tmp_path / "export3.json", [_task(3, "T00637", [_annotation(31, 2, [])]),
                                                _task(4, "T00638", [_annotation(41, 2, ["bug"])])])
    with pytest.raises(ReviewImportError) as info:
        import_if_multilabel(export, task="tickets", gold_dir=gold, run_dir=None)
    message = str(info.value)
    assert f"{export}: task 3: row 'T00637': user-2 chose no label, and the label space has the none label 'none'" \
        in message
    assert "In Label Studio, answer 'none' on those tasks where none of the other labels applies (or skip the task " \
        "there), then export again" in message
    assert "gold frame" not in message and "write 'none'" not in message
    assert load_multilabel_gold(gold).version == 1  # nothing imported
    # without a none label an empty answer is a valid empty set, and counted
    free = _gold(tmp_path / "free", FREE)
    said = import_if_multilabel(export, task="tickets", gold_dir=free, run_dir=None)
    assert load_multilabel_gold(free).label_sets()["T00637"] == ()
    assert "2 annotation(s) of 2 row(s); 1 with no label chosen" in said


@pytest.fixture
def ml_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = make_ml_project(tmp_path)
    number_review_texts(tmp_path)
    run(load_config(config), progress=False)
    return config


def _queued(folder):
    """Rows of the run's review queue that are not gold rows (those a review export holds)."""
    labels = pd.read_parquet(folder / "out" / "labels.parquet")
    gold = set(load_multilabel_gold(folder / "gold_sets" / "tickets").frame["row_id"])
    return [r for r in labels.loc[labels["review_status"] == "needs_review", "row_id"].astype(str) if r not in gold]


def _cli(capsys, *args):
    from weaksup.cli import main

    with pytest.raises(SystemExit) as done:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return done.value.code or 0, out.out + out.err


def test_the_summary_names_the_config_counts_skips_and_warns_of_queue_rows_in_test(ml_run, tmp_path, capsys):
    queued = _queued(tmp_path)[:3]
    export = _write(tmp_path / "export.json", [
        _task(1, queued[0], [_annotation(11, 1, ["bug"])]),
        _task(2, queued[1], [_annotation(21, 1, ["billing"]), _annotation(22, 2, None, cancelled=True)]),
        _task(3, queued[2], [_annotation(31, 1, None, cancelled=True)])])
    code, said = _cli(capsys, "review", "import", export, "--task", "tickets", "--run", tmp_path / "out",
                      "--split", "test")
    assert code == 0, said
    assert "2 annotation(s) of 2 row(s); left out: 2 cancelled (skipped)" in said
    assert "re-run to use it: weaksup run" in said and str(ml_run) in said and "weaksup run CONFIG" not in said
    assert "2 row(s) new to the test split were picked by the review queue" in said and "--split dev" in said


def test_url_and_config_flags_get_a_reason_that_fits_them(ml_run, tmp_path, capsys):
    row = _queued(tmp_path)[0]
    export = _write(tmp_path / "export.json", [_task(1, row, [_annotation(11, 1, ["bug"])])])
    # the CLI hands both flags to the import: --url looks the annotators up on the server (here: no token)
    code, said = _cli(capsys, "review", "import", export, "--task", "tickets", "--url", "http://localhost:9")
    assert code == 2 and "no Label Studio token" in said and "JSON-MIN export only" not in said
    # given the config itself (the API), it checks the answers' rows against its data and names it to re-run
    stray = _write(tmp_path / "stray.json", [_task(1, "no-such-row", [_annotation(11, 1, ["bug"])])])
    with pytest.raises(ReviewImportError, match=r"1 answered row\(s\) are not rows of the data of --config"):
        import_if_multilabel(stray, task="tickets", gold_dir=None, run_dir=None, config=ml_run)
    said = import_if_multilabel(export, task="tickets", gold_dir=None, run_dir=None, config=ml_run)
    assert f"re-run to use it: weaksup run {ml_run}" in said
    second = _write(tmp_path / "second.json", [_task(1, row, [_annotation(12, 2, ["bug"])])])
    code, said = _cli(capsys, "review", "import", second, "--task", "tickets", "--config", ml_run)  # the CLI passes it
    assert code == 0 and f"re-run to use it: weaksup run {ml_run}" in said
