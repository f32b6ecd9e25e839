"""`weaksup run`: one labeled row per input row, in order; chunking, resuming, incremental votes, formats."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from tests.pipeline_project import make_project, write_config
from weaksup.apply import apply_lfs
from weaksup.config import load_config
from weaksup.data import prepare
from weaksup.pipeline import LABEL_COLUMNS, load_run, run
from weaksup.registry import Registry


@pytest.fixture
def project(tmp_path, youtube, monkeypatch):
    make_project(tmp_path, youtube)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(path, *overrides, **kwargs):
    return run(load_config(path, list(overrides)), progress=False, **kwargs)


def test_one_row_per_input_row_in_order_with_the_votes_of_apply_lfs(project, youtube):
    result = _run(write_config(project))
    labels = pd.read_parquet(result.labels_path)
    assert list(labels.columns) == ["row_id", "label", "confidence", "prob_ham", "prob_spam", *LABEL_COLUMNS[3:]]
    assert labels["row_id"].tolist() == youtube["row_id"].tolist()
    assert result.chunks["computed"] == 4  # 1,956 rows in chunks of 500
    clean, _ = prepare(youtube[["row_id", "text"]])  # the run cleans the text the LFs see
    votes = apply_lfs(Registry.from_modules(str(project / "quick_lfs.py")), clean, id_column="row_id")
    assert labels["n_votes"].tolist() == (votes.values != -1).sum(axis=1).tolist()
    np.testing.assert_allclose(labels[["prob_ham", "prob_spam"]].sum(axis=1), 1.0)
    assert set(labels["review_status"]) <= {"auto", "needs_review"}
    no_votes = labels["n_votes"] == 0
    assert (labels.loc[no_votes, "review_status"] == "needs_review").all() and no_votes.any()
    assert labels.loc[labels["label"].isna(), "review_status"].eq("needs_review").all()
    spam_sources = labels.loc[labels["label"] == "spam", "sources"]
    assert spam_sources.str.split(",").map(lambda s: set(s) <= {"kw_subscribe", "kw_check", "re_link"}).all()
    assert (labels["confidence"] == labels[["prob_ham", "prob_spam"]].max(axis=1)).all()
    assert result.n_rows == len(youtube) and result.prep["exact_duplicates"] > 0


def test_chunk_size_and_input_format_do_not_change_the_labels(project, youtube):
    whole = pd.read_parquet(_run(write_config(project), "input.chunk_rows=100000").labels_path)
    parts = project / "parts"
    parts.mkdir()
    for i, start in enumerate(range(0, len(youtube), 700)):
        youtube[["row_id", "text"]].iloc[start:start + 700].to_parquet(parts / f"part-{i}.parquet")
    chunked = pd.read_parquet(_run(write_config(project, "parts.toml", input={"path": "parts", "chunk_rows": 333},
                                                output={"path": "out2/labels.parquet"})).labels_path)
    pd.testing.assert_frame_equal(whole, chunked)


@pytest.mark.parametrize("suffix", ["parquet", "csv", "jsonl"])
def test_reruns_are_byte_identical_and_formats_agree(project, suffix):
    config = write_config(project, output={"path": f"out/labels.{suffix}"}, label_model={"name": "DawidSkene"})
    first = _run(config).labels_path.read_bytes()
    second = _run(config, fresh=True).labels_path
    assert second.read_bytes() == first
    back = load_run(project / "out").labels
    reference = pd.read_parquet(_run(config, "output.path=ref/labels.parquet").labels_path)
    assert back["row_id"].tolist() == reference["row_id"].tolist()
    assert back["label"].fillna("").tolist() == reference["label"].fillna("").tolist()
    np.testing.assert_allclose(back["prob_spam"], reference["prob_spam"], rtol=0, atol=1e-12)
    assert back["conflict"].tolist() == reference["conflict"].tolist()


def test_the_run_folder_can_be_re_predicted_and_audited(project):
    result = _run(write_config(project, label_model={"name": "DawidSkene"}))
    saved = load_run(result.run_dir)
    votes, model, labels = saved.votes(), saved.model(), saved.labels
    assert votes.row_ids.tolist() == labels["row_id"].tolist()
    np.testing.assert_allclose(model.predict_proba(votes.values), labels[["prob_ham", "prob_spam"]].to_numpy())
    manifest = json.loads((result.run_dir / "run.json").read_text())
    assert manifest["counts"]["rows"] == len(labels) and manifest["rule_version"] == result.rule_version
    assert saved.read_input()["row_id"].tolist() == labels["row_id"].tolist()


def test_editing_one_lf_recomputes_only_its_column(project):
    config = write_config(project)
    _run(config)
    module = project / "quick_lfs.py"
    module.write_text(module.read_text().replace('["song", "love this", "best"]', '["song", "love", "best"]'))
    again = _run(config)
    assert again.chunks == {"computed": 4, "reused": 0, "columns_reused": 16, "columns_computed": 4}
    unchanged = _run(config)
    assert unchanged.chunks == {"computed": 0, "reused": 4, "columns_reused": 20, "columns_computed": 0}
    fresh = _run(config, "output.path=fresh/labels.parquet", fresh=True)
    pd.testing.assert_frame_equal(pd.read_parquet(unchanged.labels_path), pd.read_parquet(fresh.labels_path))


SLOW_LF = '''
import time
from weaksup import ABSTAIN, labeling_function

@labeling_function(fields=["text"])
def slow_question(x):
    time.sleep(0.004)
    return 0 if x.text is not None and "?" in x.text else ABSTAIN
'''


@pytest.mark.slow
def test_a_killed_run_resumes_from_its_last_finished_chunk(project, youtube):
    (project / "slow_lfs.py").write_text(SLOW_LF)
    config = write_config(project, lfs={"modules": ["quick_lfs.py", "slow_lfs.py"]}, input={"chunk_rows": 150})
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "weaksup", "run", str(config), "--no-progress"]
    proc = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    index = project / "out" / "votes" / "index.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if index.exists() and len(json.loads(index.read_text())["parts"]) >= 4:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(json.loads(index.read_text())["parts"])
    assert 4 <= done < 14  # 1,956 rows in chunks of 150 are 14 chunks
    assert not (project / "out" / "labels.parquet").exists()
    resumed = subprocess.run([*command, "--resume"], cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{14 - done} computed, {done} reused" in resumed.stdout
    labels = pd.read_parquet(project / "out" / "labels.parquet")
    assert labels["row_id"].tolist() == youtube["row_id"].tolist()
    fresh = _run(config, "output.path=fresh/labels.parquet", fresh=True)
    pd.testing.assert_frame_equal(labels, pd.read_parquet(fresh.labels_path))
    assert not [p for p in (project / "out").rglob(".*") if p.is_file()]  # no temporary files left


def test_resume_without_an_earlier_run_is_an_error(project):
    from weaksup.config import ConfigError

    with pytest.raises(ConfigError, match="holds no saved votes"):
        _run(write_config(project), resume=True)


@pytest.mark.parametrize("review", [{"threshold": 0.99}, {"threshold": 0.0, "class_thresholds": {"spam": 0.999}},
                                    {"threshold": 0.6, "conflict_threshold": 0.3}])
def test_the_run_routes_as_review_issues_does(project, review):
    from weaksup.review import review_issues
    from weaksup.review.routing import RoutingPolicy

    result = _run(write_config(project, review=review))
    labels = pd.read_parquet(result.labels_path)
    issues = review_issues(labels, ["ham", "spam"], policy=RoutingPolicy(**review))
    routed = (labels["review_status"] == "needs_review").to_numpy()
    assert (issues["needs_review"].to_numpy() == routed).all()
    assert 0 < routed.sum() < len(labels)
    if "class_thresholds" in review:
        spam = (labels["label"] == "spam").to_numpy()
        assert routed[spam].any() and not routed[~spam & (labels["n_votes"] > 0).to_numpy()
                                                 & labels["label"].notna().to_numpy()].any()


@pytest.mark.mlflow
@pytest.mark.slow
def test_the_shipped_example_config_with_gold_and_mlflow(tmp_path, monkeypatch):
    import mlflow

    monkeypatch.chdir(REPO)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    before = (os.environ.get("MLFLOW_TRACKING_URI"), mlflow.get_tracking_uri())
    result = _run(REPO / "configs" / "youtube_spam.toml", f"output.path={tmp_path / 'yt' / 'labels.csv'}",
                  f"mlflow.tracking_uri={uri}")
    labels = pd.read_csv(result.labels_path, dtype={"row_id": str})
    from weaksup.gold import load_gold

    gold = load_gold(REPO / "gold_sets" / "youtube_spam")
    dev = gold.labels("dev")
    reviewed = labels.set_index("row_id").loc[dev.index]
    assert (reviewed["review_status"] == "reviewed").all() and (reviewed["label"] == dev).all()
    assert result.status_counts["reviewed"] == len(dev)
    assert result.metrics["accuracy"] > result.metrics["majority_vote.accuracy"]
    assert result.gold["hash"] == gold.hash and result.report_path.exists()
    assert (os.environ.get("MLFLOW_TRACKING_URI"), mlflow.get_tracking_uri()) == before  # the run left them as they were
    run_info = mlflow.MlflowClient(uri).get_run(result.mlflow_run_id)
    assert run_info.data.metrics["rows"] == 1956
    assert run_info.data.params["config.task.name"] == "youtube_spam"
    assert run_info.data.metrics["test/label_model/accuracy"] == pytest.approx(result.metrics["accuracy"])


def test_a_slow_lf_is_stopped_at_its_time_budget_and_reported(project, youtube):
    (project / "slow_lfs.py").write_text(SLOW_LF)
    config = write_config(project, lfs={"modules": ["quick_lfs.py", "slow_lfs.py"], "fault_tolerant": True,
                                        "lf_timeout": 0.2}, input={"chunk_rows": 1000})
    result = _run(config)
    assert 0 < result.timeouts["slow_question"] < len(youtube)  # 0.004 s a row: the budget ends mid-chunk
    assert "LFs past lfs.lf_timeout (rows abstained): {'slow_question'" in result.summary()
    labels = pd.read_parquet(result.labels_path)
    assert labels["row_id"].tolist() == youtube["row_id"].tolist()
    again = _run(config)  # reused from the saved votes, with their counts
    assert again.chunks["reused"] == 2 and again.timeouts == result.timeouts


def test_cli_building_blocks_lfs_apply_fit(project, capsys):
    from weaksup.cli import main

    config = str(write_config(project, label_model={"name": "DawidSkene"}))
    for argv, expected in [(["lfs", config], ["5 LFs of yt", "kw_subscribe", "keyword"]),
                           (["apply", config, "--no-progress"], ["Coverage", "1,956 rows, coverage"]),
                           (["fit", config, "--no-progress"], ["fitted DawidSkene on 1,956 rows"])]:
        with pytest.raises(SystemExit) as info:
            main(argv)
        out = capsys.readouterr().out
        assert info.value.code == 0 and all(part in out for part in expected), out
    assert (project / "out" / "label_model.json").exists() and not (project / "out" / "labels.parquet").exists()


def test_chunks_voted_on_several_threads_give_the_labels_and_votes_of_one_thread(project, caplog):
    import logging

    from weaksup.pipeline import load_votes

    safe = {"names": ["kw_subscribe", "kw_check", "re_link", "kw_song"]}  # keyword/regex kinds: thread-safe
    configs = [write_config(project, f"w{workers}.toml", lfs={**safe, "workers": workers}, input={"chunk_rows": 150},
                            label_model={"name": "DawidSkene"}, output={"path": f"w{workers}/labels.parquet"})
               for workers in (1, 3)]
    with caplog.at_level(logging.INFO, logger="weaksup.pipeline.voting"):
        one, three = (_run(config) for config in configs)
    assert "one chunk at a time" not in caplog.text and "voting chunks on 3 thread(s)" in caplog.text
    assert three.chunks["computed"] == 14 and three.labels_path.read_bytes() == one.labels_path.read_bytes()
    serial, parallel = load_votes(one.run_dir), load_votes(three.run_dir)
    assert parallel.row_ids.tolist() == serial.row_ids.tolist()
    np.testing.assert_array_equal(parallel.values, serial.values)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="weaksup.pipeline.voting"):
        _run(write_config(project, lfs={"workers": 3}))  # with the generic short_comment LF
    assert "voting one chunk at a time: LF(s) ['short_comment'] run user code" in caplog.text


def test_a_bad_chunk_is_named_the_same_with_several_threads(project, youtube):
    from weaksup.errors import DataError

    frame = youtube[["row_id", "text"]].copy()
    frame.loc[1203, "row_id"] = frame.loc[1201, "row_id"]  # a repeated id in chunk 8 of 14
    frame.to_csv(project / "comments.csv", index=False)
    config = write_config(project, lfs={"names": ["kw_subscribe", "re_link"], "workers": 2}, input={"chunk_rows": 150})
    with pytest.raises(DataError, match=r"comments.csv row 1201 \(line 1203\): id .* is not unique \(rows \[1201, 1203\]\)"):
        _run(config)
    assert not (project / "out" / "labels.parquet").exists()
