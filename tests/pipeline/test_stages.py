"""The report stage of a run (:func:`weaksup.pipeline.stages.report_stage`): what the run's report holds of the
labels it wrote, and the metrics it hands to ``run.json`` and MLflow."""

from __future__ import annotations

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
