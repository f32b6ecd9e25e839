"""Inputs: reading them (whole or in chunks), giving rows stable ids, and cleaning text.

=================  ===============================================================
``read``           :func:`read_table` (a whole file, folder or pattern)
``files``          :func:`input_files`: the files behind a path (a file, a folder, a glob pattern), checked
``chunks``         :func:`iter_chunks`: a file, folder or pattern of files in bounded chunks
``ids``            :func:`make_row_ids`: unique ids from keys that may repeat
``delimited``      strict CSV/TSV reading (field counts, header names, quotes; real line numbers)
``jsonl``          strict JSON Lines reading (absent keys, ids and texts that are not text)
``columns``        :func:`as_text`, :func:`text_type`: what an id or text column may hold
``locate``         :func:`locate_row`: the real line (or part file) of a row, for messages
``clean``          :func:`prepare` (normalise, mask, duplicates), :func:`duplicate_keys`,
                   :func:`as_text_series`, :data:`MASKS`, :class:`PrepReport`
=================  ===============================================================
"""

from __future__ import annotations

from weaksup.data.chunks import CHUNK_ROWS, iter_chunks
from weaksup.data.columns import as_text, text_type
from weaksup.data.clean import MASKS, PrepReport, as_text_series, duplicate_keys, prepare
from weaksup.data.ids import make_row_ids
from weaksup.data.locate import locate_row
from weaksup.data.files import INPUT_SUFFIXES, check_file, input_files, is_pattern, matches_pattern, pattern_base
from weaksup.data.read import read_table

__all__ = [
    "CHUNK_ROWS",
    "INPUT_SUFFIXES",
    "MASKS",
    "PrepReport",
    "as_text",
    "as_text_series",
    "check_file",
    "duplicate_keys",
    "input_files",
    "is_pattern",
    "iter_chunks",
    "locate_row",
    "make_row_ids",
    "matches_pattern",
    "pattern_base",
    "prepare",
    "read_table",
    "text_type",
]
