"""Logging a report to MLflow: a round trip through a real ``mlflow server``, an unreachable server, local stores,
the tracking scope."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.report.helpers import youtube_quality_report
from tests.tracking.conftest import free_port
from weaksup.errors import TrackingError
from weaksup.tracking import check_tracking, local_store_uri, log_report

pytestmark = pytest.mark.mlflow


@pytest.fixture(scope="module")
def youtube_report(youtube, youtube_registry):
    report, gold = youtube_quality_report(youtube, youtube_registry)
    yield report, gold
    report.close()


def test_round_trip_through_a_real_mlflow_server(mlflow_server, youtube_report, monkeypatch, tmp_path):
    import mlflow
    from mlflow import MlflowClient

    report, gold = youtube_report
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    assert mlflow.get_tracking_uri() == mlflow_server, "something pinned the tracking URI in this process"
    client = MlflowClient(tracking_uri=mlflow_server)
    experiment = client.create_experiment("weaksup-round-trip")
    with mlflow.start_run(experiment_id=experiment) as active:
        run_id = log_report(report, gold=gold, strict=True)
    assert run_id == active.info.run_id  # logged into the active run

    run = client.get_run(run_id)
    assert run.data.params == report.params
    assert run.data.params["gold_hash"] == gold.hash and run.data.params["lf.kw_subscribe"]
    expected = report.metrics()
    assert set(run.data.metrics) == set(expected)
    for key in ("coverage_all_rows", "test/coverage", "lf/re_link/coverage", "test/label_model/accuracy", "test/majority_vote/accuracy",
                "test/label_model/ece", "test/majority_vote/macro_f1"):
        assert run.data.metrics[key] == pytest.approx(expected[key])
    assert run.data.tags["weaksup.gold_hash"] == gold.hash
    assert run.data.tags["weaksup.rule_version"] == report.params["rule_version"]

    top = {a.path for a in client.list_artifacts(run_id)}
    assert {"report.html", "lf_manifest.json", "lf_summary.json", "metrics.json", "figures"} <= top
    figures = sorted(Path(a.path).name for a in client.list_artifacts(run_id, "figures"))
    assert figures == sorted(f"{name}.png" for name in report.build_figures())
    html = Path(client.download_artifacts(run_id, "report.html", str(tmp_path))).read_text(encoding="utf-8")
    assert html == report.to_html()
    manifest = json.loads(Path(client.download_artifacts(run_id, "lf_manifest.json", str(tmp_path))).read_text())
    assert [lf["name"] for lf in manifest["lfs"]] == [m["name"] for m in report.manifest]
    assert {"kind", "params", "version"} <= set(manifest["lfs"][0])
    table = json.loads(Path(client.download_artifacts(run_id, "lf_summary.json", str(tmp_path))).read_text())
    assert "Emp. Acc." in table["columns"] and len(table["data"]) == len(report.summary)
    inputs = run.inputs.dataset_inputs
    assert [(i.dataset.digest, i.tags[0].value) for i in inputs] == [(gold.hash, "evaluation")]


def test_unreachable_server_warns_or_raises_quickly(youtube_report, monkeypatch, caplog):
    report, gold = youtube_report
    uri = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert log_report(report, gold=gold) is None
    assert "the run was NOT logged to MLflow" in caplog.text and "unreachable" in caplog.text
    with pytest.raises(TrackingError, match=r"unreachable.*mlflow server --host 127\.0\.0\.1"):
        log_report(report, strict=True)


def test_check_tracking_on_local_stores(tmp_path):
    assert check_tracking(local_store_uri(tmp_path)) == f"sqlite:///{tmp_path / 'mlflow.db'}"
    with pytest.raises(TrackingError, match="is missing or not writable"):
        check_tracking(f"sqlite:///{tmp_path / 'nowhere' / 'mlflow.db'}")
    assert check_tracking(f"file://{tmp_path / 'mlruns'}").startswith("file://")


def _report_in_process(out: Path, *extra: str) -> int:
    """``weaksup report`` on the example in this process (the tests request ``youtube_registry``, which has
    imported the LF modules already, so this is fast); the report and its run folder go to ``out``'s folder."""
    from weaksup.cli import main

    with pytest.raises(SystemExit) as info:
        main(["report", "--gold", str(REPO / "gold_sets" / "youtube_spam"), "--out", str(out), *extra])
    return info.value.code


def test_require_tracking_fails_before_any_work(youtube_registry, tmp_path, monkeypatch, capsys):
    uri = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert _report_in_process(tmp_path / "r.html", "--require-tracking") == 2
    out = capsys.readouterr()
    assert f"MLflow tracking server {uri} is unreachable" in out.err and "nothing was run" in out.err
    assert not (tmp_path / "r.html").exists() and out.out == ""


def test_unreachable_tracking_still_writes_the_report(youtube_registry, tmp_path, monkeypatch, capsys):
    uri = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert _report_in_process(tmp_path / "r.html") == 0
    out = capsys.readouterr()
    assert "is unreachable" in out.err and "this run will NOT be logged to MLflow" in out.err
    assert (tmp_path / "r.html").exists() and "accuracy (all gold rows, abstain = wrong)" in out.out
    assert "MLflow run" not in out.out


def test_tracking_scope_puts_the_uri_and_the_variable_back(tmp_path, monkeypatch):
    import mlflow

    from weaksup.tracking import tracking_scope

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    before = mlflow.get_tracking_uri()
    with tracking_scope():
        mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'other.db'}")
        os.environ["MLFLOW_TRACKING_URI"] = "elsewhere"
    assert mlflow.get_tracking_uri() == before and "MLFLOW_TRACKING_URI" not in os.environ
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5999")
    assert mlflow.get_tracking_uri() == "http://127.0.0.1:5999"  # not pinned: the variable still counts
    pinned = f"sqlite:///{tmp_path / 'pinned.db'}"
    mlflow.set_tracking_uri(pinned)
    os.environ["MLFLOW_TRACKING_URI"] = "http://127.0.0.1:5998"
    with tracking_scope():
        mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'other.db'}")
    assert mlflow.get_tracking_uri() == pinned and os.environ["MLFLOW_TRACKING_URI"] == "http://127.0.0.1:5998"
    mlflow.set_tracking_uri(None)


def test_tracking_scope_gives_mlflow_and_alembic_their_logger_levels_back():
    import logging

    from weaksup.tracking import tracking_scope

    chatty = [logging.getLogger("mlflow"), logging.getLogger("alembic")]
    before = [log.level for log in chatty]
    for log in chatty:
        log.setLevel(logging.DEBUG)
    try:
        with tracking_scope():
            quiet = logging.getLogger().level > logging.INFO
            assert all(log.level == (logging.WARNING if quiet else logging.DEBUG) for log in chatty)
        assert [log.level for log in chatty] == [logging.DEBUG, logging.DEBUG]
    finally:
        for log, level in zip(chatty, before, strict=True):
            log.setLevel(level)
