"""The shipped examples: data, labeling functions and gold set, all package data, behind one seam.

The run code and the CLI reach an example only through :func:`get_example` (or :data:`EXAMPLES`);
nothing outside this module knows where an example's files are::

    example = get_example("youtube_spam")  # DatasetError naming the choices for an unknown name
    example.name, example.label_space        # "youtube_spam", LabelSpace(['ham', 'spam'])
    example.id_column, example.text_column   # "row_id", "text"
    example.files                            # the data files in reading order (the run's input identity)
    example.load()                           # the rows as a DataFrame (with_labels=True adds label, split)
    example.iter_chunks(chunk_rows=1000)     # the rows in chunks, indexed by position (like data.iter_chunks)
    example.lfs_module                       # "weaksup.datasets.youtube_spam.lfs", importable from any folder
    example.gold_dir                         # the gold set folder, for weaksup.gold.load_gold

The YouTube example is the UCI YouTube Spam Collection (see ``youtube_spam/data/SOURCE.md``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from weaksup.data import CHUNK_ROWS, make_row_ids, read_table
from weaksup.errors import DatasetError, DataError
from weaksup.labels import LabelSpace

_HERE = Path(__file__).resolve().parent

#: Classes of the YouTube spam task, in id order.
YOUTUBE_LABELS = LabelSpace(["ham", "spam"])
#: The folder of the five YouTube Spam Collection CSVs (package data).
YOUTUBE_DIR = _HERE / "youtube_spam" / "data"
_VIDEOS = ["Psy", "KatyPerry", "LMFAO", "Eminem", "Shakira"]


@dataclass(frozen=True)
class Example:
    """A shipped example: its rows, label space, LF module and gold set, all inside the package.

    Parameters
    ----------
    name : str
        The name ``input.example`` and :func:`get_example` use.
    description : str
        One line for listings.
    label_space : LabelSpace
        The classes, in id order.
    root : pathlib.Path
        The example's package folder: ``data/`` (the rows), ``gold/`` (the gold set), the LF module.
    data_files : tuple of str
        The data files under ``root / "data"``, in reading order.
    lfs_module : str
        The dotted name of the example's LF module (for ``Registry.from_modules``).
    loader : callable
        ``loader(data_dir, with_labels=...) -> DataFrame``: reads the rows.
    id_column, text_column : str
        The row id and text columns of the loaded rows.
    sensitive_fields : tuple of str
        Columns that name people (``[review] sensitive_fields``): a run on the example masks them in review tasks.

    Examples
    --------
    >>> example = get_example("youtube_spam")
    >>> example.lfs_module, [p.name for p in example.files][:2], example.gold_dir.name
    ('weaksup.datasets.youtube_spam.lfs', ['Youtube01-Psy.csv', 'Youtube02-KatyPerry.csv'], 'gold')
    """

    name: str
    description: str
    label_space: LabelSpace
    root: Path
    data_files: tuple[str, ...]
    lfs_module: str
    loader: Callable[..., pd.DataFrame]
    id_column: str = "row_id"
    text_column: str = "text"
    sensitive_fields: tuple[str, ...] = ()

    @property
    def data_dir(self) -> Path:
        """The folder of the example's data files."""
        return self.root / "data"

    @property
    def files(self) -> tuple[Path, ...]:
        """The data files, in reading order: what identifies the example's rows for saved votes."""
        return tuple(self.data_dir / name for name in self.data_files)

    @property
    def gold_dir(self) -> Path:
        """The gold set folder (``manifest.json`` and its label files), for :func:`weaksup.gold.load_gold`."""
        return self.root / "gold"

    def load(self, *, with_labels: bool = False) -> pd.DataFrame:
        """The example's rows, indexed by position; ``with_labels`` adds the gold truth (never for LFs)."""
        return self.loader(self.data_dir, with_labels=with_labels)

    def iter_chunks(self, *, chunk_rows: int = CHUNK_ROWS, columns: Iterable[str] | None = None
                    ) -> Iterator[pd.DataFrame]:
        """The rows in chunks of ``chunk_rows``, each indexed by row position in the whole example.

        ``columns`` keeps those of the example's columns (all when None); the others are left for the
        caller's column check to report, as for any input.

        Examples
        --------
        >>> chunks = list(get_example("youtube_spam").iter_chunks(chunk_rows=1000, columns=["row_id", "text"]))
        >>> [len(c) for c in chunks], chunks[1].index[0], list(chunks[0].columns)
        ([1000, 956], 1000, ['row_id', 'text'])
        """
        frame = self.load()
        if columns is not None:
            frame = frame[[c for c in columns if c in frame.columns]]
        for start in range(0, len(frame), chunk_rows):
            yield frame.iloc[start:start + chunk_rows]


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

    Examples
    --------
    >>> rows = load_youtube_spam()
    >>> len(rows), list(rows.columns[:5])
    (1956, ['row_id', 'author', 'date', 'text', 'video'])
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


#: The shipped examples by name.
EXAMPLES: dict[str, Example] = {
    "youtube_spam": Example(
        name="youtube_spam",
        description="UCI YouTube Spam Collection: 1,956 comments on five music videos, ham or spam",
        label_space=YOUTUBE_LABELS,
        root=_HERE / "youtube_spam",
        data_files=tuple(f"Youtube0{i}-{video}.csv" for i, video in enumerate(_VIDEOS, start=1)),
        lfs_module="weaksup.datasets.youtube_spam.lfs",
        loader=load_youtube_spam,
        sensitive_fields=("author",),  # (the commenters' names, as configs/youtube_spam.toml says)
    ),
}


def get_example(name: str) -> Example:
    """The shipped example called ``name``.

    Raises
    ------
    DatasetError
        ``name`` is not a shipped example; the message lists them.

    Examples
    --------
    >>> get_example("youtube_spam").label_space
    LabelSpace(['ham', 'spam'])
    >>> get_example("imdb")
    Traceback (most recent call last):
    ...
    weaksup.errors.DatasetError: 'imdb' is not a shipped example; choose one of ['youtube_spam']
    """
    try:
        return EXAMPLES[name]
    except (KeyError, TypeError):
        raise DatasetError(f"{name!r} is not a shipped example; choose one of {sorted(EXAMPLES)}") from None
