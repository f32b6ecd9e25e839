"""The Spark engine on a real Spark ``local[2]`` session (one per module): the local engine's labels row for row on
the shipped example and on a synthetic multi-part set, a Python worker killed mid-run, a task that always dies,
resume after a failed write, a daily part, a repeated id, an LF module missing on the executors (and shipped)."""

from __future__ import annotations

import dataclasses
import textwrap
import uuid
from pathlib import Path

import pandas as pd
import pytest

from tests.engines.engine_data import SCALE_LFS, run_labels, synthetic_config, write_part, youtube_config
from tests.engines.spark_session import spark_session
from weaksup.config import RunConfig
from weaksup.engines import BatchSpec, EngineConfig, StagedRun, list_input_parts
from weaksup.engines.driver import EngineResult, run_engine, run_fingerprint
from weaksup.engines.spark import SparkEngine
from weaksup.engines.spark_setup import local_master, spark_reason, task_progress
from weaksup.errors import DataError, LFApplyError, LFDefinitionError

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

PART_ROWS = 10_000


@pytest.fixture(scope="module")
def spark():
    """One Spark session for the module (the JVM takes ~10 s to start)."""
    yield from spark_session()


def on_spark(session, config: RunConfig, **options: object) -> EngineResult:
    return run_engine(config, engine=SparkEngine(EngineConfig(name="spark", **options), session=session))


def local_labels(config: RunConfig) -> pd.DataFrame:
    """The local engine's committed labels for ``config``, written to a folder of their own."""
    out = config.output_dir.parent / "local" / "labels.parquet"
    local = dataclasses.replace(config, output=dataclasses.replace(config.output, path=str(out)))
    return run_labels(run_engine(local, engine="local").run_dir)


def test_local_masters_retry_failed_tasks():
    assert local_master("local[2]") == "local[2,4]" and local_master("local[3,2]") == "local[3,2]"
    assert spark_reason(RuntimeError("Job aborted.\nTraceback\nOSError: part 1 (a.parquet): gone\n\tat o.a.s")) \
        == "OSError: part 1 (a.parquet): gone"


def _sleepy(batches):
    import time

    for batch in batches:
        time.sleep(0.3)
        yield batch


@pytest.mark.slow  # the first job of the session starts its Python workers
def test_progress_counts_the_finished_tasks_of_a_job_group(spark, capsys):
    context = spark.sparkContext
    context.setJobGroup("progress-test", "three slow tasks", True)
    with task_progress(context, "progress-test", 3, "test", disable=False):
        assert spark.range(0, 3, 1, 3).mapInPandas(_sleepy, "id long").count() == 3
    err = capsys.readouterr().err
    assert "spark test" in err and "3/3" in err  # counted by Spark's status tracker


@pytest.mark.slow  # Spark local[2]
def test_shipped_example_equals_the_local_engine_row_for_row(spark, tmp_path):
    config = youtube_config(tmp_path, rows_per_part=500)
    result = on_spark(spark, config)
    ours = run_labels(result.run_dir)
    assert result.engine == "spark" and result.parts == 4 and result.rows == 1956 and len(ours) == 1956
    assert result.label_model == "DevNaiveBayes"  # fitted with the dev gold rows' votes sent back by the executors
    pd.testing.assert_frame_equal(ours, local_labels(config), check_exact=True)
    assert 0.85 < result.metrics["accuracy"] < 0.95


@pytest.mark.slow  # Spark local[2], 40k rows
def test_synthetic_parts_equal_the_local_engine_row_for_row(spark, tmp_path):
    for i in range(4):
        write_part(tmp_path / "input", i, PART_ROWS, start=i * PART_ROWS)
    config = synthetic_config(tmp_path, label_model={"name": "DawidSkene"})
    result = on_spark(spark, config)
    assert result.columns_computed == 4 * 10 and result.parts_voted == 4  # voted on the executors
    ours = run_labels(result.run_dir)
    assert ours["row_id"].tolist() == [f"r{i}" for i in range(4 * PART_ROWS)]
    pd.testing.assert_frame_equal(ours, local_labels(config), check_exact=True)
    assert ours["label"].notna().mean() > 0.3  # the LFs voted: not a table of abstains


KILLER = '''
import os
from weaksup import ABSTAIN, LabelSpace, labeling_function

LABELS = LabelSpace(["ham", "spam"])
FOLDER = {folder!r}


@labeling_function(fields=["row_id", "text"])
def dies(x):
    """Kills its Python worker when it meets row {row} ({times}: once, until a marker file exists)."""
    marker = os.path.join(FOLDER, "killed")
    if x.row_id == "{row}" and ({always} or not os.path.exists(marker)):
        open(marker, "w").close()
        os._exit(1)
    return 1 if "check" in x.text else ABSTAIN
'''


def killer(folder: Path, row: str, *, always: bool = False) -> str:
    """An LF module that kills its worker on ``row`` (a new module name per test: Spark's workers outlive it)."""
    path = folder / f"killer_{uuid.uuid4().hex[:8]}.py"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(KILLER.format(folder=str(folder), row=row, always=always, times="always" if always else "once"))
    return str(path)


