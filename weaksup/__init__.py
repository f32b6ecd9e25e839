"""weaksup: weak supervision with fast labeling functions and honest label-quality reports.

The flow: data -> :class:`Registry` of labeling functions -> :func:`apply_lfs` ->
:class:`VoteMatrix` -> label model -> probabilistic labels -> evaluation and review.
"""

from weaksup.analysis import lf_summary
from weaksup.apply import apply_lfs
from weaksup.evaluate import evaluate, label_metrics, lf_errors
from weaksup.gold import GoldSet, agreement, load_gold, write_gold
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.lf import (
    LabelingFunction,
    keyword_lf,
    labeling_function,
    lookup_lf,
    model_score_lf,
    regex_lf,
    threshold_lf,
)
from weaksup.datasets import load_wrench
from weaksup.models import (
    DawidSkene,
    DevNaiveBayes,
    DevSelector,
    DevWeightedVote,
    LabelModel,
    MajorityVote,
    SnorkelLabelModel,
    default_label_model,
)
from weaksup.registry import Registry
from weaksup.votes import VoteMatrix

__version__ = "0.1.0"

# Reports (matplotlib), MLflow logging, the workbench and the end model (scikit-learn) load on first use,
# so `import weaksup` stays light.
_LAZY = {"QualityReport": "weaksup.report", "build_report": "weaksup.report", "log_report": "weaksup.tracking",
         "Workbench": "weaksup.workbench", "train_end_model": "weaksup.end_model",
         "RunConfig": "weaksup.config", "load_config": "weaksup.config", "run": "weaksup.pipeline",
         "load_run": "weaksup.pipeline", "review_queue": "weaksup.review", "export_queue": "weaksup.review",
         "read_export": "weaksup.review", "import_answers": "weaksup.review", "review_issues": "weaksup.review"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'weaksup' has no attribute {name!r}")


__all__ = [
    "ABSTAIN",
    "GoldSet",
    "QualityReport",
    "RunConfig",
    "DawidSkene",
    "DevNaiveBayes",
    "DevSelector",
    "DevWeightedVote",
    "LabelModel",
    "LabelSpace",
    "LabelingFunction",
    "MajorityVote",
    "Registry",
    "SnorkelLabelModel",
    "VoteMatrix",
    "Workbench",
    "__version__",
    "agreement",
    "apply_lfs",
    "build_report",
    "default_label_model",
    "evaluate",
    "keyword_lf",
    "label_metrics",
    "lf_errors",
    "lf_summary",
    "load_gold",
    "load_wrench",
    "log_report",
    "labeling_function",
    "lookup_lf",
    "model_score_lf",
    "regex_lf",
    "threshold_lf",
    "train_end_model",
    "write_gold",
    "export_queue",
    "import_answers",
    "load_config",
    "load_run",
    "read_export",
    "review_issues",
    "review_queue",
    "run",
]
