"""`weaksup run` on a span config: the outputs per input row, stored votes and their reuse, metrics, bad configs."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import spacy
from spacy.tokens import DocBin

from tests.conftest import REPO
from tests.spans.conftest import TYPES, documents
from weaksup.cli import main
from weaksup.config import load_config
from weaksup.errors import ConfigError, DataError, GoldSetError
from weaksup.pipeline import load_votes, run
from weaksup.registry import Registry
from weaksup.spans.apply import apply_span_lfs
from weaksup.spans.codec import load_span_votes
from weaksup.spans.doc import Span, SpanDoc
from weaksup.spans.export import read_conll
from weaksup.spans.space import SpanSpace
from weaksup.tasks import task_type


def _run(path, *overrides):
    return run(load_config(path, list(overrides)), progress=False)


def cli(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_a_span_run_writes_every_document_in_order_with_spans_docbin_and_conll(span_project, capsys):
    code, out, err = cli(capsys, "run", span_project)
    assert code == 0, err
    root = span_project.parent
    rows = [json.loads(line) for line in (root / "out" / "spans.jsonl").read_text().splitlines()]
    data, truth = documents()
    assert [r["row_id"] for r in rows] == data["row_id"].tolist()  # every input row once, in order
    assert list(rows[0]) == task_type("spans").label_columns(SpanSpace(TYPES))[:len(rows[0])]
    for row, text in zip(rows, data["text"]):
        assert row["text"] == text
        for s in row["spans"]:
            assert s["label"] in TYPES and 0 <= s["confidence"] <= 1
            assert row["text"][s["start"]:s["end"]] == " ".join(row["text"].split()[s["token_start"]:s["token_end"]])
    # dev gold documents carry their human spans; the others the model's, routed by confidence or conflict
    by_id = {r["row_id"]: r for r in rows}
    gold = pd.read_json(root / "gold_sets" / "toy" / "spans.jsonl", lines=True)
    for g in gold[gold["split"] == "dev"].itertuples():
        row = by_id[g.row_id]
        assert row["review_status"] == "reviewed" and row["label_source"] == "human"
        assert [(s["start"], s["end"], s["label"]) for s in row["spans"]] == [
            (s["start"], s["end"], s["label"]) for s in g.spans]
    auto = [r for r in rows if r["review_status"] != "reviewed"]
    assert {r["review_status"] for r in auto} == {"auto", "needs_review"}
    for r in auto:
        unsure = any(s["confidence"] < 0.7 for s in r["spans"])
        assert (r["review_status"] == "needs_review") == (unsure or r["conflict"])
    assert any("chem_dict" in s["sources"] for r in rows for s in r["spans"])
    # the summary shows the span metrics beside majority vote; run.json records them and the outputs
    assert "f1" in out and "majority_vote.f1" in out
    manifest = json.loads((root / "out" / "run.json").read_text())
    assert manifest["task_type"] == "spans" and manifest["label_space"] == TYPES
    assert manifest["outputs"]["spans_spacy"] == "spans.spacy" and manifest["outputs"]["spans_conll"] == "spans.conll"
    assert 0.5 < manifest["metrics"]["f1"] <= 1 and "majority_vote.f1" in manifest["metrics"]
    assert manifest["counts"]["labels"]["Chemical"] > 0
    # spans.spacy: one doc per row, the row's spans in the group, non-overlapping ents
    docs = list(DocBin().from_disk(root / "out" / "spans.spacy").get_docs(spacy.blank("en").vocab))
    assert [d.user_data["row_id"] for d in docs] == data["row_id"].tolist()
    for d, row in zip(docs, rows):
        assert sorted((s.start, s.end, s.label_) for s in d.spans["weaksup"]) == sorted(
            (s["token_start"], s["token_end"], s["label"]) for s in row["spans"])
    # spans.conll parses back to the predicted spans (no overlaps among them here)
    back = read_conll(root / "out" / "spans.conll", SpanSpace(TYPES))
    assert len(back) == len(rows)
    for (tokens, spans), row in zip(back, rows):
        assert tokens == row["text"].split()
        assert spans == sorted(Span(s["token_start"], s["token_end"], s["label"]) for s in row["spans"])
    page = (root / "out" / "report.html").read_text()
    assert "span majority vote" in page and "chem_dict" in page and "Chemical" in page


def test_span_votes_are_stored_reused_and_recomputed_per_lf(span_project):
    first = _run(span_project)
    assert first.chunks["computed"] == 4 and first.metrics["f1"] > 0.5
    index = json.loads((span_project.parent / "out" / "votes" / "index.json").read_text())
    assert index["parts"][0]["lf_ids"][-1] == "__doc__@whitespace"
    assert all(lf_id.endswith("#whitespace") for lf_id in index["parts"][0]["lf_ids"][:-1])
    docs, votes = load_span_votes(span_project.parent / "out")  # the stored votes are those of the LFs
    data, _ = documents()
    direct = apply_span_lfs([SpanDoc.from_text(t) for t in data["text"]],
                            Registry.from_modules(str(span_project.parent / "span_lfs.py")).lfs, SpanSpace(TYPES))
    assert votes.row_ids == data["row_id"].tolist() and [d.text for d in docs] == data["text"].tolist()
    assert votes.spans.equals(direct.spans) and votes.lf_ids == [x.partition("@")[0] for x in direct.lf_ids]
    with pytest.raises(DataError, match="load_span_votes"):
        load_votes(span_project.parent / "out")
    again = _run(span_project)
    assert again.chunks["reused"] == 4 and again.chunks["columns_computed"] == 0
    assert again.metrics == first.metrics
    # another tokenizer recomputes everything
    regex = _run(span_project, "task.tokenizer=regex")
    assert regex.chunks["computed"] == 4
    # an edited LF recomputes its own column only
    module = span_project.parent / "span_lfs.py"
    module.write_text(module.read_text().replace('"\\b\\w+(?:ine|in|ol)\\b"', '"\\b\\w+(?:ine|ol)\\b"'))
    edited = _run(span_project, "task.tokenizer=regex")
    assert edited.chunks["columns_computed"] == 4  # one LF column in each of the 4 chunks


def test_a_span_run_summary_never_says_empty_rows_go_to_review(span_project):
    summary = _run(span_project, "end_model.enabled=false").summary()
    assert "a spans run has no end model yet" in summary and "sent to review" not in summary


def test_a_gazetteer_whose_terms_the_task_tokenizer_splits_otherwise_is_refused(span_project, capsys):
    module = span_project.parent / "span_lfs.py"
    module.write_text(module.read_text() + "\nhyphen = gazetteer_lf('hyphen', ['L-dopa'], label='Chemical')\n")
    code, _, err = cli(capsys, "run", span_project, "--set", "task.tokenizer=regex")
    assert code == 2 and "gazetteer LF 'hyphen' splits its terms with the 'whitespace' tokenizer" in err
    assert "tokenizer='regex'" in err


def test_a_span_config_does_not_clean_the_text_by_default(span_project):
    assert load_config(span_project).clean.normalize is False


def test_weaksup_apply_on_a_span_config_prints_the_span_lf_summary(span_project, capsys):
    code, out, err = cli(capsys, "apply", span_project, "--no-progress")
    assert code == 0, err
    assert "token_coverage" in out and "chem_dict" in out and "votes in" in out
    assert (span_project.parent / "out" / "votes" / "index.json").is_file()


@pytest.mark.parametrize(("override", "needle"), [
    ("task.tokenizer=bert", "task.tokenizer = 'bert' is not a tokenizer; choose one of"),
    ("task.scheme=BILOU", "choose \"BIO\" or \"IO\""),
    ("output.path=out/labels.csv", "set output.path to e.g. runs/<task>/spans.jsonl"),
    ("label_model.name=snorkel", "unknown span label model 'snorkel'"),
    ("task.labels=['Chemical']", "add them to task.labels or fix the LF"),
    ("clean.normalize=true", "text cleaning (clean.normalize, clean.mask) would move them off the input"),
    ("clean.mask=['url']", "set clean.normalize = false and clean.mask = []"),
])
def test_bad_span_configs_exit_2_naming_the_fix(span_project, capsys, override, needle):
    code, _, err = cli(capsys, "run", span_project, "--set", override)
    assert code == 2 and needle in err


def test_gold_spans_off_the_tokens_or_unknown_rows_exit_2(span_project, capsys):
    root = span_project.parent
    path = root / "gold_sets" / "toy" / "spans.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    first = lines[0]
    first["spans"] = [{**first["spans"][0], "end": first["spans"][0]["end"] - 1}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, _, err = cli(capsys, "run", span_project)
    assert code == 2 and "does not fall on token boundaries" in err and "tokenizer" in err
    assert f"span gold set (dev split): row {first['row_id']!r}" in err  # the row id, not its position
    # a test-split span off the tokens stops the run before any labels are written
    lines[0] = json.loads(path.read_text().splitlines()[0]) | {"spans": []}
    test_row = next(line for line in lines if line["split"] == "test" and line["spans"])
    test_row["spans"] = [{**test_row["spans"][0], "start": test_row["spans"][0]["start"] + 1}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, _, err = cli(capsys, "run", span_project)
    assert code == 2 and f"span gold set (test split): row {test_row['row_id']!r}" in err
    assert not (root / "out" / "spans.jsonl").exists()
    lines[0] = {**lines[0], "row_id": "nope", "spans": []}
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    with pytest.raises(GoldSetError, match="not in the input"):
        _run(span_project)


def test_a_spans_task_needs_span_lfs_and_labels(span_project):
    root = span_project.parent
    (root / "class_lfs.py").write_text("from weaksup import labeling_function\n\n@labeling_function()\n"
                                       "def short(x):\n    return 0 if len(x.text) < 30 else -1\n")
    with pytest.raises(ConfigError, match="is not a span LF"):
        _run(span_project, "lfs.modules=['class_lfs.py']")
    with pytest.raises(ConfigError, match="needs its entity types"):
        _run(span_project, "task.labels=[]")


@pytest.mark.slow
def test_the_shipped_bc5cdr_config_runs(tmp_path, capsys, monkeypatch):
    config = REPO / "configs" / "bc5cdr.toml"
    monkeypatch.chdir(REPO)
    gold = shutil.copytree(REPO / "gold_sets" / "bc5cdr", tmp_path / "gold")
    code, out, err = cli(capsys, "run", config, "--set", f"output.path={tmp_path / 'run' / 'spans.jsonl'}",
                         "--set", f"gold.path={gold}", "--set", "mlflow.enabled=false")
    assert code == 0, err
    manifest = json.loads((tmp_path / "run" / "run.json").read_text())
    print(out)
    assert manifest["metrics"]["f1"] > 0.5 and (tmp_path / "run" / "spans.spacy").is_file()


def test_a_span_run_logs_its_span_metrics_to_mlflow(span_project):
    import mlflow

    uri = f"sqlite:///{span_project.parent / 'mlflow.db'}"
    result = _run(span_project, "mlflow.enabled=true", f"mlflow.tracking_uri={uri}", "mlflow.require=true")
    logged = mlflow.MlflowClient(uri).get_run(result.mlflow_run_id).data.metrics
    assert logged["f1"] == pytest.approx(result.metrics["f1"])
    assert logged["majority_vote.f1"] == pytest.approx(result.metrics["majority_vote.f1"])
    assert {"label_model/type/Chemical/f1", "lf/chem_dict/precision", "coverage_all_rows"} <= set(logged)
    assert "coverage" not in logged


def test_every_gold_span_off_the_tokens_or_off_its_text_is_named_in_one_error(span_project, capsys):
    root = span_project.parent
    path = root / "gold_sets" / "toy" / "spans.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    dev = [line for line in lines if line["split"] == "dev" and line["spans"]][:4]
    for line in dev[:3]:  # three spans that cut a token
        line["spans"] = [{**line["spans"][0], "end": line["spans"][0]["end"] - 1}]
    text_of = dict(zip(*documents(160)[0][["row_id", "text"]].T.to_numpy()))
    span = dev[3]["spans"][0]  # one that says another text than the document's at its offsets
    dev[3]["spans"] = [{**span, "text": text_of[dev[3]["row_id"]][span["start"]:span["end"]] + "x"}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, _, err = cli(capsys, "run", span_project)
    assert code == 2 and "span gold set (dev split) has 4 problems" in err
    for line in dev[:3]:
        assert f"span gold set (dev split): row {line['row_id']!r}" in err
    assert err.count("does not fall on token boundaries") == 3
    assert f"row {dev[3]['row_id']!r}: the span {span['start']}..{span['end']} ({span['label']}) says its text is" in err
    assert not (root / "out" / "spans.jsonl").exists()


def test_a_span_run_writes_the_same_spans_whatever_its_chunks(span_project):
    from weaksup.spans.models import SpanMajorityVote

    root = span_project.parent
    for rows in (7, 50):
        _run(span_project, "label_model.name=majority", f"input.chunk_rows={rows}", f"output.path=c{rows}/spans.jsonl")
    _, votes = load_span_votes(root / "c50")
    shares = SpanMajorityVote().fit(votes).vote_shares(votes)
    assert (np.isclose(shares, shares.max(axis=1, keepdims=True)).sum(axis=1) > 1).sum() > 0  # ties to break
    assert (root / "c7" / "spans.jsonl").read_bytes() == (root / "c50" / "spans.jsonl").read_bytes()


def test_a_span_runs_model_reads_back_and_predicts_what_the_run_wrote(span_project):
    from weaksup.pipeline import load_run
    from weaksup.spans.models_base import SpanLabelModel

    _run(span_project)
    saved = load_run(span_project.parent / "out")
    model = saved.model()
    assert isinstance(model, SpanLabelModel) and type(model).__name__ == "SpanDevSelector"
    _, votes = load_span_votes(saved.run_dir)
    labels = saved.labels
    auto = (labels["label_source"] == "label_model").to_numpy()
    predicted = model.predict(votes.take(np.flatnonzero(auto)))
    assert [[(s.start, s.end, s.label) for s in doc] for doc in predicted] == [
        [(s["token_start"], s["token_end"], s["label"]) for s in spans] for spans in labels["spans"][auto]]
