"""The input's columns a config names, checked when a run starts, before any LF runs (:func:`check_named_columns`):
``review.sensitive_fields``, a temporal label model's ``sequence_column`` / ``order_column`` and
``[end_model] exclude_columns``. A CSV, TSV or Parquet input's columns are read from its header or schema, others'
from their first chunk (:func:`input_columns`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from weaksup._io import readable
from weaksup.config import RunConfig
from weaksup.errors import ConfigError

__all__ = ["check_named_columns", "check_order_columns", "check_sensitive", "input_columns"]

#: The inputs whose columns are read from their header or schema (not their rows).
HEADED = (".csv", ".tsv", ".parquet")


def check_named_columns(config: RunConfig, files: list[Path]) -> None:
    """Every column check of a run's start, on the input ``files`` (:func:`weaksup.pipeline.inputs.input_identity`)."""
    from weaksup.pipeline.end_columns import check_exclude_columns

    check_sensitive(config, files)
    check_order_columns(config, files)
    if config.end_model.exclude_columns:
        check_exclude_columns(config, input_columns(config, files))


def input_columns(config: RunConfig, files: list[Path]) -> list[str]:
    """The input's column names: a CSV, TSV or Parquet file's header (of the first file), else the first chunk's."""
    from weaksup.data.files import file_columns
    from weaksup.pipeline.inputs import read_chunks, several_files

    if not config.input.example and files and files[0].suffix.lower() in HEADED:
        with readable("input.path"):
            return file_columns(files[0], config.input.encoding, part=several_files(config))
    return [str(c) for c in next(read_chunks(config, None), pd.DataFrame()).columns]


def check_sensitive(config: RunConfig, files: list[Path]) -> None:
    """``review.sensitive_fields`` names columns of the input (a CSV, TSV or Parquet header), checked when the
    run starts: a misspelt name would mask nothing in review exports."""
    from weaksup.review.privacy import check_sensitive_fields

    if config.input.example:  # (a shipped example's files hold its raw columns: its export checks the named ones)
        return
    if config.review.sensitive_fields and files and files[0].suffix.lower() in HEADED:
        check_sensitive_fields(config.review.sensitive_fields, input_columns(config, files), where=config.source,
                               error=ConfigError)


def check_order_columns(config: RunConfig, files: list[Path]) -> None:
    """A temporal model's ``sequence_column`` / ``order_column`` are columns of the input (its CSV, TSV or Parquet
    header, else its first chunk) with a place for every row, checked when the run starts, before any LF runs
    (:func:`weaksup.pipeline.order_columns.check_run_order`)."""
    from weaksup.pipeline.order_columns import check_run_order

    params = config.label_model.params
    if not (params.get("sequence_column") or params.get("order_column")):
        return
    check_run_order(config, input_columns(config, files))
