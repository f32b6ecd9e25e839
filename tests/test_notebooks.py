"""The notebooks run top to bottom (executed with a real Jupyter kernel) and each shows what it is for.

Every notebook in notebooks/ runs, each with its own folder as the working directory (as Jupyter and nbclient
do when a notebook is opened): a notebook that needs the project folder finds it from there.

A notebook ends with a cell printing ``RESULT {json}``; each notebook's check reads that line and its outputs.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def _outputs(notebook) -> list[dict]:
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]


def _result(outputs: list[dict]) -> dict:
    lines = [line for o in outputs if o.get("output_type") == "stream"
             for line in o.get("text", "").splitlines() if line.startswith("RESULT ")]
    assert lines, "the notebook printed no RESULT line"
    return json.loads(lines[-1].removeprefix("RESULT "))


def _check_write_labeling_functions(outputs: list[dict]) -> None:
    result = _result(outputs)
    assert result["n_lfs"] >= 8 and result["coverage"] > 0.7
    assert result["dev_label_model_acc"] > result["dev_majority_vote_acc"]  # out-of-fold on dev
    assert result["test_label_model_acc"] > 0.86 and result["test_end_model_acc"] > 0.86  # Snorkel's label model
    assert result["export_same_votes"] is True
    cache = result["cache"]
    assert cache["misses"] == cache["size"] and cache["hits"] >= 1  # every LF version applied once, then reused
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("<mark>" in page and "LFPreview" not in page for page in html)  # previews highlight the match
    assert any("Label model vs majority vote" in page for page in html)  # the summary
    assert any("clusters of" in page for page in html)  # the cluster view


def _check_label_quality_report(outputs: list[dict]) -> None:
    result = _result(outputs)
    assert result["n_runs"] == 2 and result["best_run"] == "default-label-model"
    accuracy = result["accuracy"]
    assert accuracy["default-label-model"] > accuracy["majority-vote"]
    assert result["store_in_temp"] is True and result["same_gold_hash"] is True
    assert 0 <= result["ece"] < 0.2
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the reliability diagram


def _check_batch_labeling(outputs: list[dict]) -> None:
    result = _result(outputs)
    assert result["rows"] == 1956 and result["ids_in_order"] is True
    assert set(result["statuses"]) == {"auto", "needs_review", "reviewed"} and result["statuses"]["reviewed"] == 286
    assert result["test_accuracy"] > 0.86 and result["queue"] == result["tasks"] == 10


def _check_spans(outputs: list[dict]) -> None:
    result = _result(outputs)
    assert result["n_docs"] == 1500 and result["n_lfs"] >= 8
    assert set(result["kinds"]) >= {"gazetteer", "span_regex", "token_pattern", "span_generic"}
    assert result["dev_lf_precision_min"] > 0.6  # every example LF, on the dev split it was written on
    assert result["test_mv_f1"] > 0.7 and result["test_label_model_f1"] > 0.7  # exact-match entity F1 on test
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("SpanPreview of drugs@" in page and "<mark" in page for page in html)  # spans highlighted
    text = "".join(o.get("text", "") if o.get("output_type") == "stream" else o.get("data", {}).get("text/plain", "")
                   for o in outputs)
    assert "|Disease]" in text and "|Chemical]" in text  # the text view marks [spans|Type]


def _check_timeseries(outputs: list[dict]) -> None:
    result = _result(outputs)
    assert result["n_frames"] == 7705 and result["window_ids_unique"] and result["refused_other_unit"]
    assert result["unit"] == "row" and result["label_model"] == "TemporalLabelModel"
    assert result["temporal_test_f1"] > 0.8 and result["relabeled_test_frames"] > 0  # the order changed labels


def _check_images(outputs: list[dict]) -> None:
    result = _result(outputs)
    assert result["n_images"] == 200 and result["n_dev"] == 100 and set(result["kinds"]) == {"affinity", "generic"}
    assert result["prototypes_per_class"] <= 10 and result["dev_lf_acc_min"] > 0.85  # every LF, on dev
    assert result["test_accuracy"] >= 0.9 and result["test_accuracy"] >= result["test_majority_vote"]
    assert result["review_tasks"] > 0 and result["task_image"] == "data:image/png;base64,"  # the image inline
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the images shown


def _check_audio(outputs: list[dict]) -> None:
    result = _result(outputs)
    assert result["n_rows"] == 430 and result["n_lfs"] >= 7 and set(result["kinds"]) == {"affinity", "generic"}
    assert result["dev_label_model"] > result["dev_majority_vote"]  # out of fold on the dev speaker
    assert result["test_end_model"] > result["test_label_model"] > result["test_majority_vote"] > 0.3  # chance 0.1
    assert set(result["per_speaker"]) == {"theo", "yweweler", "george", "lucas"}
    assert result["review_tasks"] == 10 and result["task_audio"] == "data:audio/wav;base64,"  # the WAV inline


CHECKS = {
    "01_write_labeling_functions.ipynb": _check_write_labeling_functions,
    "02_batch_labeling.ipynb": _check_batch_labeling,
    "03_label_quality_report.ipynb": _check_label_quality_report,
    "05_spans.ipynb": _check_spans,
    "06_images.ipynb": _check_images,
    "07_audio.ipynb": _check_audio,
    "08_timeseries.ipynb": _check_timeseries,
}


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path):
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        f"{path.name}: outputs must be stripped before commit"
    # the notebook's own folder as the working directory, as Jupyter opens it (never the repository root)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = _outputs(notebook)
    errors = [f"{o['ename']}: {o['evalue']}" for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors
    check = CHECKS.get(path.name)
    if check is not None:
        check(outputs)
