"""benchmarks/engine_scale.py runs on a few thousand rows for the local and Dask engines: its JSON keys, the input
generated once and reused, every row written once in order (the benchmark reads its output back)."""

from __future__ import annotations

import importlib.util
import json

import pytest

from tests.conftest import REPO


def _bench():
    spec = importlib.util.spec_from_file_location("engine_scale", REPO / "benchmarks" / "engine_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # two child processes, one with a local Dask cluster
@pytest.mark.parametrize("engine", ["local", "dask"])
def test_engine_scale_reports_rate_stages_and_memory(engine, tmp_path, capsys):
    pytest.importorskip("psutil")
    if engine == "dask":
        pytest.importorskip("distributed")
    bench = _bench()
    out = tmp_path / "result.json"
    args = ["--engine", engine, "--rows", "6000", "--parts", "3", "--cache", str(tmp_path / "cache"),
            "--workdir", str(tmp_path), "--json", str(out)]
    result = bench.main(args)
    saved = json.loads(out.read_text())
    assert saved == result
    assert {"engine", "rows", "rows_per_s", "driver_peak_rss_mb", "worker_peak_rss_mb", "stages"} <= set(saved)
    assert saved["engine"] == engine and saved["rows"] == 6000 and saved["parts"] == 3
    assert saved["rows_per_s"] > 0 and saved["driver_peak_rss_mb"] > 50
    assert {"votes+counts", "fit", "labels", "commit"} <= set(saved["stages"])
    assert all(seconds >= 0 for seconds in saved["stages"].values())
    if engine == "dask":  # the two worker processes were sampled
        assert len(saved["worker_peak_rss_mb"]) >= 2 and min(saved["worker_peak_rss_mb"]) > 50
    printed = capsys.readouterr().out
    assert "wrote 6,000 rows in 3 Parquet parts" in printed and "driver peak RSS" in printed
    bench.main(args)  # the input is generated once, then reused
    assert "wrote 6,000 rows" not in capsys.readouterr().out
