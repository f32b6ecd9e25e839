"""A labeling run as one MLflow run: the shipped example logged to a real ``mlflow server`` (its label model loaded
back as a pyfunc, its datasets, git tags, name and description), and a run whose logging fails part-way."""

from __future__ import annotations

import contextlib
import os
import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from tests.pipeline_project import make_project, write_config
from tests.tracking.conftest import orphan_folders
from weaksup.config import load_config
from weaksup.errors import TrackingError
from weaksup.pipeline import load_run, load_votes, run
from weaksup.pipeline.manifest import fingerprint
from weaksup.tracking import local_store_uri, run_description, run_name

pytestmark = pytest.mark.mlflow


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout


@pytest.mark.slow
def test_the_shipped_example_logged_to_a_real_server_loads_back_as_a_pyfunc_model(mlflow_server, mlflow_server_folder,
                                                                                     youtube_registry, tmp_path,
                                                                                     monkeypatch):
    """The example's run (end model off, so the labels' probabilities are the label model's) logged to a real
    ``mlflow server``; ``runs:/<id>/label_model`` loaded back predicts the probabilities the labels file holds.
    (``youtube_registry`` has imported the example's LF module already: the run reuses it.)"""
    import mlflow
    from mlflow import MlflowClient

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    config = load_config(REPO / "configs" / "youtube_spam.toml",
                         [f"output.path={tmp_path / 'yt' / 'labels.parquet'}", "end_model.enabled=false",
                          f"mlflow.tracking_uri={mlflow_server}", "mlflow.experiment=weaksup-model",
                          "mlflow.require=true"], project=REPO)
    dirty_before = bool(_git("status", "--porcelain", "--", "."))
    result = run(config, progress=False)
    assert result.mlflow_run_id is not None
    client = MlflowClient(mlflow_server)
    logged = client.get_run(result.mlflow_run_id)
    gold = load_run(result.run_dir).manifest["gold"]
    assert logged.info.status == "FINISHED"
    assert logged.info.run_name == f"youtube_spam-{result.rule_version}-gold{gold['version']}"
    note = logged.data.tags["mlflow.note.content"]
    assert "1,956 rows" in note and "label model on the gold test split" in note and "seconds:" not in note

    # the project's git commit and dirty flag
    tags = logged.data.tags
    assert tags["mlflow.source.git.commit"] == _git("rev-parse", "HEAD").strip()
    if dirty_before == bool(_git("status", "--porcelain", "--", ".")):  # (other work may change it meanwhile)
        assert tags["weaksup.git.dirty"] == ("true" if dirty_before else "false")

    # the label model: loaded back from the server, predicting the labels' probabilities from the saved votes
    uri = f"runs:/{result.mlflow_run_id}/label_model"
    with _tracking_uri(mlflow_server):
        model = mlflow.pyfunc.load_model(uri)
        votes = load_votes(result.run_dir).to_frame()
        predicted = model.predict(votes)
        shuffled = model.predict(votes[votes.columns[::-1]].astype("int8"))
        info = mlflow.models.get_model_info(uri)
    labels = pd.read_parquet(result.labels_path).set_index("row_id")
    assert list(predicted.columns) == ["ham", "spam"] and predicted.index.equals(labels.index)
    machine = (labels["review_status"] != "reviewed").to_numpy()  # reviewed rows hold the human label (one-hot)
    assert machine.sum() > 1000
    np.testing.assert_allclose(predicted.to_numpy()[machine], labels[["prob_ham", "prob_spam"]].to_numpy()[machine],
                               atol=1e-12)
    silent = machine & (labels["n_votes"] == 0).to_numpy()
    assert silent.any() and (predicted.to_numpy()[silent] == 0.5).all()  # no votes: uniform, as in the labels
    pd.testing.assert_frame_equal(shuffled, predicted)
    assert info.signature.inputs.input_names() == list(votes.columns)
    assert info.signature.outputs.input_names() == ["ham", "spam"]
    assert info.saved_input_example_info is not None and info.flavors["python_function"]["loader_module"] == \
        "weaksup.tracking.model"

    # the datasets: the gold set (evaluation), the input, the labels (with their digests); the labels artifact
    inputs = {i.tags[0].value: i.dataset for i in logged.inputs.dataset_inputs}
    assert set(inputs) == {"evaluation", "input", "labels"}
    assert inputs["evaluation"].digest == gold["hash"]
    assert inputs["input"].digest == logged.data.params["data_hash"] and '"num_rows": 1956' in inputs["input"].profile
    assert inputs["labels"].digest == fingerprint(result.labels_path)["sha256_sample"][:16]
    assert str(result.labels_path) in inputs["labels"].source and '"num_rows": 1956' in inputs["labels"].profile
    copy = Path(client.download_artifacts(result.mlflow_run_id, "labels/labels.parquet", str(tmp_path)))
    assert copy.read_bytes() == result.labels_path.read_bytes()
    experiment = logged.info.experiment_id
    assert orphan_folders(client, mlflow_server_folder / "artifacts" / experiment) == []


