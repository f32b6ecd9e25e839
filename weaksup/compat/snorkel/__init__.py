"""Snorkel's names, signatures and meanings over weaksup: a Snorkel script runs after changing its imports only.

Change every ``from snorkel.<module> import X`` (``snorkel.labeling``, ``snorkel.labeling.model``,
``snorkel.labeling.lf.nlp``, ``snorkel.preprocess``, ``snorkel.analysis``, ``snorkel.utils``) to
``from weaksup.compat.snorkel import X``:

- :class:`PandasLFApplier` (``apply(df, progress_bar, fault_tolerant, return_meta)`` -> int64 ``L``) runs
  :func:`weaksup.apply_lfs`; :class:`ApplierMetadata`; :class:`PandasParallelLFApplier` (processes or threads,
  rows in order) and :class:`DaskLFApplier` (:func:`weaksup.apply.dask.apply_lfs_dask`).
- :class:`LFAnalysis` (``lf_summary`` and the per-LF and dataset rates) reads :class:`weaksup.analysis.VoteStats`.
- :class:`LabelModel` is backed by :class:`weaksup.models.SnorkelLabelModel` (Snorkel's algorithm, same predictions
  for the same seed); :class:`MajorityLabelVoter`, :class:`MajorityClassVoter`, :class:`RandomVoter`.
- :func:`probs_to_preds` (Snorkel's policies: ``"random"`` is its deterministic hash, weaksup's ``"hash"``),
  :func:`preds_to_probs`, :func:`filter_unlabeled_dataframe`, :func:`get_label_buckets`, :func:`metric_score`,
  :class:`Scorer`.
- ``LabelingFunction``, ``labeling_function``, ``nlp_labeling_function``, ``NLPLabelingFunction``, ``preprocessor``,
  ``Preprocessor``, ``BasePreprocessor``, ``LambdaPreprocessor`` and ``SpacyPreprocessor`` are Snorkel's own classes,
  re-exported on first use (they need Snorkel installed): an LF module keeps its LFs exactly as they are, and
  weaksup runs them (``apply_lfs``, ``Registry``, ``weaksup run``) with the votes Snorkel gives.

Importing this module imports neither Snorkel nor torch; ``LabelModel.fit`` and the re-exported LF classes do.
"""

from __future__ import annotations

import importlib
from typing import Any

from weaksup.compat.snorkel.analysis import LFAnalysis
from weaksup.compat.snorkel.apply import ApplierMetadata, DaskLFApplier, PandasLFApplier, PandasParallelLFApplier
from weaksup.compat.snorkel.model import LabelModel, MajorityClassVoter, MajorityLabelVoter, RandomVoter
from weaksup.compat.snorkel.utils import (
    Scorer,
    filter_unlabeled_dataframe,
    get_label_buckets,
    metric_score,
    preds_to_probs,
    probs_to_preds,
    to_int_label_array,
)

#: Snorkel's own LF and preprocessor classes, re-exported from their Snorkel module on first use.
SNORKEL_CLASSES = {
    "LabelingFunction": "snorkel.labeling.lf.core",
    "labeling_function": "snorkel.labeling.lf.core",
    "NLPLabelingFunction": "snorkel.labeling.lf.nlp",
    "nlp_labeling_function": "snorkel.labeling.lf.nlp",
    "BasePreprocessor": "snorkel.preprocess.core",
    "LambdaPreprocessor": "snorkel.preprocess.core",
    "Preprocessor": "snorkel.preprocess.core",
    "preprocessor": "snorkel.preprocess.core",
    "SpacyPreprocessor": "snorkel.preprocess.nlp",
}


def __getattr__(name: str) -> Any:
    if name in SNORKEL_CLASSES:
        try:
            module = importlib.import_module(SNORKEL_CLASSES[name])
        except ImportError as exc:
            raise ImportError(f"weaksup.compat.snorkel.{name} is Snorkel's own class and needs Snorkel: "
                              f"pip install 'weaksup[snorkel]' (or write the LF with weaksup.labeling_function)"
                              ) from exc
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(SNORKEL_CLASSES))


__all__ = [  # sorted; SNORKEL_CLASSES' names are Snorkel's own classes, imported on first use
    "ApplierMetadata", "BasePreprocessor", "DaskLFApplier", "LFAnalysis", "LabelModel", "LabelingFunction",
    "LambdaPreprocessor", "MajorityClassVoter", "MajorityLabelVoter", "NLPLabelingFunction", "PandasLFApplier",
    "PandasParallelLFApplier", "Preprocessor", "RandomVoter", "SNORKEL_CLASSES", "Scorer", "SpacyPreprocessor",
    "filter_unlabeled_dataframe", "get_label_buckets", "labeling_function", "metric_score", "nlp_labeling_function",
    "preds_to_probs", "preprocessor", "probs_to_preds", "to_int_label_array",
]
