"""A real Spark session for the Spark engine's tests: ``local[2]`` (with task retries) bound to 127.0.0.1, no web
UI, two shuffle partitions; one per test module (the JVM takes ~10 s to start). Skips without pyspark or Java."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest


def java_available() -> bool:
    """Whether a JVM can be started (``JAVA_HOME`` or ``java`` on the path)."""
    home = os.environ.get("JAVA_HOME")
    return bool(home and Path(home, "bin", "java").is_file()) or shutil.which("java") is not None


def spark_session() -> Iterator[Any]:
    """A ``SparkSession`` (``local[2,4]``: two cores, a failed task tried up to four times), stopped after the
    yield; a test module makes it its module-scoped fixture (``yield from spark_session()``)."""
    if os.environ.get("CI"):  # CI installs both (.ci/run): a missing one is a failure there, not a skip
        import pyspark  # noqa: F401

        assert java_available(), "the Spark engine tests need Java 17 on CI (.ci/run installs it)"
    pytest.importorskip("pyspark")
    if not java_available():
        pytest.skip("the Spark engine needs Java 17 (JAVA_HOME or java on the path)")
    from weaksup.engines.config import EngineConfig
    from weaksup.engines.spark_setup import start_session

    session = start_session(EngineConfig(name="spark", master="local[2]"), {"spark.sql.shuffle.partitions": "2"})
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


def synthetic_parts(folder: Path, rows: int, parts: int, seed: int = 0) -> Path:
    """``rows`` comment-like rows (ids ``c0..``; 4-30 words drawn by frequency from the YouTube example's
    vocabulary, seeded) as ``parts`` Parquet parts ``part-00000.parquet``... in ``folder``."""
    from weaksup.datasets.examples import load_youtube_spam

    words = load_youtube_spam()["text"].str.split().explode()
    counts = words.value_counts()
    vocab, p = np.array(counts.index, dtype=object), counts.to_numpy() / counts.sum()
    folder.mkdir(parents=True, exist_ok=True)
    bounds = np.linspace(0, rows, parts + 1).astype(np.int64)
    for i in range(parts):
        start, stop = int(bounds[i]), int(bounds[i + 1])
        rng = np.random.default_rng([seed, i])
        lengths = rng.integers(4, 31, size=stop - start)
        drawn = vocab[rng.choice(len(vocab), size=int(lengths.sum()), p=p)]
        ends = np.cumsum(lengths)
        texts = [" ".join(drawn[e - k:e]) for e, k in zip(ends, lengths)]
        ids = [f"c{j}" for j in range(start, stop)]
        pq.write_table(pa.table({"row_id": pa.array(ids, pa.string()), "text": pa.array(texts, pa.string())}),
                       folder / f"part-{i:05d}.parquet")
    return folder
