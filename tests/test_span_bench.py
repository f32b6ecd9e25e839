"""benchmarks/span_models.py on small span folders built in tmp_path (CI has no ../shared): the JSON layout,
every model, the default beside majority vote, and a folder without train/test scored on valid."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.conftest import REPO
from tests.spans.test_models import PLANTED, synthetic_docs


def _bench():
    spec = importlib.util.spec_from_file_location("span_bench", REPO / "benchmarks" / "span_models.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def write_folder(folder, splits, lfs, seed):
    folder.mkdir(parents=True)
    names = [f"lf{j}" for j in range(len(lfs))]
    meta = {"lf": names, "entity_types": ["A", "B"], "lf_rec": names[:3]}
    (folder / "meta.json").write_text(json.dumps(meta))
    for k, (split, n_docs) in enumerate(splits.items()):
        docs = synthetic_docs(n_docs, lfs, seed=seed + k)
        data = {str(i): {"data": {"text": [f"w{t}" for t in range(n)]}, "label": [list(s) for s in gold],
                         "weak_labels": [[list(s) for s in spans] for spans in weak]}
                for i, (n, gold, weak) in enumerate(docs)}
        (folder / f"{split}.json").write_text(json.dumps(data))


@pytest.mark.slow
def test_span_bench_json(tmp_path, capsys):
    from weaksup.spans import SPAN_MODELS

    lfs = [*PLANTED, {"recall": 0.9, "shift": 0.9}]
    write_folder(tmp_path / "data" / "synth", {"train": 80, "valid": 60, "test": 60}, lfs, seed=0)
    write_folder(tmp_path / "data" / "only_valid", {"valid": 60}, lfs, seed=10)
    out = tmp_path / "result.json"
    result = _bench().main(["--data", str(tmp_path / "data"), "--json", str(out), "--lfs", "all"])
    saved = json.loads(out.read_text())
    assert saved == result and set(saved) == {"synth", "only_valid"}

    rows = saved["synth"]
    assert set(rows) == {*SPAN_MODELS, "majority (WRENCH ties)", "default"}
    for name, row in rows.items():
        assert row["metric"] == "f1" and row["scored_on"] == "test" and row["fitted_on"] == "train"
        assert 0 <= row["test"] <= 100 and row["fit_s"] >= 0 and 0 <= row["ece"] <= 1
        # (WRENCH's majority vote is a published reference: scored on test only)
        assert 0 <= row["valid"] <= 100 if name != "majority (WRENCH ties)" else "valid" not in row
    assert rows["default"]["model"] == "dev_select" and rows["default"]["chosen"] != "majority"
    assert rows["default"]["test"] > rows["majority"]["test"] + 5
    assert rows["default"]["ece"] < rows["majority"]["ece"]

    only = saved["only_valid"]  # no train, no test: fitted on valid's votes, scored on valid (out-of-fold)
    assert set(only) == set(rows)
    assert all(r["scored_on"] == "valid" and r["fitted_on"] == "valid" and "valid" in r for r in only.values())
    printed = capsys.readouterr().out
    assert "only_valid (fitted on valid, scored on valid" in printed and "default (" in printed


def test_span_bench_rec_lfs(tmp_path):
    write_folder(tmp_path / "synth", {"train": 40, "test": 40}, PLANTED, seed=3)  # no valid: no dev-aware model
    result = _bench().main(["--data", str(tmp_path), "--lfs", "rec"])
    rows = result["synth"]
    assert set(rows) == {"majority", "majority (WRENCH ties)", "dawid_skene", "hmm", "default"}
    assert rows["default"]["model"] == "hmm" and "valid" not in rows["default"]
