"""The shipped example: the UCI YouTube Spam Collection."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from weaksup.data import make_row_ids, read_table
from weaksup.errors import DataError
from weaksup.labels import LabelSpace

#: Classes of the YouTube spam task, in id order.
YOUTUBE_LABELS = LabelSpace(["ham", "spam"])

_REPO = Path(__file__).resolve().parent.parent
YOUTUBE_DIR = _REPO / "data" / "youtube_spam"
_VIDEOS = ["Psy", "KatyPerry", "LMFAO", "Eminem", "Shakira"]


def youtube_split(comment_id: str) -> str:
    """The gold split of a comment: ``test`` (15%), ``dev`` (15%) or ``unlabeled`` (70%).

    A deterministic rule on the comment id: the first 8 hex digits of
    ``sha1(COMMENT_ID)`` as an integer, modulo 100; below 15 is ``test``, 15-29 ``dev``.
    Repeats of a comment share its id and so its split.

    Examples
    --------
    >>> youtube_split("z13jhp0bxqncu512g22wvzkasxmvvzjaz04")
    'unlabeled'
    """
    bucket = int(hashlib.sha1(comment_id.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "test" if bucket < 15 else "dev" if bucket < 30 else "unlabeled"


def load_youtube_spam(folder: str | os.PathLike[str] | None = None, *, with_labels: bool = False) -> pd.DataFrame:
    """The 1,956 comments of the five YouTube Spam Collection CSVs, in file order.

    Columns: ``row_id`` (the comment id; a repeat gets ``#2``), ``author``, ``date``,
    ``text``, ``video``, and features for threshold LFs: ``n_chars``, ``n_words``,
    ``n_upper``, ``hour`` (of the comment's timestamp; missing when the date is).
    The UCI ``CLASS`` column is the gold truth: it is only included (as ``label``, a
    class name) with ``with_labels=True``, for building gold sets and simulations;
    LFs never see it.
    """
    folder = Path(folder) if folder is not None else YOUTUBE_DIR
    frames = []
    for i, video in enumerate(_VIDEOS, start=1):
        matches = sorted(folder.glob(f"Youtube0{i}-{video}.csv"))
        if not matches:
            raise DataError(f"{folder}: missing Youtube0{i}-{video}.csv of the YouTube Spam Collection")
        frame = read_table(matches[0], dtype={"COMMENT_ID": str, "AUTHOR": str, "DATE": str, "CONTENT": str})
        missing = {"COMMENT_ID", "AUTHOR", "DATE", "CONTENT", "CLASS"} - set(frame.columns)
        if missing:
            raise DataError(f"{matches[0]}: missing column(s) {sorted(missing)}; found {list(frame.columns)}")
        frames.append(frame.assign(video=video))
    raw = pd.concat(frames, ignore_index=True)
    text = raw["CONTENT"]
    dates = pd.to_datetime(raw["DATE"], errors="coerce", format="ISO8601")
    out = pd.DataFrame({
        "row_id": make_row_ids(raw["COMMENT_ID"]),
        "author": raw["AUTHOR"],
        "date": raw["DATE"],
        "text": text,
        "video": raw["video"],
        "n_chars": text.str.len(),
        "n_words": text.str.split().str.len(),
        "n_upper": text.str.count(r"[A-Z]"),
        "hour": dates.dt.hour.astype("Float64"),
    })
    if with_labels:
        out["label"] = raw["CLASS"].map(dict(enumerate(YOUTUBE_LABELS)))
        out["split"] = raw["COMMENT_ID"].map(youtube_split)
    return out
