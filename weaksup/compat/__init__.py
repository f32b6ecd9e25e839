"""Other libraries' names and meanings over weaksup, for projects moving to it.

:mod:`weaksup.compat.snorkel`: Snorkel's ``PandasLFApplier``, ``LFAnalysis``, ``LabelModel``, ``MajorityLabelVoter``,
``probs_to_preds``, ``filter_unlabeled_dataframe``... with Snorkel's signatures and meanings; a Snorkel script runs
after its imports change from ``from snorkel.<module> import ...`` to ``from weaksup.compat.snorkel import ...``.
Nothing here is imported by ``import weaksup``.
"""

from typing import Any as _Any


def __getattr__(name: str) -> _Any:
    if name == "snorkel":  # ``weaksup.compat.snorkel`` after a bare ``import weaksup``
        import importlib

        return importlib.import_module("weaksup.compat.snorkel")
    raise AttributeError(f"module 'weaksup.compat' has no attribute {name!r}")