@contextlib.contextmanager
def _tracking_uri(uri: str) -> Iterator[None]:
    """MLflow pointed at ``uri`` for a block (``runs:/`` URIs resolve against the tracking store)."""
    import mlflow

    from weaksup.tracking import tracking_scope

    with tracking_scope():
        mlflow.set_tracking_uri(uri)
        yield


def _quick_run(project: Path, db: Path, experiment: str, **mlflow_settings):
    config = write_config(project, output={"path": "out/labels.parquet", "report": True},
                          mlflow={"enabled": True, "tracking_uri": local_store_uri(db), "experiment": experiment,
                                  **mlflow_settings})
    return run(load_config(config), progress=False)


@pytest.fixture
def quick_project(tmp_path, youtube, monkeypatch):
    (tmp_path / "project").mkdir()
    project = make_project(tmp_path / "project", youtube)
    monkeypatch.chdir(project)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    (tmp_path / "db").mkdir()
    return project


def test_a_sqlite_store_keeps_its_artifacts_beside_the_database_not_in_the_working_folder(quick_project, tmp_path):
    from mlflow import MlflowClient

    result = _quick_run(quick_project, tmp_path / "db", "weaksup-quick")
    client = MlflowClient(local_store_uri(tmp_path / "db"))
    logged = client.get_run(result.mlflow_run_id)
    assert logged.info.status == "FINISHED" and logged.info.run_name == f"yt-{result.rule_version}"  # no gold set
    artifacts = tmp_path / "db" / "mlruns" / "weaksup-quick"
    assert (artifacts / result.mlflow_run_id / "artifacts" / "labels" / "labels.parquet").is_file()
    assert len(list((artifacts / "models").iterdir())) == 1
    assert not (quick_project / "mlruns").exists()  # MLflow's own default: ./mlruns of the working folder
    experiment = client.get_experiment_by_name("weaksup-quick")
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"  # the UI's runs table, not GenAI
    assert orphan_folders(client, artifacts) == []


@pytest.mark.parametrize("require", [False, True])
def test_a_run_whose_logging_fails_part_way_is_failed_and_owns_what_it_logged(quick_project, tmp_path, require,
                                                                             caplog):
    """The experiment's ``models`` folder is a file, so logging the label model fails (an OS error, as on a full
    or broken disk) after the run has logged its params and ``run.json``: the MLflow run is FAILED, says why, and
    owns its artefact folder; the labels are published (a warning), or not with ``mlflow.require``."""
    from mlflow import MlflowClient

    uri = local_store_uri(tmp_path / "db")
    client = MlflowClient(uri)
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    (artifacts / "models").write_text("not a folder")
    client.create_experiment("broken", artifact_location=artifacts.as_uri())
    if require:
        with pytest.raises(TrackingError, match="logging the run to MLflow failed"):
            _quick_run(quick_project, tmp_path / "db", "broken", require=True)
        assert not (quick_project / "out" / "labels.parquet").exists()
    else:
        with caplog.at_level(logging.WARNING, logger="weaksup"):
            result = _quick_run(quick_project, tmp_path / "db", "broken")
        assert result.mlflow_run_id is None and result.labels_path.exists()
        assert "the run was NOT logged to MLflow (its MLflow run, if started, is FAILED)" in caplog.text
    (failed,) = client.search_runs([client.get_experiment_by_name("broken").experiment_id])
    assert failed.info.status == "FAILED"
    assert "weaksup.failure" in failed.data.tags and failed.data.params["config.task.name"] == "yt"
    assert (artifacts / failed.info.run_id / "artifacts" / "run.json").is_file()  # logged before the model failed
    assert orphan_folders(client, artifacts) == ["models"]  # (the file this test planted)


