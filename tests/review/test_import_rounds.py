"""import_answers on a Label Studio 1.23-shaped export: agreement before the conflict policy, accepted pre-fills,
annotators by e-mail, and re-imports that change nothing."""

import json

import pandas as pd
import pytest

from tests.review.helpers import LS_EXPORT, ls_flat
from weaksup.gold import load_gold, write_gold
from weaksup.review import import_answers, read_export

SPACE = ["ham", "spam"]


@pytest.fixture
def gold_dir(tmp_path):
    rows = pd.DataFrame({"row_id": ["g1", "g2"], "label": ["ham", "spam"], "split": ["dev", "test"],
                         "annotator": ["uci", "uci"]})
    write_gold(rows, tmp_path / "gold", task="yt", label_space=SPACE)
    return tmp_path / "gold"


@pytest.mark.parametrize("policy", ["keep", "skip"])
def test_agreement_counts_every_answer_before_the_conflict_policy(gold_dir, policy):
    result = import_answers(read_export(LS_EXPORT, SPACE), gold_dir, task="yt", on_conflict=policy)
    a = result.agreement
    assert a.n_items == 10 and a.n_annotators == 2
    assert a.raw_agreement == pytest.approx(0.8) and a.cohen_kappa == pytest.approx(0.6)
    assert "raw 0.800, Cohen's kappa 0.600" in result.summary()
    kept = set(result.gold.frame["row_id"])
    assert ({"yt-004", "yt-005"} <= kept) == (policy == "keep")  # the two disagreements


def test_origin_is_kept_per_answer_and_reported(gold_dir):
    result = import_answers(read_export(LS_EXPORT, SPACE), gold_dir, task="yt")
    frame = load_gold(gold_dir).frame.set_index(["row_id", "annotator"])
    assert frame.loc[("yt-000", "user-4"), "origin"] == "prediction"
    assert frame.loc[("yt-004", "user-5"), "origin"] == "prediction-changed"
    assert frame.loc[("yt-008", "user-5"), "origin"] == "manual"
    assert frame.loc[("g1", "uci"), "origin"] == ""  # the earlier gold has none
    table = result.prefill.per_annotator.set_index("annotator")
    assert table.loc["user-4", ["answers", "accepted", "edited"]].tolist() == [11, 11, 0]
    assert table.loc["user-5", ["answers", "accepted", "edited"]].tolist() == [10, 6, 4]
    assert table.loc["user-5", "acceptance_rate"] == pytest.approx(0.6)
    by = result.prefill.by_origin
    # accepted: user 4's 10 paired answers (8 agree) + user 5's 6 (all agree); edited: 2 of 4 agree
    assert by.loc["accepted", ["pairs", "agree_with_others"]].tolist() == [16, pytest.approx(14 / 16)]
    assert by.loc["edited", ["pairs", "agree_with_others"]].tolist() == [4, pytest.approx(0.5)]
    assert by.loc["edited", "with_final"] == 2  # yt-004/yt-005 tie: no final label
    text = result.summary()
    assert "17 of 21 answer(s) accepted the suggestion unchanged (81.0%): user-4 100.0% (11/11), " \
           "user-5 60.0% (6/10)" in text
    assert "edited answers (4): agree with other annotators 0.500 (4 pair(s))" in text


def test_flat_exports_say_the_origin_is_unknown(gold_dir, tmp_path):
    json_min, _ = ls_flat(LS_EXPORT, tmp_path)
    result = import_answers(read_export(json_min, SPACE), gold_dir, task="yt")
    assert result.prefill.known == 0 and "origin of the 21 answer(s) is unknown" in result.summary()
    assert "origin" not in load_gold(gold_dir).frame  # nothing to keep


def test_same_export_twice_in_any_format_is_a_no_op(gold_dir, tmp_path):
    first = import_answers(read_export(LS_EXPORT, SPACE), gold_dir, task="yt")
    manifest = (gold_dir / "manifest.json").read_text()
    files = sorted(p.name for p in gold_dir.iterdir())
    for path in (LS_EXPORT, *ls_flat(LS_EXPORT, tmp_path)):
        again = import_answers(read_export(path, SPACE), gold_dir, task="yt")
        assert not again.changed and again.gold.version == first.gold.version == 2
        assert again.gold.hash == first.gold.hash
        assert f"unchanged at v2 (hash {first.gold.hash}" in again.summary() and "no new version" in again.summary()
    assert (gold_dir / "manifest.json").read_text() == manifest and sorted(p.name for p in gold_dir.iterdir()) == files


