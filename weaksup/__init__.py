"""weaksup: weak supervision with fast labeling functions and honest label-quality reports.

The flow: data -> :class:`Registry` of labeling functions -> :func:`apply_lfs` ->
:class:`VoteMatrix` -> label model -> probabilistic labels -> evaluation and review.
"""

from weaksup import interrupt

# First, before the heavy imports below (pandas, pyarrow, scikit-learn: about a second): in the `weaksup` command,
# a Ctrl-C from here until the command starts is one line and exit 130, not a KeyboardInterrupt traceback.
interrupt.quiet_while_starting()

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from weaksup.analysis import lf_summary
from weaksup.apply import apply_lfs
from weaksup.evaluate import evaluate, label_metrics, lf_errors
from weaksup.gold import GoldSet, agreement, load_gold, write_gold
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.lf import (
    LabelingFunction,
    embedding_lf,
    from_snorkel,
    keyword_lf,
    knn_lf,
    labeling_function,
    lookup_lf,
    model_score_lf,
    preprocessor,
    prompt_lf,
    regex_lf,
    threshold_lf,
    zero_shot_lf,
)
from weaksup.datasets import load_wrench
from weaksup.models import (
    DawidSkene,
    DevNaiveBayes,
    DevSelector,
    DevStacker,
    DevWeightedVote,
    BaseLabelModel,
    MajorityVote,
    SnorkelLabelModel,
    default_label_model,
)
from weaksup.registry import Registry
from weaksup.votes import VoteMatrix


def _installed_version() -> str:
    """weaksup's version, from its installed metadata (pyproject.toml's ``version``: one source of truth)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("weaksup")
    except PackageNotFoundError:  # a checkout on sys.path, never installed
        return "0+unknown"


__version__ = _installed_version()

# Reports (matplotlib), MLflow logging, the workbench, the end model (scikit-learn), the run and the review loop
# load on first use, so `import weaksup` stays light.
_LAZY = {
    "ChatClient": "weaksup.prompt",
    "FinalLabeler": "weaksup.final_labels",
    "QualityReport": "weaksup.report",
    "RunConfig": "weaksup.config",
    "SupervisedBaseline": "weaksup.baseline",
    "Workbench": "weaksup.workbench",
    "build_report": "weaksup.report",
    "apply_temperature": "weaksup.calibration",
    "export_queue": "weaksup.review",
    "fit_temperature": "weaksup.calibration",
    "import_answers": "weaksup.review",
    "load_config": "weaksup.config",
    "load_run": "weaksup.pipeline",
    "log_report": "weaksup.tracking",
    "read_export": "weaksup.review",
    "review_issues": "weaksup.review",
    "review_queue": "weaksup.review",
    "run": "weaksup.pipeline",
    "supervised_on_dev": "weaksup.baseline",
    "train_end_model": "weaksup.end_model",
}

if _TYPE_CHECKING:
    from weaksup.baseline import SupervisedBaseline, supervised_on_dev
    from weaksup.calibration import apply_temperature, fit_temperature
    from weaksup.config import RunConfig, load_config
    from weaksup.end_model import train_end_model
    from weaksup.final_labels import FinalLabeler
    from weaksup.pipeline import load_run, run
    from weaksup.prompt import ChatClient
    from weaksup.report import QualityReport, build_report
    from weaksup.review import export_queue, import_answers, read_export, review_issues, review_queue
    from weaksup.tracking import log_report
    from weaksup.workbench import Workbench


def __getattr__(name: str) -> _Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    if name == "compat":  # Snorkel's names over weaksup (weaksup.compat.snorkel), loaded on first use
        import importlib

        return importlib.import_module("weaksup.compat")
    if name == "LabelModel":  # Snorkel's LabelModel, with Snorkel's meaning (weaksup.compat.snorkel.LabelModel)
        from weaksup.compat.snorkel import LabelModel

        return LabelModel
    raise AttributeError(f"module 'weaksup' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(name for name in set(globals()) | set(_LAZY) if not name.startswith("_") or name == "__version__")


__all__ = [
    "ABSTAIN",
    "BaseLabelModel",
    "ChatClient",
    "DawidSkene",
    "DevNaiveBayes",
    "DevSelector",
    "DevStacker",
    "DevWeightedVote",
    "FinalLabeler",
    "GoldSet",
    "LabelSpace",
    "LabelingFunction",
    "MajorityVote",
    "QualityReport",
    "Registry",
    "RunConfig",
    "SnorkelLabelModel",
    "SupervisedBaseline",
    "VoteMatrix",
    "Workbench",
    "__version__",
    "agreement",
    "apply_lfs",
    "apply_temperature",
    "build_report",
    "default_label_model",
    "embedding_lf",
    "evaluate",
    "export_queue",
    "fit_temperature",
    "from_snorkel",
    "import_answers",
    "keyword_lf",
    "knn_lf",
    "label_metrics",
    "labeling_function",
    "lf_errors",
    "lf_summary",
    "load_config",
    "load_gold",
    "load_run",
    "load_wrench",
    "log_report",
    "lookup_lf",
    "model_score_lf",
    "preprocessor",
    "prompt_lf",
    "read_export",
    "regex_lf",
    "review_issues",
    "review_queue",
    "run",
    "supervised_on_dev",
    "threshold_lf",
    "train_end_model",
    "write_gold",
    "zero_shot_lf",
]