def test_run_names_change_with_the_gold_version_and_the_description_is_the_summary():
    assert run_name("spam", "abc", 1) != run_name("spam", "abc", 2) == "spam-abc-gold2"
    text = run_description("spam", "10 rows\nlabels: a.csv\nseconds: setup 1.0")
    assert "10 rows" in text and "labels: a.csv" in text and "seconds" not in text


def test_a_run_left_running_by_a_killed_process_is_ended_killed_by_the_next_run(quick_project, tmp_path):
    # a SIGKILL while MLflow logged left a half-filled run RUNNING for ever: the next run ended nothing
    import socket

    from mlflow import MlflowClient

    from weaksup._io import process_identity
    from weaksup.tracking.run import FAILURE_TAG, HOST_TAG, PID_TAG, PROCESS_TAG

    client = MlflowClient(local_store_uri(tmp_path / "db"))
    experiment = client.create_experiment("orphans")
    gone = subprocess.Popen(["true"])
    gone.wait()  # its pid is free: the process that "logged" is dead
    host = socket.gethostname()
    orphan = client.create_run(experiment, tags={HOST_TAG: host, PID_TAG: str(gone.pid)}).info.run_id
    alive = client.create_run(experiment, tags={HOST_TAG: host, PID_TAG: "1"}).info.run_id  # pid 1 runs
    elsewhere = client.create_run(experiment, tags={HOST_TAG: host + "-other", PID_TAG: str(gone.pid)}).info.run_id
    foreign = client.create_run(experiment).info.run_id  # no weaksup tags: another tool's run
    namespace = process_identity(os.getpid()).partition("|")[0]
    # pid 1 is alive here, but it started at another time than the process that logged: the pid was reused
    reused = client.create_run(experiment, tags={HOST_TAG: host, PID_TAG: "1", PROCESS_TAG: f"{namespace}|1"})
    # a dead pid here, logged from another pid namespace (a container sharing the host name): maybe alive there
    container = client.create_run(experiment, tags={HOST_TAG: host, PID_TAG: str(gone.pid),
                                                    PROCESS_TAG: "pid:[1]|5"})
    live = client.create_run(experiment, tags={HOST_TAG: host, PID_TAG: "1", PROCESS_TAG: process_identity(1)})
    result = _quick_run(quick_project, tmp_path / "db", "orphans")
    ended = client.get_run(orphan)
    assert ended.info.status == "KILLED" and f"pid {gone.pid} on {host}" in ended.data.tags[FAILURE_TAG]
    assert client.get_run(reused.info.run_id).info.status == "KILLED"
    assert [client.get_run(r).info.status for r in (alive, elsewhere, foreign, container.info.run_id,
                                                    live.info.run_id)] == ["RUNNING"] * 5
    logged = client.get_run(result.mlflow_run_id)
    assert logged.info.status == "FINISHED" and logged.data.tags[HOST_TAG] == host
    assert logged.data.tags[PID_TAG] == str(os.getpid()) and logged.data.tags[PROCESS_TAG] == process_identity(os.getpid())


def _artifact_bytes(uri: str, run_id: str, path: str, folder: Path) -> bytes:
    from mlflow import MlflowClient

    return Path(MlflowClient(uri).download_artifacts(run_id, path, str(folder))).read_bytes()


