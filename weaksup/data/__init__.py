"""Inputs: reading them (whole or in chunks), giving rows stable ids, and cleaning text.

=================  ===============================================================
``read``           :func:`read_table` (a whole file), :func:`input_files` (the files behind a path)
``chunks``         :func:`iter_chunks`: a file or a folder of Parquet parts in bounded chunks
``ids``            :func:`make_row_ids`: unique ids from keys that may repeat
``clean``          :func:`prepare` (normalise, mask, duplicates), :func:`duplicate_keys`,
                   :func:`as_text_series`, :data:`MASKS`, :class:`PrepReport`
=================  ===============================================================
"""

from __future__ import annotations

from weaksup.data.chunks import CHUNK_ROWS, iter_chunks
from weaksup.data.clean import MASKS, PrepReport, as_text_series, duplicate_keys, prepare
from weaksup.data.ids import make_row_ids
from weaksup.data.read import INPUT_SUFFIXES, input_files, read_table

__all__ = [
    "CHUNK_ROWS",
    "INPUT_SUFFIXES",
    "MASKS",
    "PrepReport",
    "as_text_series",
    "duplicate_keys",
    "input_files",
    "iter_chunks",
    "make_row_ids",
    "prepare",
    "read_table",
]
