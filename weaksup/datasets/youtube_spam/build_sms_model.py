"""Build the example's SMS spam model, ``sms_spam/sms_spam_model.joblib``, from ``sms_spam/SMSSpamCollection``.

The example's ``sms_model`` LF (``lfs.py``) loads this file instead of training at import. It is a joblib file
because loading one takes milliseconds, where importing skops alone takes seconds (it imports every scikit-learn
module); ``lfs.py`` pins its SHA-256, which is checked before anything is unpickled. Run this script only to rebuild
it (e.g. after a scikit-learn upgrade), then put the hash it prints into ``lfs.py``::

    python -m weaksup.datasets.youtube_spam.build_sms_model          # writes the file, prints its SHA-256
    python -m weaksup.datasets.youtube_spam.build_sms_model --check  # does the shipped file predict as a fresh fit?

Rebuilding changes the file's bytes, hence the LF's version (its saved votes are recomputed once).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from weaksup.datasets.examples import YOUTUBE_LABELS

__all__ = ["MODEL_PATH", "SMS_PATH", "main", "read_sms", "train_sms_model"]

_HERE = Path(__file__).resolve().parent
#: The SMS Spam Collection (see ``sms_spam/SOURCE.md``).
SMS_PATH = _HERE / "sms_spam" / "SMSSpamCollection"
#: The fitted model the example's LF loads.
MODEL_PATH = _HERE / "sms_spam" / "sms_spam_model.joblib"


def read_sms(path: Path = SMS_PATH) -> tuple[list[str], np.ndarray]:
    """The messages and their class ids in the example's label space (``ham`` 0, ``spam`` 1).

    Examples
    --------
    >>> texts, labels = read_sms()
    >>> len(texts), int(labels.sum())
    (5574, 747)
    """
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE) if len(r) == 2][1:]
    spam, ham = YOUTUBE_LABELS["spam"], YOUTUBE_LABELS["ham"]
    return [t for _, t in rows], np.array([spam if lab == "spam" else ham for lab, _ in rows])


def train_sms_model(texts: Sequence[str], labels: Sequence[int] | np.ndarray) -> Any:
    """TF-IDF (words 1-2, sublinear) + balanced logistic regression: the model the example shipped before
    it was saved as a file (same settings, so the same votes).

    Examples
    --------
    >>> model = train_sms_model(["win cash now", "call me later", "free prize", "see you soon"], [1, 0, 1, 0])
    >>> model.predict(["free cash"]).tolist()
    [1]
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    min_df = 2 if len(texts) > 100 else 1  # 2 on the real collection; 1 lets a toy example fit
    model = make_pipeline(TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=min_df),
                          LogisticRegression(C=10.0, max_iter=1000, class_weight="balanced"))
    return model.fit(list(texts), np.asarray(labels))


def main(argv: Sequence[str] | None = None) -> int:
    """Write :data:`MODEL_PATH` (or, with ``--check``, compare it with a fresh fit); the exit status.

    Examples
    --------
    >>> main(["--help"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    SystemExit: 0
    """
    import joblib

    from weaksup._io import atomic_path
    from weaksup.lf.artefacts import file_sha256, load_model

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare the shipped file with a fresh fit")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    texts, labels = read_sms()
    fresh = train_sms_model(texts, labels)
    if args.check:
        shipped = load_model(args.out, model_sha256=file_sha256(args.out)).model  # our own file
        same = np.allclose(shipped.predict_proba(texts), fresh.predict_proba(texts), atol=1e-9)
        sys.stdout.write(f"{args.out}: {'same predictions as a fresh fit' if same else 'DIFFERS from a fresh fit'}\n")
        return 0 if same else 1
    with atomic_path(args.out) as tmp:
        joblib.dump(fresh, tmp, compress=3)
    sys.stdout.write(f"wrote {args.out}, SHA-256 {file_sha256(args.out)}: pin it in lfs.py\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