def test_the_logged_run_json_is_the_run_folders_byte_for_byte(quick_project, tmp_path):
    # it was the manifest before the MLflow run id: "mlflow": {"uri": null, "run_id": null}, "fingerprints": null and
    # no "mlflow" timing, so the labels' sha256_sample (the labels dataset's digest) was not in the logged run.json
    result = _quick_run(quick_project, tmp_path / "db", "weaksup-manifest")
    logged = _artifact_bytes(local_store_uri(tmp_path / "db"), result.mlflow_run_id, "run.json", tmp_path / "dl")
    assert logged == (result.run_dir / "run.json").read_bytes()
    manifest = load_run(result.run_dir).manifest
    assert manifest["mlflow"]["run_id"] == result.mlflow_run_id and "mlflow" in manifest["timings"]
    assert manifest["fingerprints"]["labels.parquet"] == fingerprint(result.labels_path)


def test_a_report_logs_the_config_params_a_run_of_the_same_settings_does_under_its_own_stage_and_name(
        youtube, tmp_path, monkeypatch, capsys):
    """`weaksup report` with the flags equal to a run config's settings: the same ``config.*`` params but the
    output paths (each writes its own folder). They differed in ``gold.path`` and ``input.path`` (absolute from
    the flags, relative in the config) and ``task.labels`` ([] from the flags: the gold set's), and the report's
    run was tagged ``weaksup.stage = run`` under the run's own name."""
    import shutil

    from mlflow import MlflowClient

    from weaksup.cli import main

    (tmp_path / "project").mkdir()
    project = make_project(tmp_path / "project", youtube)
    shutil.copytree(REPO / "gold_sets" / "youtube_spam", project / "gold_sets" / "youtube_spam")
    monkeypatch.chdir(project)
    uri = local_store_uri(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    config = write_config(project, task={"name": "youtube_spam", "labels": ["ham", "spam"]},
                          input={"chunk_rows": 250_000}, gold={"path": "gold_sets/youtube_spam", "split": "test"},
                          output={"path": "runs/youtube_spam/labels.parquet", "report": True},
                          mlflow={"enabled": True, "experiment": "same-settings"})
    outputs = []
    for argv in (["run", str(config), "--no-progress"],
                 ["report", "--lf-module", "quick_lfs.py", "--data", "comments.csv", "--gold", "gold_sets/youtube_spam",
                  "--label-model", "MajorityVote", "--no-end-model", "--experiment", "same-settings"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        out = capsys.readouterr()
        assert info.value.code in (0, None), out.err
        outputs.append(out.out)
    client = MlflowClient(uri)
    run_, report = client.search_runs([client.get_experiment_by_name("same-settings").experiment_id],
                                      order_by=["attributes.start_time ASC"])
    assert run_.info.run_id in outputs[0] and report.info.run_id in outputs[1]
    params = [{k: v for k, v in r.data.params.items() if k.startswith("config.")} for r in (run_, report)]
    differ = {k: (params[0].get(k), params[1].get(k)) for k in params[0].keys() | params[1].keys()
              if params[0].get(k) != params[1].get(k)}
    assert differ == {"config.output.path": ("runs/youtube_spam/labels.parquet", "reports/youtube_spam/labels.parquet"),
                      "config.output.report_path": ("runs/youtube_spam/report.html", "reports/youtube_spam.html")}
    assert params[1]["config.gold.path"] == "gold_sets/youtube_spam" and params[1]["config.task.labels"] == \
        "['ham', 'spam']"
    assert (run_.data.tags["weaksup.stage"], report.data.tags["weaksup.stage"]) == ("run", "report")
    assert report.info.run_name == run_.info.run_name + "-report" != run_.info.run_name
    assert report.data.tags["mlflow.note.content"].startswith("weaksup report of **youtube_spam**")
    for logged, folder in ((run_, project / "runs" / "youtube_spam"), (report, project / "reports" / "youtube_spam")):
        assert _artifact_bytes(uri, logged.info.run_id, "run.json", tmp_path / logged.info.run_id) == \
            (folder / "run.json").read_bytes()
