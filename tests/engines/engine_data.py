"""Inputs and configs for the engine tests (E1's; the Spark and Dask tests may use them): the shipped YouTube
example as Parquet parts, synthetic comment-like parts for the 10 LFs of benchmarks/scale_lfs.py, run configs in
a temporary project, and a committed run's labels read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from weaksup.config import RunConfig, load_config
from weaksup.engines.convert import convert_input

REPO = Path(__file__).resolve().parents[2]
SCALE_LFS = str(REPO / "benchmarks" / "scale_lfs.py")
WORDS = ["great", "song", "love", "this", "check", "out", "my", "channel", "please", "subscribe", "free", "money",
         "video", "views", "2", "billion", "AWESOME", "http://x.io", "www.site.com", "i", "the", "nice", "cash", "plz"]


def youtube_config(tmp_path: Path, *, rows_per_part: int = 500, **tables: dict[str, Any]) -> RunConfig:
    """configs/youtube_spam.toml on its input converted to Parquet parts in ``tmp_path/input``, end model and
    MLflow off, no report, the labels in ``tmp_path/out``; ``tables`` update tables of the config."""
    base = load_config(REPO / "configs" / "youtube_spam.toml", project=REPO)
    folder = tmp_path / "input"
    if not folder.exists():
        convert_input(base, folder, rows=rows_per_part)
    doc = base.to_dict()
    doc["input"].update(example="", path=str(folder))
    doc["end_model"]["enabled"] = False
    doc["mlflow"]["enabled"] = False
    doc["gold"]["path"] = str(REPO / "gold_sets" / "youtube_spam")
    doc["output"].update(path=str(tmp_path / "out" / "labels.parquet"), report=False)
    for name, values in tables.items():
        doc.setdefault(name, {}).update(values)
    return RunConfig.from_dict(doc, project=REPO)


def synthetic_texts(n: int, seed: int) -> list[str]:
    """``n`` comment-like texts of 3-12 words (seeded)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 13, size=n)
    words = np.asarray(WORDS, dtype=object)[rng.integers(0, len(WORDS), size=int(lengths.sum()))]
    ends = np.cumsum(lengths)
    return [" ".join(words[e - k:e]) for e, k in zip(ends, lengths)]


def write_part(folder: Path, index: int, rows: int, *, start: int = 0, seed: int = 0) -> Path:
    """One synthetic part ``part-<index>.parquet`` with ids ``r<start>``...; several row groups."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"part-{index:04d}.parquet"
    frame = pd.DataFrame({"row_id": [f"r{i}" for i in range(start, start + rows)],
                          "text": synthetic_texts(rows, seed + index)})
    frame.to_parquet(path, index=False, row_group_size=max(rows // 4, 1))
    return path


def synthetic_config(tmp_path: Path, *, modules: list[str] | None = None, **tables: dict[str, Any]) -> RunConfig:
    """A run config over the Parquet parts in ``tmp_path/input`` (no gold set, MajorityVote by default)."""
    doc: dict[str, Any] = {
        "task": {"name": "synthetic", "labels": ["ham", "spam"]},
        "input": {"path": str(tmp_path / "input"), "id_column": "row_id", "text_column": "text"},
        "lfs": {"modules": modules or [SCALE_LFS]},
        "end_model": {"enabled": False}, "mlflow": {"enabled": False},
        "output": {"path": str(tmp_path / "out" / "labels.parquet"), "report": False},
    }
    for name, values in tables.items():
        doc.setdefault(name, {}).update(values)
    return RunConfig.from_dict(doc, project=tmp_path)


def run_labels(run_dir: Path) -> pd.DataFrame:
    """A committed run's labels, its parts in the manifest's order."""
    from weaksup.engines.runs import read_labels

    return read_labels(run_dir)


def streaming_labels(config: RunConfig) -> pd.DataFrame:
    """The labels of today's streaming run of ``config`` (its own output folder)."""
    import dataclasses

    from weaksup.pipeline import run

    out = config.output_path.parent.parent / "streaming" / "labels.parquet"
    local = dataclasses.replace(config, output=dataclasses.replace(config.output, path=str(out)), engine=None)
    run(local, progress=False)
    return pd.read_parquet(out)
