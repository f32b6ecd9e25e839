"""Held-out probabilities of a model-score LF's model on the texts it was trained on (``held_out=`` of
:func:`~weaksup.multilabel.model_lf.multilabel_model_lf`): those rows vote from out-of-fold probabilities, as the
model would on unseen text."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from weaksup.errors import LFDefinitionError
from weaksup.lf.artefacts import file_sha256

__all__ = ["load_held_out", "save_held_out", "text_key"]

ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")


def text_key(text: str) -> str:
    """The key of a text in a held-out file: SHA-256 of its NFKC form without zero-width characters, whitespace
    runs as one space, trimmed (so the text as read and as cleaned by a run share a key).

    Examples
    --------
    >>> text_key("Thanks  a lot ") == text_key("Thanks a lot")
    True
    """
    import unicodedata

    canonical = " ".join(ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text)).split())
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def save_held_out(path: str | os.PathLike[str], texts: Sequence[str], proba: np.ndarray) -> Path:
    """Write a model's out-of-fold probabilities on the texts it was trained on, for ``held_out=`` of
    :func:`multilabel_model_lf` (an ``.npz`` of text keys and float32 probabilities; no pickle).

    Examples
    --------
    >>> import tempfile
    >>> path = save_held_out(Path(tempfile.mkdtemp()) / "oof.npz", ["a", "b"], np.array([[0.1], [0.9]]))
    >>> sorted(np.load(path, allow_pickle=False).files)
    ['keys', 'proba']
    """
    path = Path(path)
    proba = np.asarray(proba, dtype=np.float32)
    if path.suffix != ".npz" or proba.ndim != 2 or len(proba) != len(texts):
        raise LFDefinitionError(f"save_held_out: give an .npz path and (n, k) probabilities for the n texts; got "
                                f"{str(path)!r}, {len(texts)} texts and shape {proba.shape}")
    np.savez_compressed(path, keys=np.array([text_key(t) for t in texts]), proba=proba)
    return path


def load_held_out(path: str | os.PathLike[str], k: int, lf_name: str) -> tuple[dict[str, int], np.ndarray, str]:
    """A held-out file as ``(key -> row, (n, k) probabilities, the file's SHA-256)``; a bad file raises."""
    path = Path(path)
    if not path.is_file():
        raise LFDefinitionError(f"LF {lf_name!r}: held_out file {str(path)!r} does not exist; write it with "
                                "save_held_out(path, training_texts, out_of_fold_probabilities)")
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, proba = data["keys"], data["proba"].astype(float)
    except (OSError, ValueError, KeyError) as exc:
        raise LFDefinitionError(f"LF {lf_name!r}: held_out file {str(path)!r} is not a save_held_out .npz file "
                                f"({type(exc).__name__}: {exc})") from None
    if proba.ndim != 2 or proba.shape[1] != k or len(keys) != len(proba):
        raise LFDefinitionError(f"LF {lf_name!r}: held_out file {str(path)!r} has probabilities of shape "
                                f"{proba.shape} for {len(keys)} texts; the LF's {k} labels need ({len(keys)}, {k})")
    return {str(key): i for i, key in enumerate(keys)}, proba, file_sha256(path)
