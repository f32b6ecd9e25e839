"""``weaksup report`` end to end: the printed metrics table, the HTML file, and the MLflow run in ./mlflow.db."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO
from weaksup.models import DEFAULT_MODEL


@pytest.mark.mlflow
@pytest.mark.slow
def test_report_command_prints_metrics_writes_html_and_logs_to_a_local_store(tmp_path):
    from mlflow import MlflowClient

    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}  # no store set: ./mlflow.db
    command = [sys.executable, "-m", "weaksup", "report", "--lf-module",
               str(REPO / "labeling_functions" / "youtube_spam.py"), "--gold", str(REPO / "gold_sets" / "youtube_spam"),
               "--experiment", "cli-test"]
    out = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""

    lines = out.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Label model vs majority vote on the 290 test"))
    assert lines[header + 2].split() == [DEFAULT_MODEL, "MajorityVote", "difference"]
    row = next(line for line in lines if line.startswith("accuracy (all gold rows, abstain = wrong)"))
    model_acc, mv_acc, diff = (float(v) for v in row.split()[-3:])
    assert diff == pytest.approx(model_acc - mv_acc, abs=2e-3)
    assert re.search(rf"{DEFAULT_MODEL} (beats|ties with|is WORSE than) majority vote", out.stdout)

    html = tmp_path / "reports" / "youtube_spam.html"
    assert f"report: {html}" in out.stdout and html.stat().st_size > 10_000
    match = re.search(r"MLflow run ([0-9a-f]{32}) at (sqlite:///\S+)", out.stdout)
    assert match and match.group(2) == f"sqlite:///{tmp_path / 'mlflow.db'}"

    client = MlflowClient(tracking_uri=match.group(2))
    run = client.get_run(match.group(1))
    assert client.get_experiment(run.info.experiment_id).name == "cli-test"
    assert run.data.metrics["test/label_model/accuracy"] == pytest.approx(model_acc, abs=5e-4)
    assert run.data.metrics["test/majority_vote/accuracy"] == pytest.approx(mv_acc, abs=5e-4)
    assert run.data.params["label_model"] == DEFAULT_MODEL and run.data.params["n_rows"] == "1956"
    assert "report.html" in {a.path for a in client.list_artifacts(run.info.run_id)}
    # the references on the test rows: the gold-only classifier beside the final labels, and the verdict
    for key in ("reference/supervised_on_dev/accuracy", "final/accuracy", "final/accuracy_no_votes", "final/ece"):
        assert key in run.data.metrics, key
    page = html.read_text(encoding="utf-8")
    assert "Does weak supervision earn its keep? (290 test gold rows)" in page
    assert re.search(r"weak supervision (adds [+-][0-9.]+ points over|does not beat) training on your 286 gold rows",
                     page)
    assert (tmp_path / "mlruns").is_dir()  # artifacts beside the database, as MLflow's own default