def test_emails_from_the_export_or_a_user_lookup(gold_dir, tmp_path):
    tasks = json.loads(LS_EXPORT.read_text())
    for task in tasks:
        for ann in task["annotations"]:
            if ann["completed_by"] == 4:
                ann["created_username"] = " ann@lab.org, 4"  # what some exports and the API carry
    (tmp_path / "named.json").write_text(json.dumps(tasks))
    named = read_export(tmp_path / "named.json", SPACE)
    assert set(named.frame["annotator"]) == {"ann@lab.org", "user-5"}
    looked_up = read_export(LS_EXPORT, SPACE, annotators={4: "ann@lab.org", "5": "bo@lab.org"})
    assert set(looked_up.frame["annotator"]) == {"ann@lab.org", "bo@lab.org"}
    _, csv_path = ls_flat(LS_EXPORT, tmp_path)
    assert set(read_export(csv_path, SPACE, annotators={4: "ann@lab.org"}).frame["annotator"]) == {"ann@lab.org",
                                                                                                  "user-5"}
    # imported by user id first, then by e-mail: the same people, not two more annotators
    import_answers(read_export(LS_EXPORT, SPACE), gold_dir, task="yt")
    result = import_answers(looked_up, gold_dir, task="yt")
    assert result.renamed == {"user-4": "ann@lab.org", "user-5": "bo@lab.org"} and result.gold.version == 3
    assert set(result.gold.frame["annotator"]) == {"uci", "ann@lab.org", "bo@lab.org"}
    assert len(result.gold) == 2 + 21 and result.agreement.n_items == 10
    assert "user-4 -> ann@lab.org" in result.summary()



def _by_email(tmp_path, name, emails=None):
    """LS_EXPORT with ``completed_by`` as the user object (id and e-mail) for the users in ``emails``."""
    emails = emails if emails is not None else {4: "ann@lab.org", 5: "bo@lab.org"}
    tasks = json.loads(LS_EXPORT.read_text())
    for task in tasks:
        for ann in task["annotations"]:
            if ann["completed_by"] in emails:
                ann["completed_by"] = {"id": ann["completed_by"], "email": emails[ann["completed_by"]]}
    (tmp_path / name).write_text(json.dumps(tasks))
    return tmp_path / name


def test_one_project_imported_by_email_then_by_user_id_counts_each_annotator_once(gold_dir, tmp_path):
    # the JSON export names users by e-mail; JSON-MIN and CSV of the same project by id: the same 21 answers
    first = import_answers(read_export(_by_email(tmp_path, "named.json"), SPACE), gold_dir, task="yt")
    assert first.gold.version == 2 and len(first.gold) == 2 + 21
    for path in ls_flat(LS_EXPORT, tmp_path):
        again = import_answers(read_export(path, SPACE), gold_dir, task="yt")
        assert not again.changed and again.gold.version == 2 and len(again.gold) == 2 + 21
        assert set(again.gold.frame["annotator"]) == {"uci", "ann@lab.org", "bo@lab.org"}
        assert again.agreement.n_annotators == 2 and again.agreement.n_items == 10
        assert again.renamed == {"user-4": "ann@lab.org", "user-5": "bo@lab.org"}
    frame = load_gold(gold_dir).frame.set_index(["row_id", "annotator"])
    assert frame.loc[("yt-000", "ann@lab.org"), "origin"] == "prediction"  # JSON-MIN's blank origin kept it
    assert frame.loc[("yt-000", "ann@lab.org"), "annotator_id"] == "4"


def test_a_user_named_by_id_and_by_email_in_one_export_is_one_annotator(gold_dir, tmp_path):
    tasks = json.loads(_by_email(tmp_path, "mixed.json").read_text())
    for task in tasks[::2]:  # every other task carries completed_by as the bare id
        for ann in task["annotations"]:
            if isinstance(ann["completed_by"], dict):
                ann["completed_by"] = ann["completed_by"]["id"]
    (tmp_path / "mixed.json").write_text(json.dumps(tasks))
    answers = read_export(tmp_path / "mixed.json", SPACE)
    assert set(answers.frame["annotator"]) == {"ann@lab.org", "bo@lab.org"}
    result = import_answers(answers, gold_dir, task="yt")
    assert result.agreement.n_annotators == 2 and len(result.gold) == 2 + 21


def test_a_gold_set_without_annotation_ids_still_knows_its_answers(gold_dir, tmp_path):
    # a gold set written before weaksup kept Label Studio's ids: the same row, label and time is the same answer
    answers = read_export(_by_email(tmp_path, "named.json"), SPACE)
    old = load_gold(gold_dir).frame[["row_id", "label", "split", "annotator", "timestamp"]]
    new = answers.frame.assign(split="dev")[["row_id", "label", "split", "annotator", "timestamp"]]
    write_gold(pd.concat([old, new]), gold_dir, task="yt", label_space=SPACE, version=2)
    assert "annotation_id" not in load_gold(gold_dir).frame
    json_min, _ = ls_flat(LS_EXPORT, tmp_path)
    again = import_answers(read_export(json_min, SPACE), gold_dir, task="yt")
    assert not again.changed and set(again.gold.frame["annotator"]) == {"uci", "ann@lab.org", "bo@lab.org"}
