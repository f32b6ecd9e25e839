"""A run's input and labels as MLflow datasets (``mlflow.data``), and the labels file as an artifact when small.

- ``input:<task>`` (context ``input``): where the rows came from (the input file, or the folder of its
  files), digest = the run's ``data_hash`` (the identity its saved votes are keyed by: files, sizes and
  modification times, cleaning and chunking), profile = rows, files and bytes. Only metadata: the input is
  not read again.
- ``labels:<task>`` (context ``labels``): the labels file at its published path, digest = the first 16 hex
  digits of its ``run.json`` fingerprint (``sha256_sample``). A file of at most :data:`LABELS_ARTIFACT_BYTES`
  is read whole (MLflow records its schema and profile) and logged as the artifact ``labels/<file name>``; a
  larger one is described from its first :data:`SCHEMA_SAMPLE_ROWS` rows and not copied into the store.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)

#: Labels files up to this size (bytes) are logged as a run artifact and as a full MLflow dataset (10 MiB: the
#: labels of ~100,000 rows in Parquet, ~50,000 in CSV; the shipped example's 1,956 rows are ~0.1 MiB).
LABELS_ARTIFACT_BYTES = 10 * 2**20
#: Rows read from a larger labels file to describe its columns.
SCHEMA_SAMPLE_ROWS = 1000


def read_labels(path: Path, rows: int | None = None) -> pd.DataFrame:
    """A labels file (``.parquet``, ``.csv``, ``.jsonl``), whole or its first ``rows`` rows, ``row_id`` as text.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "labels.csv"
    >>> _ = path.write_text("row_id,label\\n007,spam\\n008,ham\\n")
    >>> read_labels(path, rows=1)
      row_id label
    0    007  spam
    """
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        if rows is None:
            return pd.read_parquet(path)
        file = pq.ParquetFile(path)
        batch = next(file.iter_batches(batch_size=rows), None)
        table = pa.Table.from_batches([batch]) if batch is not None else file.schema_arrow.empty_table()
        return table.to_pandas()
    if suffix == ".csv":
        return pd.read_csv(path, dtype={"row_id": str}, nrows=rows, keep_default_na=False, na_values=[""])
    return pd.read_json(path, lines=True, dtype={"row_id": str}, nrows=rows)


def profiled_dataset(source: Any, name: str, digest: str, profile: dict[str, Any], schema: Any = None) -> Any:
    """An ``mlflow.data.meta_dataset.MetaDataset`` (metadata only) that also records ``profile`` (MLflow's has
    none), as the UI shows a dataset's profile."""
    from mlflow.data.meta_dataset import MetaDataset

    class Profiled(MetaDataset):
        @property
        def profile(self) -> dict[str, Any]:
            return profile

        def to_dict(self) -> dict[str, str]:
            config: dict[str, str] = super().to_dict()
            config["profile"] = json.dumps(profile)
            return config

    return Profiled(source, name=name, digest=digest, schema=schema)


def local_source(path: str | os.PathLike[str]) -> Any:
    """MLflow's dataset source for a local file or folder."""
    from mlflow.data.sources import LocalArtifactDatasetSource  # type: ignore[attr-defined]

    return LocalArtifactDatasetSource(str(Path(path).resolve()))


def input_dataset(files: Sequence[Path], *, task: str, digest: str, rows: int) -> Any:
    """The run's input as a metadata-only MLflow dataset (see the module docstring)."""
    resolved = [Path(f).resolve() for f in files]
    where = resolved[0] if len(resolved) == 1 else Path(os.path.commonpath(resolved))
    profile = {"num_rows": rows, "files": len(resolved), "bytes": sum(f.stat().st_size for f in resolved)}
    return profiled_dataset(local_source(where), f"input:{task}", digest, profile)


def labels_dataset(staged: Path, published: Path, *, task: str, digest: str) -> tuple[Any, bool]:
    """The labels file (read at ``staged``, recorded at ``published``) as an MLflow dataset, and whether it is
    small enough (:data:`LABELS_ARTIFACT_BYTES`) to be logged as an artifact too."""
    import mlflow

    from mlflow.models import infer_signature

    size = staged.stat().st_size
    source = local_source(published)
    small = size <= LABELS_ARTIFACT_BYTES
    try:
        with quiet_schema_hints():
            if small:
                from_pandas = mlflow.data.from_pandas  # type: ignore[attr-defined]
                return from_pandas(read_labels(staged), source=source, name=f"labels:{task}", digest=digest), True
            schema = infer_signature(read_labels(staged, SCHEMA_SAMPLE_ROWS)).inputs
    except Exception as exc:  # a column type MLflow's schema cannot express: the dataset without a schema
        logger.info("labels dataset logged without its schema (%s: %s)", type(exc).__name__, exc)
        schema = None
    return profiled_dataset(source, f"labels:{task}", digest, {"bytes": size}, schema), small


@contextlib.contextmanager
def quiet_schema_hints() -> Iterator[None]:
    """Without MLflow's hint that integer columns cannot hold missing values (weaksup's counts never miss one)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer column", category=UserWarning)
        yield


def log_datasets(*, files: Sequence[Path], labels: Path, published: Path, task: str, data_hash: str,
                 labels_digest: str, rows: int) -> None:
    """Log the input (context ``input``) and the labels (context ``labels``) to the active MLflow run, and the
    labels file as ``labels/<name>`` when small."""
    import mlflow

    with quiet_schema_hints():  # MLflow computes a dataset's schema lazily, when it is logged
        mlflow.log_input(input_dataset(files, task=task, digest=data_hash, rows=rows), context="input")
        dataset, small = labels_dataset(labels, published, task=task, digest=labels_digest)
        mlflow.log_input(dataset, context="labels", tags={"rows": str(rows)})
    if small:
        mlflow.log_artifact(str(labels), artifact_path="labels")
    else:
        logger.info("labels file %s is %.1f MiB (over %d MiB): logged as a dataset, not as an artifact", published,
                    labels.stat().st_size / 2**20, LABELS_ARTIFACT_BYTES // 2**20)
