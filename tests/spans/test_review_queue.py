"""The span review queue shares its budget between the documents the run routed to review (``uncertain_span``) and
the documents with no span at all (``uncovered``: where the entities every LF missed live), as the classification
queue shares it between its reasons, the uncovered ones spread over text clusters; gold documents never go out."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.spans.conftest import TYPES, documents, make_span_project
from weaksup.cli import main
from weaksup.config import load_config
from weaksup.pipeline import run
from weaksup.review.mixing import divisor_split
from weaksup.spans.gold import load_span_gold, write_span_gold
from weaksup.spans.review import export_span_review, import_span_answers, read_span_export

#: Texts no LF of the synthetic project tags (no dictionary term, no word ending in -ine/-in/-ol), in 3 topics.
TOPICS = {"bill": "Your bill for account {k} is due on day {k} .",
          "snow": "Heavy snow expected over the hills near town {k} today .",
          "goal": "The team scored {k} goals at the stadium last week ."}
UNCOVERED = range(100, 130)  # 10 documents of each topic
GOLD_UNCOVERED = range(60, 65)  # test gold documents with no entity


def _topic_text(i: int) -> str:
    names = list(TOPICS)
    return TOPICS[names[i % 3]].format(k=i)


@pytest.fixture(scope="module")
def uncovered_run(tmp_path_factory):
    """A spans run of the synthetic project where 30 documents past the gold ones, and 5 test gold documents, name no
    entity (no LF tags anything in them); ``review.threshold = 0.95`` routes most others to review."""
    root = tmp_path_factory.mktemp("uncovered_run")
    config = make_span_project(root, gold=False, extra="[review]\nthreshold = 0.95\n")
    data, spans = documents()
    for i in [*UNCOVERED, *GOLD_UNCOVERED]:
        data.loc[i, "text"] = _topic_text(i)
        spans[i] = []
    data.to_csv(root / "docs.csv", index=False)
    rows = [{"row_id": r, "split": "dev" if i < 40 else "test",
             "spans": [{"start": s, "end": e, "label": t} for s, e, t in spans[i]]}
            for i, r in enumerate(data["row_id"][:80])]
    write_span_gold(rows, root / "gold_sets" / "toy", task="toy", types=TYPES)
    config.write_text(config.read_text(encoding="utf-8") + '[gold]\npath = "gold_sets/toy"\nsplit = "test"\n',
                      encoding="utf-8")
    run(load_config(config, project=root), progress=False)
    return root


def _rows(root):
    return [json.loads(line) for line in (root / "out" / "spans.jsonl").read_text(encoding="utf-8").splitlines()]


def test_documents_with_no_span_share_the_budget_spread_over_their_topics(uncovered_run, tmp_path, capsys):
    rows = {r["row_id"]: r for r in _rows(uncovered_run)}
    none = {i for i, r in rows.items() if not r["spans"] and r["review_status"] == "auto" and int(i[3:]) >= 80}
    assert {f"doc{i:03d}" for i in UNCOVERED} <= none  # the premise: no LF tags the topic documents
    routed = {i for i, r in rows.items() if r["review_status"] == "needs_review" and int(i[3:]) >= 80}
    n, path = export_span_review(uncovered_run / "out", out=tmp_path / "tasks.json", budget=12)
    tasks = json.loads(path.read_text(encoding="utf-8"))
    assert n == len(tasks) == 12  # the budget is respected
    reasons = [t["data"]["review_reason"] for t in tasks]
    uncovered = [t for t in tasks if t["data"]["review_reason"] == "uncovered"]
    uncertain = [t for t in tasks if t["data"]["review_reason"] == "uncertain_span"]
    assert len(uncovered) + len(uncertain) == 12
    gold_texts = {r["text"] for i, r in rows.items() if int(i[3:]) < 80}
    distinct_routed = len({rows[i]["text"] for i in routed} - gold_texts)  # one task per text, none a gold one's
    assert len({rows[i]["text"] for i in none}) == len(none)
    assert [len(uncertain), len(uncovered)] == divisor_split([distinct_routed, len(none)], 12)  # the shares
    assert {t["data"]["row_id"] for t in uncovered} <= none and {t["data"]["row_id"] for t in uncertain} <= routed
    assert all(t["predictions"][0]["result"] == [] for t in uncovered)  # a task with no prediction region
    assert all(t["predictions"][0]["result"] for t in uncertain)
    least = min(min(s["confidence"] for s in rows[i]["spans"]) for i in routed)
    first = next(t for t in tasks if t["data"]["review_reason"] == "uncertain_span")
    assert first["data"]["confidence"] == round(least, 4)  # the least sure routed document leads its reason
    assert reasons.index("uncertain_span") < reasons.index("uncovered") or len(none) > distinct_routed
    topics = {name for t in uncovered for name, shape in TOPICS.items() if shape.split()[1] in t["data"]["text"]}
    assert topics == set(TOPICS)  # spread over the text clusters, not one topic's documents
    assert "queued for: $review_reason" in (tmp_path / "tasks.labeling_config.xml").read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as done:
        main(["review", "export", str(uncovered_run / "out"), "--budget", "12", "--out", str(tmp_path / "t.json")])
    said = capsys.readouterr().out
    assert done.value.code in (0, None)
    assert (f"12 document(s) of the spans run {uncovered_run / 'out'} to review (uncertain_span {len(uncertain)} of "
            f"{distinct_routed}, uncovered {len(uncovered)} of {len(none)})") in said


def test_gold_documents_with_no_span_are_never_exported(uncovered_run, tmp_path):
    gold = load_span_gold(uncovered_run / "gold_sets" / "toy")
    held = set(gold.frame["row_id"])
    rows = _rows(uncovered_run)
    assert {f"doc{i:03d}" for i in GOLD_UNCOVERED} <= {r["row_id"] for r in rows if not r["spans"]}  # the premise
    n, path = export_span_review(uncovered_run / "out", out=tmp_path / "tasks.json", budget=1000)
    tasks = json.loads(path.read_text(encoding="utf-8"))
    queued = {t["data"]["row_id"] for t in tasks}
    assert n == len(tasks) and not queued & held
    assert {f"doc{i:03d}" for i in UNCOVERED} <= queued  # a budget over every candidate takes them all
    gold_texts = {r["text"] for r in rows if r["row_id"] in held}
    assert not {t["data"]["text"] for t in tasks} & gold_texts


def test_answers_to_uncovered_tasks_import_into_the_next_gold_version(uncovered_run, tmp_path):
    n, path = export_span_review(uncovered_run / "out", out=tmp_path / "tasks.json", budget=6)
    tasks = json.loads(path.read_text(encoding="utf-8"))
    assert {t["data"]["review_reason"] for t in tasks} == {"uncertain_span", "uncovered"}
    expected, export = {}, []
    for k, task in enumerate(tasks):
        text, result = task["data"]["text"], [dict(r, origin="prediction") for r in task["predictions"][0]["result"]]
        if task["data"]["review_reason"] == "uncovered":  # the reviewer marks the entity every LF missed
            word = text.split()[1]
            start = text.index(word)
            result = [{"from_name": "label", "to_name": "text", "type": "labels",
                       "value": {"start": start, "end": start + len(word), "text": word, "labels": ["Chemical"]}}]
        expected[task["data"]["row_id"]] = sorted((r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
                                                  for r in result)
        export.append({"id": 300 + k, "data": task["data"], "predictions": task["predictions"],
                       "annotations": [{"completed_by": 1, "result": result}]})
    file = tmp_path / "export.json"
    file.write_text(json.dumps(export), encoding="utf-8")
    import shutil

    gold_dir = shutil.copytree(uncovered_run / "gold_sets" / "toy", tmp_path / "gold")
    gold = import_span_answers(read_span_export(file, TYPES), gold_dir, task="toy", types=TYPES,
                               run_dir=uncovered_run / "out")
    assert gold.version == 2 and gold.counts()["dev"] == 40 + len(tasks)
    spans = gold.spans()
    for row_id, want in expected.items():
        assert spans[row_id] == want
    assert any(want and row_id in {t["data"]["row_id"] for t in tasks if t["data"]["review_reason"] == "uncovered"}
               for row_id, want in expected.items())
    assert pd.Series(list(expected)).is_unique
