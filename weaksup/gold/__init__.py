"""Gold sets: versioned, validated, content-hashed hand labels under ``gold_sets/<task>/``.

A gold set is a folder holding a ``manifest.json`` and one or more label files::

    gold_sets/youtube_spam/
        manifest.json   {"task": "youtube_spam", "version": 1, "label_space": ["ham", "spam"],
                         "files": ["labels.csv"], "id_column": "row_id", ...}
        labels.csv      row_id,label,split,annotator,timestamp

Label files are CSV (``.csv``) or JSON Lines (``.jsonl``), one annotation per row or line:

- ``row_id`` (or the manifest's ``id_column``): the id of the labelled data row;
- ``label``: a class name of the manifest's ``label_space``;
- ``split``: ``dev`` (for writing and tuning LFs and label models) or ``test`` (only for measuring);
- ``annotator`` and ``timestamp`` (ISO 8601), optional. Several annotators may label the same row:
  :meth:`GoldSet.labels` takes their majority, :func:`agreement` measures how much they agree.

Other columns are kept in :attr:`GoldSet.frame` but are not part of the gold set's identity; ``write_gold``
writes ``origin`` (Label Studio's: ``prediction`` when the pre-filled suggestion was accepted unchanged,
``prediction-changed``, ``manual``), which :func:`prefill_report` summarises, and Label Studio's ``annotator_id``
and ``annotation_id`` (so a later import knows ``user-4`` is ``ann@lab.org`` and an answer it holds already).

:meth:`GoldSet.counts` counts the rows the labels use: a row whose annotators tie is left out of the labels,
so of the count too (:meth:`GoldSet.tied` counts those).

Loading (:func:`load_gold`) checks everything and reports every problem at once, each with its
file and line, in one :class:`~weaksup.errors.GoldSetError`. :attr:`GoldSet.hash` identifies the
content (ids, labels, splits, annotators, timestamps and the label space; not the row order or
the file format): log it wherever the gold set is used.

Versions are never lost: writing a new version into a folder that holds a gold set (``write_gold``, or
``weaksup review import``) leaves every earlier version's files as they are and writes the new rows to
a content-addressed ``labels-<hash>.csv``; the manifest's ``versions`` points at each version's files
and ``load_gold(folder, version=N)`` reads any of them (:mod:`weaksup.gold.versions`). Writers take turns: two
at once on one folder (two imports) each hold it from reading the manifest to publishing theirs
(:mod:`weaksup.gold.lock`), so neither's version is dropped. In the CSV files
weaksup writes, cells a spreadsheet would run as formulas start with a ``'`` (listed under
``escaped_files``; read back without it, see :mod:`weaksup.spreadsheet`).
"""

from weaksup.gold.agreement import Agreement, agreement
from weaksup.gold.core import MANIFEST, OPTIONAL, REQUIRED, SPLITS, GoldSet, content_hash
from weaksup.gold.io import load_gold, write_gold
from weaksup.gold.provenance import PrefillReport, prefill_report

__all__ = [
    "MANIFEST", "OPTIONAL", "REQUIRED", "SPLITS", "Agreement", "GoldSet", "PrefillReport", "agreement", "content_hash",
    "load_gold", "prefill_report", "write_gold",
]
