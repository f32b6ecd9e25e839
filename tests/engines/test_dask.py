"""The Dask engine on a real LocalCluster (2 worker processes): the local engine's labels row for row on the shipped
example and on a synthetic multi-part set, a worker killed mid-run, resume, a daily part, a repeated id, an LF
module missing on the workers."""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO
from weaksup.config import RunConfig
from weaksup.engines import BatchSpec, EngineConfig, PredictionTable, StagedRun, fit_on_counts, list_input_parts
from weaksup.engines.local import LocalEngine
from weaksup.engines.parts import vote_dir
from weaksup.errors import ConfigError, DataError, LFApplyError, LFDefinitionError

distributed = pytest.importorskip("distributed")

import weaksup.engines.dask as dask_module  # noqa: E402
from weaksup.engines.dask import DaskEngine  # noqa: E402

SCALE_LFS = REPO / "benchmarks" / "scale_lfs.py"
PART_ROWS = 10_000


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=":0") as local:
        yield local


def _bench():
    spec = importlib.util.spec_from_file_location("engine_scale_for_tests", REPO / "benchmarks" / "engine_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synthetic(folder: Path, rows: int, parts: int) -> Path:
    """``rows`` synthetic comments (ids c0...) as ``parts`` Parquet parts (the benchmark's generator, seeded)."""
    return _bench().input_folder(folder, rows, parts)


def make_config(project: Path, input_path: Path, modules: list[str], **engine: object) -> RunConfig:
    doc = {"task": {"name": "synthetic", "labels": ["ham", "spam"]},
           "input": {"path": str(input_path), "id_column": "row_id", "text_column": "text"},
           "clean": {"duplicates": "off"}, "lfs": {"modules": modules},
           "label_model": {"name": "DawidSkene", "seed": 0}, "end_model": {"enabled": False},
           "output": {"path": "out/labels.parquet", "report": False}, "mlflow": {"enabled": False}}
    return RunConfig.from_dict(doc, source=str(project / "run.toml"), project=project)


def run(engine, config: RunConfig, run_id: str = "r1", parts=None) -> pd.DataFrame:
    """vote counts -> fit -> write -> commit through ``engine``; the committed labels in part order."""
    spec = BatchSpec.from_config(config)
    parts = parts if parts is not None else list_input_parts(config)
    counts, _ = engine.vote_counts(spec, parts, vote_dir(spec), frozenset())
    table = PredictionTable.of(spec, fit_on_counts(spec, config, counts, None).model)
    staged = StagedRun(config.output_dir, run_id, task=config.task.name)
    engine.write_labels(spec, table, parts, staged)
    return committed(staged.commit(parts, {"engine": engine.name}))


def committed(run_dir: Path) -> pd.DataFrame:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    frames = [pq.read_table(run_dir / p["file"]).to_pandas() for p in manifest["parts"]]
    return pd.concat(frames, ignore_index=True)


def dask_engine(cluster, **options: object) -> DaskEngine:
    return DaskEngine(EngineConfig(name="dask", scheduler=cluster.scheduler_address, **options))


@pytest.mark.slow  # a local Dask cluster, 40k rows
def test_synthetic_parts_equal_the_local_engine_row_for_row(cluster, tmp_path):
    data = synthetic(tmp_path / "cache", 4 * PART_ROWS, 4)
    config = make_config(tmp_path / "dask", data, [str(SCALE_LFS)])
    with dask_engine(cluster) as engine:
        ours = run(engine, config)
        assert engine.computed == 4 * 10  # every part's 10 LF columns voted on the workers
    local = run(LocalEngine(workers=2), make_config(tmp_path / "local", data, [str(SCALE_LFS)]))
    assert len(ours) == 4 * PART_ROWS and ours["row_id"].tolist() == [f"c{i}" for i in range(4 * PART_ROWS)]
    pd.testing.assert_frame_equal(ours, local)
    assert ours["label"].notna().mean() > 0.3  # the LFs voted: not a table of abstains


KILLER = '''
import os
from weaksup import ABSTAIN, LabelSpace, labeling_function

LABELS = LabelSpace(["ham", "spam"])
FOLDER = {folder!r}  # the marker file is named at call time: its existence is not part of the LF's version


@labeling_function(fields=["row_id", "text"])
def dies_once(x):
    """Kills its worker process the first time it sees row c{row} (a worker lost mid-run)."""
    marker = os.path.join(FOLDER, "killed")
    if x.row_id == "c{row}" and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return 1 if "check" in x.text else ABSTAIN
'''


@pytest.mark.slow  # a worker process killed and restarted
def test_a_killed_worker_loses_no_row_and_repeats_none(cluster, tmp_path):
    data = synthetic(tmp_path / "cache", 4 * PART_ROWS, 4)
    marker = tmp_path / "killed"
    killer = tmp_path / "mods" / "killer_lfs.py"
    killer.parent.mkdir()
    killer.write_text(KILLER.format(folder=str(tmp_path), row=2 * PART_ROWS + 17))
    modules = [str(SCALE_LFS), str(killer)]
    with dask_engine(cluster) as engine:
        ours = run(engine, make_config(tmp_path / "dask", data, modules))
    assert marker.exists()  # a worker did die on part 2
    local = run(LocalEngine(), make_config(tmp_path / "local", data, modules))
    assert ours["row_id"].is_unique and len(ours) == 4 * PART_ROWS
    pd.testing.assert_frame_equal(ours, local)


@pytest.mark.slow  # a local Dask cluster
def test_resume_keeps_finished_parts_and_a_daily_part_votes_only_itself(cluster, tmp_path):
    data = synthetic(tmp_path / "cache", 3 * PART_ROWS, 3)
    config = make_config(tmp_path / "dask", data, [str(SCALE_LFS)])
    spec, parts = BatchSpec.from_config(config), list_input_parts(config)
    with dask_engine(cluster) as engine:
        counts, _ = engine.vote_counts(spec, parts, vote_dir(spec), frozenset())
        table = PredictionTable.of(spec, fit_on_counts(spec, config, counts, None).model)
        staged = StagedRun(config.output_dir, "r1", task="synthetic")
        engine.write_labels(spec, table, parts[:2], staged)  # the job dies after two parts
        first = {p.index: staged.part_file(p).stat().st_mtime_ns for p in parts[:2]}
        time.sleep(0.05)
        again = StagedRun(config.output_dir, "r1", task="synthetic")
        written = engine.write_labels(spec, table, parts, again)  # the rerun
        assert [r.index for r in written] == [0, 1, 2] and [r.rows for r in written] == [PART_ROWS] * 3
        assert {p.index: again.part_file(p).stat().st_mtime_ns for p in parts[:2]} == first  # reused, not rewritten
        resumed = committed(again.commit(parts, {"engine": "dask"}))
        assert resumed["row_id"].tolist() == [f"c{i}" for i in range(3 * PART_ROWS)]

        # a daily drop: a new part; the rerun votes only its 10 LF columns, refits on all counts
        extra = pd.DataFrame({"row_id": [f"d{i}" for i in range(500)],
                              "text": ["check out my channel please"] * 250 + ["I love this song"] * 250})
        extra.to_parquet(data / "part-00099.parquet", index=False)
        daily = run(engine, config, run_id="r2")
        assert engine.computed == 10
    local = run(LocalEngine(), make_config(tmp_path / "local", data, [str(SCALE_LFS)]))
    pd.testing.assert_frame_equal(daily, local)
    assert daily["row_id"].iloc[-500:].tolist() == extra["row_id"].tolist()
    assert (config.output_dir / "runs" / "synthetic" / "r1" / "_SUCCESS").exists()  # the previous run is kept


@pytest.mark.slow  # a local Dask cluster
def test_a_repeated_id_names_the_part_and_the_id(cluster, tmp_path):
    folder = tmp_path / "input"
    folder.mkdir()
    pd.DataFrame({"row_id": ["a", "b"], "text": ["check out", "song"]}).to_parquet(folder / "part-0.parquet")
    pd.DataFrame({"row_id": ["c", "d", "c"], "text": ["x", "y", "z"]}).to_parquet(folder / "part-1.parquet")
    config = make_config(tmp_path, folder, [str(SCALE_LFS)])
    with dask_engine(cluster) as engine, pytest.raises(DataError, match=r"part-1\.parquet.*id 'c' is not unique"):
        run(engine, config)


MODULE = '''
from weaksup import LabelSpace, keyword_lf

LABELS = LabelSpace(["ham", "spam"])
LFS = [keyword_lf("kw_check", ["check"], 1), keyword_lf("kw_song", ["song"], 0)]
'''


@pytest.mark.slow  # a local Dask cluster
def test_an_lf_module_missing_on_the_workers_is_a_clear_error_and_shipping_fixes_it(cluster, tmp_path, monkeypatch):
    # the module is importable here only: the workers started before this folder was on the driver's sys.path
    mods = tmp_path / "driver_only"
    mods.mkdir()
    (mods / "driver_only_lfs.py").write_text(textwrap.dedent(MODULE))
    monkeypatch.syspath_prepend(str(mods))
    data = synthetic(tmp_path / "cache", 2_000, 2)
    config = make_config(tmp_path / "project", data, ["driver_only_lfs"])
    started = time.monotonic()
    with dask_engine(cluster, ship_modules=False) as engine, \
            pytest.raises(LFDefinitionError, match=r"driver_only_lfs.*cannot be imported on this worker.*ship_modules"):
        run(engine, config)
    assert time.monotonic() - started < 60  # an error, not a hang
    with dask_engine(cluster) as engine:  # ship_modules = true: Client.upload_file
        shipped = run(engine, config, run_id="r2")
    local = run(LocalEngine(), make_config(tmp_path / "local", data, ["driver_only_lfs"]))
    pd.testing.assert_frame_equal(shipped, local)
    sys.modules.pop("driver_only_lfs", None)


@pytest.mark.slow  # a local Dask cluster kept running between two runs
def test_an_lf_module_edited_between_runs_on_a_running_cluster_votes_with_the_new_code(cluster, tmp_path):
    # the workers imported the first version; the second run ships the edited file under the same name
    module = tmp_path / "mods" / "edited_between_runs_lfs.py"
    module.parent.mkdir()
    module.write_text(textwrap.dedent(MODULE))
    data = synthetic(tmp_path / "cache", 2_000, 2)
    with dask_engine(cluster) as engine:
        run(engine, make_config(tmp_path / "first", data, [str(module)]))
    module.write_text(textwrap.dedent(MODULE).replace('["song"], 0', '["guitar"], 0'))
    with dask_engine(cluster) as engine:
        edited = run(engine, make_config(tmp_path / "second", data, [str(module)]), run_id="r2")
    local = run(LocalEngine(), make_config(tmp_path / "local", data, [str(module)]))
    pd.testing.assert_frame_equal(edited, local)


@pytest.mark.slow  # the shipped example through the driver on the local engine and a new LocalCluster
def test_the_shipped_example_through_run_engine_equals_the_local_engine(tmp_path):
    from weaksup.config import load_config
    from weaksup.engines.convert import convert_input
    from weaksup.engines.driver import run_engine

    shipped = load_config(REPO / "configs" / "youtube_spam.toml")
    parts = convert_input(shipped, tmp_path / "input", rows=500)
    assert len(parts) == 4

    def config(name: str) -> RunConfig:
        doc = shipped.to_dict()
        doc["input"] = {**doc["input"], "example": "", "path": str(tmp_path / "input")}
        doc["end_model"] = {**doc["end_model"], "enabled": False}
        doc["mlflow"] = {**doc["mlflow"], "enabled": False}
        doc["output"] = {**doc["output"], "path": str(tmp_path / name / "labels.parquet")}
        doc["engine"] = {"name": name, "workers": 2}
        return RunConfig.from_dict(doc, source=shipped.source, project=shipped.project)

    ours = run_engine(config("dask"))  # [engine] scheduler empty: a LocalCluster started and closed by the engine
    local = run_engine(config("local"))
    assert ours.engine == "dask" and ours.rows == 1956 and ours.columns_computed == 4 * len(BatchSpec.from_config(
        config("local")).lf_ids)
    labels = committed(ours.run_dir)
    pd.testing.assert_frame_equal(labels, committed(local.run_dir))
    assert labels["row_id"].tolist() == pd.concat([pd.read_parquet(p) for p in parts])["row_id"].tolist()
    assert ours.metrics == local.metrics and ours.metrics["final/accuracy"] > 0.8  # the test split, joined on row ids
    assert ours.label_model == local.label_model == "DevNaiveBayes"


ALWAYS_DIES = '''
import os
from weaksup import LabelSpace, labeling_function

LABELS = LabelSpace(["ham", "spam"])


@labeling_function(fields=["row_id"])
def always_dies(x):
    """Kills its worker on row c1500 of part 1, every time."""
    if x.row_id == "c1500":
        os._exit(1)
    return 1
'''


@pytest.mark.slow  # a LocalCluster of the engine's own, one worker death allowed
def test_a_part_that_always_kills_its_worker_is_an_error_naming_the_part(tmp_path):
    dask = pytest.importorskip("dask")
    data = synthetic(tmp_path / "cache", 2_000, 2)
    module = tmp_path / "always_dies_lfs.py"
    module.write_text(ALWAYS_DIES)
    config = make_config(tmp_path / "project", data, [str(module)])
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            DaskEngine(EngineConfig(name="dask", workers=2)) as engine, \
            pytest.raises(LFApplyError, match=r"died 1 time\(s\) running the votes task of part .*part-00001\.parquet"):
        run(engine, config)
    assert not engine.client_started  # closed: the LocalCluster is gone


def test_a_scheduler_address_where_another_service_listens_is_an_error_not_a_hang(monkeypatch):
    # a server that accepts connections and never speaks (another service on the port)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        monkeypatch.setattr(dask_module, "CONNECT_TIMEOUT", 2)
        started = time.monotonic()
        with pytest.raises(ConfigError, match=r"engine.scheduler = 'tcp://127.0.0.1:\d+': no Dask scheduler answered "
                                              r"within 2 s \(the address accepted the connection but never answered\)"):
            _ = DaskEngine(EngineConfig(name="dask", scheduler=address)).client
        assert time.monotonic() - started < 30
