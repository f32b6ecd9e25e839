"""A saved model loaded under another scikit-learn than the one that saved it: one warning, naming the file.

scikit-learn warns ``InconsistentVersionWarning`` once per estimator it unpickles (a TF-IDF + one-vs-rest pipeline:
a dozen of them), in words that name neither the file nor the fix. :func:`sklearn_versions_checked` wraps the
loading of one model file (:func:`weaksup.lf.artefacts.load_model`, ``.skops`` and joblib alike): those warnings
become one logged warning naming the file, the version that saved it, the version loading it and the fix (save the
model again under this scikit-learn: rebuild it with the script that made it, or ``Workbench.export``, and pin the
new file's hash; the LF's version follows the new file). Other warnings pass through untouched.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["sklearn_versions_checked", "version_note"]

logger = logging.getLogger(__name__)


def version_note(who: str, saved: list[str], current: str, estimators: list[str]) -> str:
    """The warning about ``who`` (the model file), saved under scikit-learn ``saved`` and loaded under ``current``.

    Examples
    --------
    >>> print(version_note("model file 'm.skops'", ["1.8.0"], "1.9.1", ["LogisticRegression"]))  # doctest: +ELLIPSIS
    model file 'm.skops' was saved with scikit-learn 1.8.0 and is loaded with scikit-learn 1.9.1 \
(LogisticRegression): ... save the model again under scikit-learn 1.9.1 ...
    """
    return (f"{who} was saved with scikit-learn {', '.join(saved)} and is loaded with scikit-learn {current} "
            f"({', '.join(estimators)}): scikit-learn does not promise the same predictions across versions, so "
            f"the LF's votes may differ from the ones checked when it was built. Fix: save the model again under "
            f"scikit-learn {current} (rerun the script that built it, e.g. the shipped examples' "
            "labeling_functions/goemotions_models/build.py or python -m weaksup.datasets.youtube_spam.build_sms_model,"
            " or Workbench.export / weaksup.lf.artefacts.save_model for your own model) and pin the new file's hash "
            f"(the LF's version follows the file); or install scikit-learn=={saved[0]}")


@contextmanager
def sklearn_versions_checked(who: str) -> Iterator[None]:
    """Load a model file inside: scikit-learn's version warnings become one logged :func:`version_note` about
    ``who``; every other warning is given again as it came.

    Examples
    --------
    >>> with sklearn_versions_checked("model file 'm.skops'"):
    ...     pass
    """
    from sklearn.exceptions import InconsistentVersionWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    saved: dict[str, None] = {}
    estimators: dict[str, None] = {}
    current = ""
    for w in caught:
        message = w.message
        if isinstance(message, InconsistentVersionWarning):
            saved[str(message.original_sklearn_version)] = None
            estimators[str(message.estimator_name)] = None
            current = str(message.current_sklearn_version)
        else:  # (outside the catch: the caller's filters decide, e.g. -W error)
            warnings.warn_explicit(message, w.category, w.filename, w.lineno, source=w.source)
    if saved:
        logger.warning("%s", version_note(who, list(saved), current, list(estimators)))
