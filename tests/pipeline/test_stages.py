"""The report stage of a run (:func:`weaksup.pipeline.stages.report_stage`): what the run's report holds of the
labels it wrote, and the metrics it hands to ``run.json`` and MLflow."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from tests.conftest import REPO
from tests.pipeline_project import make_project, write_config
from weaksup.config import load_config
from weaksup.pipeline import run

pytest.importorskip("matplotlib")  # the report's figures

GOLD = str(REPO / "gold_sets" / "youtube_spam")


@pytest.fixture(scope="module")
def gold_run(tmp_path_factory, youtube):
    """The quick project (majority vote, no end model) with the YouTube gold set: dev and test rows."""
    folder = tmp_path_factory.mktemp("stages")
    make_project(folder, youtube)
    return run(load_config(write_config(folder, gold={"path": GOLD}), project=folder), progress=False)


def test_the_runs_calibration_figure_draws_the_written_labels_beside_the_label_model(gold_run):
    """The written (final) labels were only an ECE number in the report; their curve is drawn now, from the
    probabilities the run wrote for the gold test rows, their ECE the references' final ECE."""
    report, refs = gold_run.report, gold_run.references
    written = report.written_evaluation
    assert written is not None and written.metrics is not None and written.n_rows == 290
    assert written.metrics.ece == pytest.approx(refs.ece)
    fig = report.build_figures()["calibration"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert len(legend) == 4 and legend[3].startswith(f"written labels (ECE {refs.ece:.3f} over the ")
    np.testing.assert_allclose(fig.axes[0].get_lines()[3].get_ydata(), written.metrics.calibration["accuracy"])
    report.close()


#: An LF voting on every row: every gold row then has a vote, and no row defines the accuracy on rows with none.
EVERY_ROW_LF = """
from weaksup import labeling_function

@labeling_function(fields=["text"])
def every_row(x):
    return 1 if x.text is not None and ("http" in x.text or "check" in x.text) else 0
"""


def test_with_a_vote_on_every_gold_row_no_metric_is_nan_and_the_page_says_why(tmp_path, youtube):
    """The tennis and fsdd runs (100% coverage) printed ``accuracy_no_votes nan`` and wrote NaN to run.json and
    MLflow; such a metric is left out now, as the references leave theirs out, and tables show "–"."""
    make_project(tmp_path, youtube)
    (tmp_path / "every_row.py").write_text(EVERY_ROW_LF, encoding="utf-8")
    config = load_config(write_config(tmp_path, gold={"path": GOLD}, lfs={"modules": ["quick_lfs.py", "every_row.py"]},
                                      output={"report": True}), project=tmp_path)
    result = run(config, progress=False)
    report = result.report
    assert report.evaluation.model.n_no_votes == 0 and math.isnan(report.evaluation.model.accuracy_no_votes)
    for metrics in (result.metrics, json.loads((result.run_dir / "run.json").read_text())["metrics"],
                    report.metrics()):  # (report.metrics() is what MLflow logs of the report)
        assert all(math.isfinite(v) for v in metrics.values())
    assert "accuracy_no_votes" not in result.metrics and result.metrics["n_no_votes"] == 0
    assert "test/label_model/accuracy_no_votes" not in report.metrics()
    assert "test/label_model/accuracy_voted" in report.metrics()
    page = " ".join(re.sub(r"<[^>]+>", " ", result.report_path.read_text(encoding="utf-8")).split())
    assert not re.search(r"\bnan\b", page, re.IGNORECASE)
    assert "accuracy (rows with no LF vote) – – –" in page
    assert "on the rows with &gt;= 1 LF vote (every row has one)" in page
    assert "nan" not in report.evaluation.formatted().to_string().lower()
    assert "NaN" not in result.references.text() and "NaN" not in "\n".join(result.reference_lines())
