"""The local engine equals today's streaming run row for row (same columns, dtypes, values)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.engines.engine_data import (run_labels, streaming_labels, synthetic_config, write_part,
                                       youtube_config)
from weaksup.engines import get_engine
from weaksup.engines.driver import run_engine
from weaksup.engines.local import LocalEngine


@pytest.mark.slow
def test_shipped_example_equals_the_streaming_run(tmp_path):
    config = youtube_config(tmp_path, rows_per_part=500, output={"report": True})
    result = run_engine(config, engine="local")
    engine_labels = run_labels(result.run_dir)
    streaming = streaming_labels(config)
    pd.testing.assert_frame_equal(engine_labels, streaming, check_exact=True)
    assert result.parts == 4 and result.rows == 1956
    assert result.label_model == "DevNaiveBayes"
    assert result.status_counts == streaming["review_status"].value_counts().to_dict()  # from the pattern counts
    assert result.label_counts == streaming["label"].fillna("(abstain)").value_counts().to_dict()
    assert 0.85 < result.metrics["accuracy"] < 0.95  # the label model's on the test split (0.900; abstains count wrong)
    assert result.metrics["final/accuracy"] == result.metrics["accuracy"]  # the written labels joined on gold: the same
    assert result.metrics["majority_vote.accuracy"] < result.metrics["accuracy"]  # (the plain run's names)
    assert (result.run_dir / "report.html").stat().st_size > 10_000
    assert "label model on the gold test split: accuracy 0.9" in result.summary()


def test_synthetic_parts_equal_the_streaming_run(tmp_path):
    for i in range(3):
        write_part(tmp_path / "input", i, 4000, start=i * 4000)
    config = synthetic_config(tmp_path, label_model={"name": "DawidSkene"})
    result = run_engine(config, engine=LocalEngine(workers=2))
    pd.testing.assert_frame_equal(run_labels(result.run_dir), streaming_labels(config), check_exact=True)
    assert result.rows == 12_000 and result.parts_voted == 3 and result.columns_computed == 30


@pytest.mark.slow
def test_300k_rows_in_several_parts_equal_the_streaming_run(tmp_path):
    for i in range(6):
        write_part(tmp_path / "input", i, 50_000, start=i * 50_000)
    config = synthetic_config(tmp_path, label_model={"name": "DawidSkene"}, engine={"partitions": 0})
    result = run_engine(config, engine="local")
    pd.testing.assert_frame_equal(run_labels(result.run_dir), streaming_labels(config), check_exact=True)
    assert result.rows == 300_000 and result.parts == 6


def test_a_file_is_split_by_row_groups_when_partitions_ask(tmp_path):
    write_part(tmp_path / "input", 0, 8000)
    config = synthetic_config(tmp_path, engine={"partitions": 4})
    result = run_engine(config)
    assert result.parts == 4
    pd.testing.assert_frame_equal(run_labels(result.run_dir), streaming_labels(config), check_exact=True)


def test_get_engine_local():
    assert get_engine("local").name == "local"


@pytest.mark.slow
def test_the_end_model_on_an_engine_gives_the_streaming_runs_final_labels(tmp_path):
    config = youtube_config(tmp_path, rows_per_part=500, end_model={"enabled": True})
    result = run_engine(config)
    labels, streaming = run_labels(result.run_dir), streaming_labels(config)
    pd.testing.assert_frame_equal(labels, streaming, check_exact=True)
    assert (labels["label_source"] == "end_model").sum() > 1000  # the end model labeled most rows
    assert result.label_counts == streaming["label"].fillna("(abstain)").value_counts().to_dict()
    assert result.metrics["final/accuracy"] > 0.93 > result.metrics["accuracy"]  # the final labels' (label model: 0.90)


@pytest.mark.slow
def test_the_run_is_logged_to_mlflow_with_its_report(tmp_path):
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    config = youtube_config(tmp_path, mlflow={"enabled": True, "tracking_uri": uri, "experiment": "engines"})
    result = run_engine(config)
    assert result.mlflow_run_id and f"MLflow run {result.mlflow_run_id}" in result.summary()
    run = mlflow.MlflowClient(tracking_uri=uri).get_run(result.mlflow_run_id)
    assert run.data.metrics["final/accuracy"] == pytest.approx(result.metrics["final/accuracy"])
    assert run.data.metrics["test/label_model/accuracy"] == pytest.approx(result.metrics["accuracy"])
    assert run.data.params["config.task.name"] == "youtube_spam"


def test_a_new_gold_version_or_max_patterns_is_a_new_run_never_a_resumed_one(tmp_path):
    import dataclasses

    from weaksup.engines.batch import BatchSpec
    from weaksup.engines.driver import run_fingerprint
    from weaksup.engines.batch import list_input_parts

    write_part(tmp_path / "input", 0, 1_000)
    config = synthetic_config(tmp_path)
    spec, parts = BatchSpec.from_config(config), list_input_parts(config)
    base = run_fingerprint(spec, parts, "gold-v1")
    assert run_fingerprint(spec, parts, "gold-v1") == base  # the same inputs: the same run (resumed)
    assert run_fingerprint(spec, parts, "gold-v2") != base  # another gold version fits another label model
    from weaksup.engines.config import EngineConfig

    config = dataclasses.replace(config, engine=EngineConfig(name="local"))
    base = run_fingerprint(BatchSpec.from_config(config), parts, "gold-v1")
    fewer = dataclasses.replace(config, engine=dataclasses.replace(config.engine, max_patterns=10))
    assert run_fingerprint(BatchSpec.from_config(fewer), parts, "gold-v1") != base
    more_workers = dataclasses.replace(config, engine=dataclasses.replace(config.engine, workers=7))
    assert run_fingerprint(BatchSpec.from_config(more_workers), parts, "gold-v1") == base  # labels unchanged


COUNTING_LF = '''
"""An LF of user code that records how many of its calls overlap (user code may not be thread-safe)."""
import threading
import time

from weaksup import labeling_function

LOCK = threading.Lock()
STATE = {"now": 0, "most": 0}


@labeling_function()
def counts_overlap(x):
    with LOCK:
        STATE["now"] += 1
        STATE["most"] = max(STATE["most"], STATE["now"])
    time.sleep(0.0005)
    with LOCK:
        STATE["now"] -= 1
    return 1 if "spam" in str(x.text) else -1
'''


def test_lfs_of_user_code_run_on_one_thread_in_every_stage_of_the_local_engine(tmp_path):
    import sys

    for i in range(3):
        write_part(tmp_path / "input", i, 300, start=i * 300)
    (tmp_path / "mods").mkdir()
    (tmp_path / "mods" / "overlap_lfs.py").write_text(COUNTING_LF)
    config = synthetic_config(tmp_path, modules=[str(tmp_path / "mods" / "overlap_lfs.py")])
    run_engine(config, engine=LocalEngine(workers=2))
    loaded = [m for name, m in list(sys.modules.items()) if "overlap_lfs" in name and hasattr(m, "STATE")]
    assert loaded and all(m.STATE["most"] == 1 for m in loaded)  # never two calls at once, voting nor labeling


def test_a_part_edited_with_its_old_size_and_time_is_voted_again(tmp_path):
    # its votes were reused (the part's key was its size and modification time): an edit copied back with cp -p or
    # rsync -a kept the old labels
    import os

    folder = tmp_path / "input"
    folder.mkdir()
    texts = ["check out my channel", "great song love it"] * 50
    path = folder / "part-0000.parquet"
    pd.DataFrame({"row_id": [f"r{i}" for i in range(100)], "text": texts}).to_parquet(path, compression="none")
    config = synthetic_config(tmp_path)
    first = run_engine(config, engine=LocalEngine(workers=1))
    stat = path.stat()
    edited = ["check out my channel", "great sang love it"] * 50  # one letter, same length
    pd.DataFrame({"row_id": [f"r{i}" for i in range(100)], "text": edited}).to_parquet(path, compression="none")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    again = run_engine(config, engine=LocalEngine(workers=1))
    assert first.parts_voted == again.parts_voted == 1
    pd.testing.assert_frame_equal(run_labels(again.run_dir), streaming_labels(config), check_exact=True)


FAULTY = '''
from weaksup import ABSTAIN, LabelSpace, labeling_function

LABELS = LabelSpace(["ham", "spam"])


@labeling_function(fields=["text"])
def breaks_on_song(x):
    if "song" in x.text:
        raise ValueError("no songs here")
    return 1 if "check" in x.text else ABSTAIN
'''


def test_lf_faults_are_counted_as_the_streaming_run_counts_them_and_kept_with_cached_votes(tmp_path):
    # the engine summary said nothing of the rows a fault-tolerant LF abstained on
    import dataclasses

    from weaksup.pipeline import run

    for i in range(2):
        write_part(tmp_path / "input", i, 2000, start=i * 2000)
    module = tmp_path / "faulty_lfs.py"
    module.write_text(FAULTY, encoding="utf-8")
    config = synthetic_config(tmp_path, modules=[str(module)], lfs={"fault_tolerant": True})
    first = run_engine(config, engine=LocalEngine(workers=2))
    elsewhere = dataclasses.replace(config.output, path=str(tmp_path / "streaming" / "labels.parquet"))
    streamed = run(dataclasses.replace(config, output=elsewhere, engine=None), progress=False)
    assert first.faults == {"breaks_on_song": streamed.faults["breaks_on_song"]} and first.faults["breaks_on_song"] > 0
    assert "LF faults or timeouts (rows abstained): breaks_on_song " in first.summary()
    again = run_engine(config, engine=LocalEngine(workers=2))  # every column from the vote cache
    assert again.columns_computed == 0 and again.faults == first.faults


@pytest.mark.slow
def test_a_label_model_sampling_the_rows_equals_the_streaming_run(tmp_path):
    # DevNaiveBayes smooths on a seeded sample of max_unlabeled rows: the engine fits on the vote patterns expanded in
    # pattern order, the streaming run on the rows as read, and both must draw the same sample
    # (unlabeled="ignore": on this set the EM tables win otherwise, and they see every row, not the sample)
    params = {"max_unlabeled": 500, "unlabeled": "ignore"}
    config = youtube_config(tmp_path, rows_per_part=500, label_model={"params": params})
    assert config.label_model.params["max_unlabeled"] == 500 and config.label_model.name == "default"
    result = run_engine(config, engine="local")
    assert result.rows == 1956 and result.label_model == "DevNaiveBayes"
    pd.testing.assert_frame_equal(run_labels(result.run_dir), streaming_labels(config), check_exact=True)


@pytest.mark.slow
def test_a_label_model_fitted_on_sample_rows_equals_the_streaming_run(tmp_path):
    # label_model.sample_rows: the streaming run draws the engines' stratified sample of the same rows, so the fitted
    # model and every label agree (a sample of rows by position picked other rows than the engine's)
    config = youtube_config(tmp_path, rows_per_part=500, label_model={"sample_rows": 700})
    assert config.label_model.sample_rows == 700
    result = run_engine(config, engine="local")
    assert result.rows == 1956
    labels = run_labels(result.run_dir)
    pd.testing.assert_frame_equal(labels, streaming_labels(config), check_exact=True)
