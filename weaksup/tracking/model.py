"""The fitted label model as an MLflow model with a ``python_function`` (pyfunc) flavour.

``mlflow.pyfunc.load_model(uri).predict(votes)`` takes a votes frame (one column per LF, named as in
:meth:`weaksup.votes.VoteMatrix.to_frame`: ``load_votes(run_dir).to_frame()``; ``-1`` = abstain) and returns
the class probabilities: a DataFrame with one column per class, in the label space's order, on the
votes' index. They are the ``prob_<class>`` columns a run writes for rows the label model labels: with
``label_model.no_votes = "abstain"`` a row no LF voted on gets uniform probabilities, as in the labels.

Nothing is pickled: the model folder holds the label model's own JSON (:meth:`BaseLabelModel.save`) and
``weaksup_model.json`` (label space, LF names and versions, ``no_votes``), and MLflow loads it with this
module's ``_load_pyfunc`` (MLflow's ``loader_module`` convention). Loading needs weaksup installed.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import DataError
from weaksup.models.base import BaseLabelModel

logger = logging.getLogger(__name__)

#: Where the model goes in a run (``runs:/<run id>/label_model``) and its logged-model name.
MODEL_NAME = "label_model"
#: Rows of the run's votes kept as the model's input example.
EXAMPLE_ROWS = 5
_META = "weaksup_model.json"
_MODEL = "label_model.json"
_FORMAT = "weaksup.pyfunc.LabelModel"


@dataclass
class LabelModelPyfunc:
    """What ``mlflow.pyfunc.load_model`` wraps: a fitted label model and how a run used it.

    Examples
    --------
    >>> from weaksup.models import MajorityVote
    >>> model = MajorityVote(cardinality=2).fit(np.array([[0, 1], [1, 1], [-1, -1]]))
    >>> pyfunc = LabelModelPyfunc(model, ["ham", "spam"], ["a", "b"], ["1", "1"], "abstain")
    >>> pyfunc.predict(pd.DataFrame({"b": [1, -1], "a": [1, -1]}))
       ham  spam
    0  0.0   1.0
    1  0.5   0.5
    """

    model: BaseLabelModel
    classes: Sequence[str]
    lf_names: Sequence[str]
    lf_versions: Sequence[str]
    no_votes: str = "abstain"

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """The class probabilities of each row of ``model_input`` (a votes frame, LF columns by name)."""
        from weaksup.pipeline.stages import abstaining

        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        missing = [name for name in self.lf_names if name not in frame.columns]
        if missing:
            raise DataError(f"votes frame: no column for LF(s) {missing[:10]} (the model was fitted on "
                            f"{len(self.lf_names)} LFs: {list(self.lf_names)[:10]}...); pass one column per LF, "
                            "named as in load_votes(run_dir).to_frame()")
        values = frame[list(self.lf_names)].to_numpy()
        model = abstaining(self.model) if self.no_votes == "abstain" else self.model
        proba = np.asarray(model.predict_proba(values), dtype=np.float64)
        return pd.DataFrame(proba, index=frame.index, columns=list(self.classes))

    def save(self, folder: Path) -> Path:
        """Write the model data folder MLflow copies into the model (``data_path``)."""
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save(folder / _MODEL)
        meta = {"format": _FORMAT, "classes": list(self.classes), "lf_names": list(self.lf_names),
                "lf_versions": list(self.lf_versions), "no_votes": self.no_votes}
        (folder / _META).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> LabelModelPyfunc:
        """Read a folder written by :meth:`save`."""
        folder = Path(folder)
        meta = json.loads((folder / _META).read_text(encoding="utf-8"))
        if meta.get("format") != _FORMAT:
            raise DataError(f"{folder / _META}: not a weaksup pyfunc label model (format {meta.get('format')!r})")
        return cls(BaseLabelModel.load(folder / _MODEL), meta["classes"], meta["lf_names"], meta["lf_versions"],
                   meta["no_votes"])

    def signature(self) -> Any:
        """The MLflow signature: one ``long`` column per LF (any integer votes frame meets it: ``int8`` votes are
        widened), one ``double`` column per class."""
        from mlflow.models import ModelSignature
        from mlflow.types import ColSpec, DataType, Schema

        return ModelSignature(inputs=Schema([ColSpec(DataType.long, name) for name in self.lf_names]),
                              outputs=Schema([ColSpec(DataType.double, name) for name in self.classes]))

    def example(self, votes: np.ndarray) -> pd.DataFrame:
        """The input example: the first :data:`EXAMPLE_ROWS` rows of ``votes`` as a frame (``int64``, so any
        integer votes frame meets the signature)."""
        rows = np.asarray(votes[:EXAMPLE_ROWS], dtype=np.int64)
        return pd.DataFrame(rows, columns=list(self.lf_names))


def _load_pyfunc(data_path: str, model_config: Any = None) -> LabelModelPyfunc:
    """MLflow's ``loader_module`` entry point: the model from its data folder."""
    return LabelModelPyfunc.load(data_path)


def log_label_model(pyfunc: LabelModelPyfunc, votes: np.ndarray, *, tags: dict[str, str] | None = None) -> str:
    """Log ``pyfunc`` into the active MLflow run as :data:`MODEL_NAME`, with an input example (the first rows
    of ``votes``) and a signature; returns the model URI (``models:/<model id>``).

    The pip requirements are given (weaksup and MLflow at their versions) rather than inferred: MLflow's
    inference loads the model in a subprocess, seconds per run.
    """
    import mlflow

    import weaksup

    example = pyfunc.example(votes)
    metadata = {"weaksup_lf_versions": dict(zip(pyfunc.lf_names, pyfunc.lf_versions, strict=True)),
                "weaksup_classes": list(pyfunc.classes), "weaksup_no_votes": pyfunc.no_votes}
    with tempfile.TemporaryDirectory(prefix="weaksup-model-") as tmp:
        data = pyfunc.save(Path(tmp) / "label_model")
        info = mlflow.pyfunc.log_model(
            name=MODEL_NAME, loader_module=__name__, data_path=str(data), input_example=example,
            signature=pyfunc.signature(), metadata=metadata, tags=tags,
            pip_requirements=[f"weaksup=={weaksup.__version__}", f"mlflow=={mlflow.__version__}"])
    return str(info.model_uri)