@pytest.mark.slow  # a Python worker killed and its task retried
def test_a_killed_python_worker_loses_no_row_and_repeats_none(spark, tmp_path):
    for i in range(4):
        write_part(tmp_path / "input", i, PART_ROWS, start=i * PART_ROWS)
    config = synthetic_config(tmp_path, modules=[SCALE_LFS, killer(tmp_path / "mods", f"r{2 * PART_ROWS + 17}")])
    ours = run_labels(on_spark(spark, config).run_dir)
    assert (tmp_path / "mods" / "killed").exists()  # a worker did die on part 2
    assert ours["row_id"].is_unique and len(ours) == 4 * PART_ROWS
    pd.testing.assert_frame_equal(ours, local_labels(config), check_exact=True)


@pytest.mark.slow  # four attempts of a task, each killing its worker
def test_a_task_that_always_dies_is_a_clear_error_naming_the_stage_and_part(spark, tmp_path):
    for i in range(2):
        write_part(tmp_path / "input", i, 1_000, start=i * 1_000)
    config = synthetic_config(tmp_path, modules=[killer(tmp_path / "mods", "r1500", always=True)])
    with pytest.raises(LFApplyError, match=r"Spark gave up on the votes stage \(2 part\(s\)\): a task failed 4 times"):
        on_spark(spark, config)


@pytest.mark.slow  # Spark local[2]
def test_resume_after_a_failed_write_reuses_finished_parts_and_a_daily_part_votes_only_itself(spark, tmp_path):
    for i in range(3):
        write_part(tmp_path / "input", i, PART_ROWS, start=i * PART_ROWS)
    config = synthetic_config(tmp_path, label_model={"name": "DawidSkene"})
    parts = list_input_parts(config)
    staged = StagedRun(config.output_dir, run_fingerprint(BatchSpec.from_config(config), parts), task="synthetic")
    blocker = staged.part_file(parts[1])
    blocker.mkdir(parents=True)  # part 1's labels cannot be written: its task fails on every attempt
    with pytest.raises(LFApplyError, match=r"labels stage .*part 1 \(.*part-0001\.parquet\): IsADirectoryError"):
        on_spark(spark, config)
    assert [staged.done(p) for p in parts] == [True, False, True]  # the other parts finished
    first = {i: staged.part_file(parts[i]).stat().st_mtime_ns for i in (0, 2)}

    blocker.rmdir()
    resumed = on_spark(spark, config)  # the same run id: its staging folder is resumed
    assert resumed.run_id == staged.run_id and resumed.columns_computed == 0  # votes from the cache
    assert {i: (resumed.run_dir / "labels" / staged.part_file(parts[i]).name).stat().st_mtime_ns
            for i in (0, 2)} == first  # reused, not rewritten
    assert run_labels(resumed.run_dir)["row_id"].tolist() == [f"r{i}" for i in range(3 * PART_ROWS)]

    write_part(tmp_path / "input", 3, 2_000, start=3 * PART_ROWS, seed=7)  # a daily drop
    daily = on_spark(spark, config)
    assert daily.columns_computed == 10 and daily.parts_voted == 1 and daily.rows == 3 * PART_ROWS + 2_000
    assert daily.run_id != resumed.run_id and (resumed.run_dir / "_SUCCESS").is_file()  # the earlier run is kept
    assert (config.output_dir / "latest").resolve() == daily.run_dir.resolve()
    pd.testing.assert_frame_equal(run_labels(daily.run_dir), local_labels(config), check_exact=True)


@pytest.mark.slow  # Spark local[2]
def test_a_repeated_id_names_the_part_and_the_id(spark, tmp_path):
    for i in range(3):
        write_part(tmp_path / "input", i, 1_000, start=i * 1_000)
    bad = tmp_path / "input" / "part-0002.parquet"
    frame = pd.read_parquet(bad)
    frame.loc[7, "row_id"] = frame.loc[3, "row_id"]
    frame.to_parquet(bad, index=False)
    with pytest.raises(DataError, match=r"part-0002\.parquet: id 'r2003' is not unique \(rows \[3, 7\]"):
        on_spark(spark, synthetic_config(tmp_path))


HIDDEN = '''
from weaksup import LabelSpace, keyword_lf

LABELS = LabelSpace(["ham", "spam"])
LFS = [keyword_lf("kw_check", ["check"], 1), keyword_lf("kw_song", ["song"], 0)]
'''


@pytest.mark.slow  # Spark local[2]
def test_an_lf_module_missing_on_the_executors_is_a_clear_error_and_shipping_it_works(spark, tmp_path, monkeypatch):
    for i in range(2):
        write_part(tmp_path / "input", i, 1_000, start=i * 1_000)
    name = f"hidden_lfs_{uuid.uuid4().hex[:8]}"  # importable here only: its folder is on this process's sys.path
    (tmp_path / "hidden").mkdir()
    (tmp_path / "hidden" / f"{name}.py").write_text(textwrap.dedent(HIDDEN))
    monkeypatch.syspath_prepend(str(tmp_path / "hidden"))
    config = synthetic_config(tmp_path, modules=[name])
    with pytest.raises(LFDefinitionError, match=rf"\['{name}'\] cannot be imported on this worker .*ship_modules"):
        on_spark(spark, config, ship_modules=False)
    shipped = on_spark(spark, config, ship_modules=True)  # addPyFile: the executors import it
    pd.testing.assert_frame_equal(run_labels(shipped.run_dir), local_labels(config), check_exact=True)
