"""Saving a fitted multi-label label model as JSON (no pickle) and loading it back: ``label_model.json`` of a run.

The document keeps what a reader wants at a glance (class, parameters, label space, LFs, per-label thresholds)
and, under ``"state"``, every fitted attribute (the names ending in ``_``): arrays with their dtype and shape,
nested binary label models through :meth:`weaksup.models.BaseLabelModel.to_dict`, nested multi-label models
(a selector's candidates) recursively. :func:`load_multilabel_model` rebuilds a model whose ``predict_proba``
and ``predict`` equal the saved one's.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from weaksup.errors import LabelModelError
from weaksup.models import BaseLabelModel
from weaksup.multilabel.models_base import MultiLabelModel
from weaksup.multilabel.space import MultiLabelSpace

#: ``"format"`` of a saved multi-label model.
FORMAT = "weaksup.MultiLabelModel"
#: The state layout this module writes and reads.
FORMAT_VERSION = 1

__all__ = ["FORMAT", "FORMAT_VERSION", "load_multilabel_model", "multilabel_model_from_dict",
           "multilabel_model_to_dict", "save_multilabel_model"]


def encode_state(value: Any) -> Any:
    """A fitted attribute as JSON-safe data (the inverse of :func:`decode_state`).

    Examples
    --------
    >>> encode_state({"t": np.array([0.5, 0.25])})
    {'t': {'__array__': [0.5, 0.25], 'dtype': '<f8', 'shape': [2]}}
    """
    if isinstance(value, MultiLabelModel):
        return {"__multilabel_model__": multilabel_model_to_dict(value)}
    if isinstance(value, BaseLabelModel):
        return {"__model__": value.to_dict()}
    if isinstance(value, MultiLabelSpace):
        return {"__space__": value.to_json()}
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): encode_state(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_state(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise LabelModelError(f"cannot save a fitted attribute of type {type(value).__name__} in a multi-label model's "
                          "JSON; keep fitted state as arrays, numbers, strings, lists, dicts or label models")


def decode_state(value: Any, source: str = "<dict>") -> Any:
    """The fitted attribute :func:`encode_state` wrote.

    Examples
    --------
    >>> decode_state(encode_state({"t": np.array([[1, 0]], dtype=np.int8)}))["t"].dtype
    dtype('int8')
    """
    if isinstance(value, dict):
        if "__array__" in value:
            return np.asarray(value["__array__"], dtype=np.dtype(value["dtype"])).reshape(value["shape"])
        if "__model__" in value:
            return BaseLabelModel.from_dict(value["__model__"], source)
        if "__multilabel_model__" in value:
            return multilabel_model_from_dict(value["__multilabel_model__"], source)
        if "__space__" in value:
            return MultiLabelSpace.from_json(value["__space__"])
        return {k: decode_state(v, source) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_state(v, source) for v in value]
    return value


def multilabel_model_to_dict(model: MultiLabelModel) -> dict[str, Any]:
    """A fitted multi-label model as JSON-safe data: summary fields and the whole fitted ``"state"``.

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelMajority, MultiLabelVotes
    >>> votes = MultiLabelVotes([[[1, -1]], [[0, 1]]], ["x"], MultiLabelSpace(["a", "b"]))
    >>> doc = multilabel_model_to_dict(MultiLabelMajority().fit(votes))
    >>> doc["class"], doc["thresholds"]["a"] > 0.5, sorted(doc["state"])[:3]
    ('MultiLabelMajority', True, ['backoff_', 'backoff_proba_', 'lf_ids_'])
    """
    if not hasattr(model, "space_"):
        raise LabelModelError(f"{type(model).__name__} is not fitted: fit it before saving")
    state = {name: encode_state(value) for name, value in vars(model).items()
             if name.endswith("_") and not name.startswith("_")}
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "class": type(model).__name__,
            "module": type(model).__module__, "params": encode_state(model.get_params()),
            "space": model.space_.to_json(), "lf_ids": list(model.lf_ids_),
            "thresholds": dict(zip(model.space_.labels, map(float, model.thresholds_))), "state": state}


def model_classes() -> dict[str, type[MultiLabelModel]]:
    """Every multi-label model class by class name (the registry's)."""
    from weaksup.multilabel.models import MULTILABEL_MODELS

    return {cls.__name__: cls for cls in MULTILABEL_MODELS.values()}


def multilabel_model_from_dict(doc: Any, source: str = "<dict>") -> MultiLabelModel:
    """Rebuild the model :func:`multilabel_model_to_dict` described (its class by name; nothing is unpickled).

    Examples
    --------
    >>> from weaksup.multilabel import MultiLabelMajority, MultiLabelVotes
    >>> votes = MultiLabelVotes([[[1, -1]], [[0, 1]]], ["x"], MultiLabelSpace(["a", "b"]))
    >>> model = MultiLabelMajority().fit(votes)
    >>> again = multilabel_model_from_dict(multilabel_model_to_dict(model))
    >>> bool((again.predict(votes) == model.predict(votes)).all())
    True
    """
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise LabelModelError(f"{source}: not a saved multi-label label model (no format {FORMAT!r})")
    if "state" not in doc:
        raise LabelModelError(f"{source}: this label_model.json holds only the model's parameters and thresholds "
                              "(written before weaksup saved the fitted state); run `weaksup run CONFIG` again to "
                              "save a model that loads")
    if doc.get("format_version") != FORMAT_VERSION:
        raise LabelModelError(f"{source}: multi-label model format_version {doc.get('format_version')!r}; this "
                              f"weaksup reads version {FORMAT_VERSION}: upgrade weaksup or run again")
    classes = model_classes()
    cls = classes.get(str(doc.get("class")))
    if cls is None:
        raise LabelModelError(f"{source}: unknown multi-label model class {doc.get('class')!r}; known: "
                              f"{sorted(classes)}")
    try:
        model = cls(**decode_state(doc["params"], source))
        for name, value in doc["state"].items():
            setattr(model, name, decode_state(value, source))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LabelModelError(f"{source}: malformed {cls.__name__} state ({type(exc).__name__}: {exc}); run "
                              "`weaksup run CONFIG` again to rewrite it") from None
    if "lf_ids_" in doc["state"]:
        model.lf_ids_ = list(model.lf_ids_)
    return model


def save_multilabel_model(model: MultiLabelModel, path: str | os.PathLike[str]) -> Path:
    """Write :func:`multilabel_model_to_dict` as JSON, atomically (the run's ``label_model.json``).

    Examples
    --------
    >>> import tempfile
    >>> from weaksup.multilabel import MultiLabelMajority, MultiLabelVotes
    >>> votes = MultiLabelVotes([[[1, -1]], [[0, 1]]], ["x"], MultiLabelSpace(["a", "b"]))
    >>> path = save_multilabel_model(MultiLabelMajority().fit(votes), Path(tempfile.mkdtemp()) / "m.json")
    >>> load_multilabel_model(path).predict(votes).tolist()
    [[True, False], [False, True]]
    """
    from weaksup._io import atomic_path

    path = Path(path)
    text = json.dumps(multilabel_model_to_dict(model), indent=1)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def load_multilabel_model(path: str | os.PathLike[str]) -> MultiLabelModel:
    """Read a model :func:`save_multilabel_model` (or a multi-label run's ``label_model.json``) wrote."""
    from weaksup._io import read_model_json

    return multilabel_model_from_dict(read_model_json(path, "multi-label model", "multi-label run"), str(path))
