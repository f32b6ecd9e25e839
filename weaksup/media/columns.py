"""Media features as row columns: :func:`media_preprocessor`, a vectorised preprocessor for LFs' ``pre=[...]``."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from weaksup.embed.cache import EmbeddingCache
from weaksup.errors import DataError, ParameterError
from weaksup.lf.preprocess import Preprocessor
from weaksup.media.features import FeatureExtractor, check_extractor, extract_rows

__all__ = ["MediaColumns", "default_prefix", "media_preprocessor"]


def default_prefix(extractor: FeatureExtractor) -> str:
    """The column prefix of an extractor: its id before ``@``, as an identifier ("image-hog@1:..." -> "image_hog").

    Examples
    --------
    >>> class E:
    ...     id, names = "image-hog@1:size=64", ("h0",)
    >>> default_prefix(E())
    'image_hog'
    """
    return re.sub(r"\W+", "_", extractor.id.split("@")[0]).strip("_") or "features"


class MediaColumns:
    """The vectorised function of :func:`media_preprocessor`: a batch (DataFrame) -> its feature columns.

    Its :meth:`version_state` (the extractor id, the field and the prefix) is hashed into the version of every LF
    using the preprocessor. Those LFs are recomputed on every run (:attr:`cache_note`): a row holds the file's
    path, not its content, so saved votes could outlive an edited file; the features themselves come back from
    the content-keyed cache, so recomputing is cheap.
    """

    def __init__(self, extractor: FeatureExtractor, field: str, prefix: str,
                 cache: EmbeddingCache | None | bool, root: str | os.PathLike[str] | None) -> None:
        self.extractor = extractor
        self.field = field
        self.prefix = prefix
        self.cache = cache
        self.root = None if root is None else str(root)

    def columns(self) -> list[str]:
        """The new column names: ``<prefix>_<name>`` per feature, then ``<prefix>`` (the vector)."""
        return [f"{self.prefix}_{name}" for name in self.extractor.names] + [self.prefix]

    def __call__(self, frame: pd.DataFrame) -> Mapping[str, Sequence[Any]]:
        if self.field not in frame.columns:
            raise DataError(f"media preprocessor {self.prefix!r}: the rows have no column {self.field!r} (columns: "
                            f"{list(map(str, frame.columns))[:20]}); pass field= the column holding the paths")
        vectors, _ = extract_rows(frame[self.field].tolist(), self.extractor, field=self.field, cache=self.cache,
                                  root=self.root, progress=None)
        out: dict[str, Sequence[Any]] = {f"{self.prefix}_{name}": vectors[:, j].astype(float).tolist()
                                         for j, name in enumerate(self.extractor.names)}
        out[self.prefix] = list(vectors)
        return out

    def version_state(self) -> dict[str, Any]:
        """What the LFs using this preprocessor hash of it (:mod:`weaksup.lf.dependencies`): the extractor id, the
        field and the prefix (not the root: where the files are is not what is computed from them)."""
        return {"extractor": self.extractor.id, "field": self.field, "prefix": self.prefix}

    @property
    def cache_note(self) -> str:
        """Why the LFs reading these features are recomputed on every run."""
        return (f"it reads the files named in column {self.field!r} (media_preprocessor {self.prefix!r}): a file's "
                "content is not part of its row, so its votes are recomputed on every run (the features come back "
                "from the content-keyed cache)")

    def __repr__(self) -> str:
        return f"MediaColumns(extractor={self.extractor.id!r}, field={self.field!r}, prefix={self.prefix!r})"


def media_preprocessor(extractor: FeatureExtractor, field: str = "path", *, prefix: str | None = None,
                       cache: EmbeddingCache | None | bool = None,
                       root: str | os.PathLike[str] | None = None) -> Preprocessor:
    """A vectorised preprocessor adding an extractor's features to each row, for LFs' ``pre=[...]``.

    It adds one column per feature name, ``<prefix>_<name>`` (a float a threshold or generic LF can read), and one
    column ``<prefix>`` holding the whole vector (float32). Each batch runs it once, however many LFs list it, and
    each distinct content is computed once ever (the disk cache). A row whose field is missing gets NaN features.

    Parameters
    ----------
    extractor : FeatureExtractor
    field : str, default "path"
        The column holding the items (paths, arrays or bytes).
    prefix : str, optional
        Default: the extractor id before ``@`` as an identifier (``"image-hog@1:..."`` -> ``"image_hog"``).
    cache : EmbeddingCache, optional
        As for :func:`extract`.
    root : str or Path, optional
        The folder relative paths are read from (default: the working folder).

    Examples
    --------
    >>> import numpy as np
    >>> from weaksup.lf import labeling_function
    >>> class Stats:
    ...     id, names = "stats@1", ("mean", "max")
    ...     def __call__(self, item):
    ...         return np.array([np.mean(item), np.max(item)], dtype=np.float32)
    >>> stats = media_preprocessor(Stats(), "pixels", cache=False)
    >>> @labeling_function(pre=[stats])
    ... def bright(x):
    ...     return 1 if x.stats_mean > 0.5 else -1
    >>> bright({"pixels": np.ones((2, 2))}), bright({"pixels": np.zeros((2, 2))}), stats.name
    (1, -1, 'stats:stats@1')
    """
    extractor = check_extractor(extractor)
    if not isinstance(field, str) or not field:
        raise ParameterError(f"media_preprocessor: field must be the name of the column holding the items; got "
                             f"{field!r}")
    prefix = default_prefix(extractor) if prefix is None else prefix
    if not isinstance(prefix, str) or not prefix.isidentifier():
        raise ParameterError(f"media_preprocessor: prefix must be an identifier (it starts column names); got "
                             f"{prefix!r}")
    func = MediaColumns(extractor, field, prefix, cache, root)
    return Preprocessor(func, name=f"{prefix}:{extractor.id}", vectorized=True)
