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


@pytest.mark.slow  # a local run and a Spark local[2] run (a JVM start) in child processes
def test_compare_runs_local_and_spark_back_to_back_and_reports_the_ratio(tmp_path, capsys):
    pytest.importorskip("psutil")
    pytest.importorskip("pyspark")
    from tests.engines.spark_session import java_available

    if not java_available():
        pytest.skip("the Spark engine needs Java 17")
    bench = _bench()
    out = tmp_path / "compare.json"
    result = bench.main(["--engine", "spark", "--compare", "--rows", "4000", "--parts", "2", "--cache",
                         str(tmp_path / "cache"), "--workdir", str(tmp_path), "--json", str(out)])
    assert json.loads(out.read_text()) == result
    assert [r["engine"] for r in result["runs"]] == ["local", "spark"] and len(result["ratios"]) == 1
    local, spark = result["runs"]
    assert result["ratios"][0] == pytest.approx(spark["rows_per_s"] / local["rows_per_s"])
    assert result["median_ratio"] == result["ratios"][0]
    assert spark["cpu_s"]["jvm"] > 0 and spark["jvm_peak_rss_mb"] and local["cpu_s"]["jvm"] == 0
    assert local["cpu_s"]["driver"] > 0 and spark["cpu_s"]["workers"] > 0  # the Python workers did the voting
    printed = capsys.readouterr().out
    assert "spark / local over 1 pair(s): ratios" in printed and "CPU: driver" in printed
