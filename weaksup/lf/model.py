"""Model-score LFs: a fitted model (or any batch scorer) with thresholds per label."""

from __future__ import annotations

import functools
import inspect
import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from weaksup.errors import LFDefinitionError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.lf.core import LabelingFunction, field_value, is_missing
from weaksup.lf.artefacts import (
    SKOPS_SUFFIX,
    LoadedModel,
    SavedModelFile,
    file_sha256,
    load_model,
    model_bytes,
    model_fingerprint,
)
from weaksup.lf.dependencies import dependencies
from weaksup.lf.identity import check_label, check_name, label_space_in_use
from weaksup.lf.source import Code, LFSource, call_source, function_source, identifier, label_code


def _score_fn(model: Any) -> Callable[[Any], np.ndarray]:
    for method in ("predict_proba", "decision_function"):
        if hasattr(model, method):
            return cast(Callable[[Any], np.ndarray], getattr(model, method))
    if callable(model):
        return cast(Callable[[Any], np.ndarray], model)
    raise LFDefinitionError(
        f"model_score_lf needs a fitted estimator with predict_proba/decision_function, or a callable "
        f"scoring a batch; got {type(model).__name__}"
    )


def _reads_text(model: Any) -> bool:
    """True when the model takes raw texts: a scikit-learn text vectoriser (it has ``build_analyzer``), or a
    pipeline or search/calibration wrapper whose first step is one."""
    seen = 0
    while model is not None and seen < 10:  # a few nested wrappers at most
        if hasattr(model, "build_analyzer"):
            return True
        steps = getattr(model, "steps", None)
        if isinstance(steps, list) and steps and isinstance(steps[0], tuple) and len(steps[0]) == 2:
            model = steps[0][1]
        else:
            inner = getattr(model, "best_estimator_", None)
            model = inner if inner is not None else getattr(model, "estimator", None)
        seen += 1
    return False


class ModelScoreLF(SavedModelFile, LabelingFunction):
    """An LF voting from a model's scores, abstaining where the model is unsure. :func:`model_score_lf` is this class.

    The model scores a whole batch at once: ``predict_proba`` (or ``decision_function``)
    of a fitted scikit-learn estimator, or any callable ``f(batch) -> scores``. The batch
    is a list of values when ``field`` is one column (e.g. texts for a text pipeline), or a
    DataFrame of the named columns. Rows with a missing input abstain; so do rows whose cell is not a string when
    the model takes raw texts (a scikit-learn text vectoriser or a pipeline starting with one), as with the other
    text LFs (:func:`keyword_lf`, :func:`regex_lf`): a number in a text column is not a text.

    Parameters
    ----------
    name : str
        The LF's name.
    model : estimator, callable or path
        The scorer; it is used, never refitted. A path is a saved fitted model: a ``.skops`` file (the safe
        format: only types skops trusts are built, plus ``trusted=``), or a joblib/pickle file loaded only when
        its SHA-256 equals ``model_sha256`` (checked before unpickling). The LF version then hashes the
        file's content, so a changed model file changes the version (and invalidates saved votes).
    field : str or sequence of str, default "text"
        The input column(s).
    thresholds : mapping of label to float, optional
        For per-class scores (``predict_proba``): vote the class whose score reaches its
        threshold (the highest such score; abstain on a tie or when none does).
    above, below : mapping of one label to a float, optional
        For one score per row: vote ``above``'s label when the score is >= its value,
        ``below``'s label when <= its value; abstain in between.
    classes : sequence, optional
        The label of each score column; defaults to the model's ``classes_``.
    label_space : LabelSpace, optional
        Maps class names (in ``thresholds``, ``classes``/``classes_``) to ids; defaults to the label space in
        use (:func:`~weaksup.lf.identity.label_space_in_use`: the module's ``LABELS``).
    model_sha256 : str, optional
        The SHA-256 a model file must have (required for joblib/pickle files).
    trusted : sequence of str, optional
        Types a ``.skops`` file may hold beyond the ones skops trusts; name only code you trust.
    tags, description, version : optional
        Metadata (see :class:`~weaksup.lf.core.LabelingFunction`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> clf = LogisticRegression().fit(pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0]}), [0, 0, 1, 1])
    >>> lf = model_score_lf("lr", clf, field=["x"], thresholds={0: 0.7, 1: 0.7})
    >>> lf({"x": 0.0}), lf({"x": 1.5}), lf({"x": 3.0})
    (0, -1, 1)
    >>> def caps_ratio(texts):
    ...     return np.array([sum(c.isupper() for c in t) / max(len(t), 1) for t in texts])
    >>> shouting = model_score_lf("shouting", caps_ratio, above={1: 0.5})
    >>> shouting({"text": "BUY NOW"}), shouting({"text": "nice"})
    (1, -1)
    >>> print(shouting.to_source().code, end="")
    shouting = model_score_lf('shouting', caps_ratio, above={1: 0.5})

    A saved model: the version follows the file's content.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from weaksup.lf.artefacts import save_model
    >>> path = save_model(clf, Path(tempfile.mkdtemp()) / "lr.skops")
    >>> saved = model_score_lf("lr", path, field=["x"], thresholds={0: 0.7, 1: 0.7})
    >>> saved({"x": 3.0}), saved.model_file == path
    (1, True)
    """

    kind = "model_score"
    vectorised = True
    field: str | tuple[str, ...]
    model: Any
    thresholds: dict[int, float] | None
    above: tuple[int, float] | None
    below: tuple[int, float] | None
    columns: tuple[int, ...]
    reads_text: bool
    _score: Callable[[Any], Any]

    def __init__(
        self,
        name: str,
        model: Any,
        *,
        field: str | Sequence[str] = "text",
        thresholds: Mapping[int | str, float] | None = None,
        above: Mapping[int | str, float] | None = None,
        below: Mapping[int | str, float] | None = None,
        classes: Sequence[int | str] | None = None,
        label_space: LabelSpace | None = None,
        model_sha256: str | None = None,
        trusted: Sequence[str] = (),
        tags: Iterable[str] = (),
        description: str = "",
        version: str | None = None,
    ) -> None:
        check_name(name)
        loaded: LoadedModel | None = None
        if isinstance(model, (str, os.PathLike)):
            loaded = load_model(model, model_sha256=model_sha256, trusted=trusted, lf_name=name)
            model = loaded.model
        elif model_sha256 is not None or trusted:
            raise LFDefinitionError(f"LF {name!r}: model_sha256= and trusted= are for a model given as a file path")
        score = _score_fn(model)
        if thresholds is None and above is None and below is None:
            raise LFDefinitionError(
                f"LF {name!r}: give thresholds={{label: p}} (per-class scores) or above=/below= (one score per row)"
            )
        if thresholds is not None and (above is not None or below is not None):
            raise LFDefinitionError(f"LF {name!r}: use either thresholds= or above=/below=, not both")
        columns: tuple[int, ...] = ()
        by_id: dict[int, float] | None = None
        if thresholds is not None:
            by_id = {check_label(k, name, label_space): float(v) for k, v in thresholds.items()}
            if classes is None:
                classes = getattr(model, "classes_", None)
            if classes is None:
                unfitted = hasattr(model, "fit") and hasattr(model, "get_params")  # a scikit-learn estimator
                raise LFDefinitionError(
                    f"LF {name!r}: the model is not fitted (it has no classes_); fit it first "
                    "(model.fit(X, y)), or pass a saved model's path" if unfitted else
                    f"LF {name!r}: cannot tell which score column is which class; pass classes=[...]"
                )
            resolved = []
            space = label_space if label_space is not None else label_space_in_use()[0]
            for c in list(classes):
                if isinstance(c, str) and space is None:
                    raise LFDefinitionError(
                        f"LF {name!r}: the model's classes are names ({list(classes)!r}); pass label_space="
                    )
                resolved.append(check_label(c, name, space))
            columns = tuple(resolved)
            unknown = set(by_id) - set(columns)
            if unknown:
                raise LFDefinitionError(f"LF {name!r}: thresholds for {sorted(unknown)} but the model scores classes {list(columns)}")
        above_t = _single_threshold(above, "above", name, label_space)
        below_t = _single_threshold(below, "below", name, label_space)
        if above_t and below_t and below_t[1] >= above_t[1]:
            raise LFDefinitionError(
                f"LF {name!r}: below={below_t[1]} must be lower than above={above_t[1]}, or a row could get both labels"
            )
        labels = set(by_id or ()) | {t[0] for t in (above_t, below_t) if t}
        # A saved model is its file: the version hashes the file's bytes (read once, no walk over the model).
        fingerprint: Any = {"model_sha256": loaded.sha256} if loaded is not None else model_fingerprint(model)
        unhashed = list(fingerprint[1]) if loaded is None else []  # the model's parts whose state was not hashed
        fingerprint = fingerprint[0] if loaded is None else fingerprint
        found = dependencies(model) if inspect.isfunction(model) else None
        if found is not None and found.values:  # a scorer function: also what it reads (helpers, constants, files)
            fingerprint = [fingerprint, found.values]
        self._set(field=field if isinstance(field, str) else tuple(field), model=model, _score=score,
                  thresholds=by_id, above=above_t, below=below_t, columns=columns, _loaded=loaded,
                  reads_text=isinstance(field, str) and _reads_text(model),
                  _cache_note="; ".join([*(found.unprovable if found is not None else ()), *unhashed]))
        super().__init__(
            name,
            params={"field": field if isinstance(field, str) else list(field), "model": type(model).__name__,
                    "thresholds": by_id, "above": list(above_t) if above_t else None,
                    "below": list(below_t) if below_t else None, "classes": list(columns)},
            fields=(field,) if isinstance(field, str) else tuple(field), labels=labels, tags=tags,
            description=description or self.default_description(), version=version,
            hash_extra=fingerprint,
        )

    @property
    def cacheable(self) -> bool:
        """False when the scorer function reads state that cannot be hashed (see :attr:`cache_note`)."""
        return not self.cache_note

    @property
    def cache_note(self) -> str:
        """What the scorer function reads whose state cannot be hashed ("" when the LF is cacheable)."""
        return str(self.__dict__.get("_cache_note", ""))

    def default_description(self) -> str:
        return f"{type(self.model).__name__} scores on {self.field if isinstance(self.field, str) else list(self.field)}"

    def manifest(self) -> dict[str, Any]:
        """The LF's description, with the model file and its hash for a saved model."""
        return {**super().manifest(), **self.model_file_manifest()}

    def _options(self, label_space: LabelSpace | None) -> dict[str, Any]:
        options: dict[str, Any] = {"field": self.field if isinstance(self.field, str) else list(self.field)}
        if self.thresholds is not None:
            options["thresholds"] = Code("{" + ", ".join(f"{label_code(k, label_space)}: {v!r}"
                                                         for k, v in self.thresholds.items()) + "}")
            options["classes"] = Code("[" + ", ".join(label_code(c, label_space) for c in self.columns) + "]")
        for which, spec in (("above", self.above), ("below", self.below)):
            if spec is not None:
                options[which] = Code(f"{{{label_code(spec[0], label_space)}: {spec[1]!r}}}")
        return options

    def to_source(self, label_space: LabelSpace | None = None) -> LFSource:
        """A ``model_score_lf(...)`` call: with the scorer's source for a plain function, else with the model as a
        file in the exported module's ``MODELS`` folder (:attr:`LFSource.artefacts` says what to write there).

        A model loaded from a file is copied (same bytes, so the same version); a fitted model in memory is saved
        as a ``.skops`` file, and the exported LF's version becomes that file's hash (same votes).
        """
        options = self._options(label_space)
        if not inspect.isfunction(self.model):
            return self._saved_model_source(options)
        scorer = function_source(self.model, f"LF {self.name!r} (defined at {self.source})", label_space)
        call = call_source(self, "model_score_lf", [repr(self.name), scorer.var], options)
        return LFSource(call.var, call.code, (*scorer.imports, *call.imports), scorer.definitions,
                        {**scorer.helpers})

    def _saved_model_source(self, options: dict[str, Any]) -> LFSource:
        loaded: LoadedModel | None = self.__dict__.get("_loaded")
        writer: Callable[[Path], None]
        if loaded is not None:
            filename = identifier(self.name) + loaded.path.suffix.lower()
            if loaded.path.suffix.lower() != SKOPS_SUFFIX:
                options["model_sha256"] = loaded.sha256
            if loaded.trusted:
                options["trusted"] = list(loaded.trusted)
            writer = functools.partial(_copy_model, loaded, self.name)
        else:
            filename = identifier(self.name) + SKOPS_SUFFIX
            data, untrusted = model_bytes(self.model, self.name)
            if untrusted:  # the user's own fitted model: its types are trusted by the module written from it
                options["trusted"] = untrusted
            writer = functools.partial(_write_bytes, data)
        call = call_source(self, "model_score_lf", [repr(self.name), f"MODELS / {filename!r}"], options)
        return LFSource(call.var, call.code, call.imports, artefacts={filename: writer})

    def _inputs(self, getter: Callable[[str], Any], n: int) -> tuple[Any, np.ndarray]:
        if isinstance(self.field, str):
            series = getter(self.field)
            missing = pd.isna(series).to_numpy(dtype=bool)
            if self.reads_text:  # a non-string cell is no text: it abstains, as with keyword and regex LFs
                missing = missing | ~series.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
            values = series.where(~missing, "").tolist() if missing.any() else series.tolist()
            return values, missing
        frame = pd.DataFrame({f: getter(f) for f in self.field})
        return frame, frame.isna().any(axis=1).to_numpy()

    def _votes(self, scores: Any, missing: np.ndarray, n: int) -> np.ndarray:
        scores = np.asarray(scores, dtype=float)
        if scores.shape[0] != n:
            raise LFDefinitionError(f"model of LF {self.name!r} returned {scores.shape[0]} scores for {n} rows")
        votes = np.full(n, ABSTAIN, dtype=np.int64)
        if self.thresholds is not None:
            if scores.ndim != 2 or scores.shape[1] != len(self.columns):
                raise LFDefinitionError(
                    f"LF {self.name!r} expects scores of shape (n, {len(self.columns)}) for classes "
                    f"{list(self.columns)}; the model returned shape {scores.shape}"
                )
            passing = np.zeros_like(scores, dtype=bool)
            for j, label in enumerate(self.columns):
                if label in self.thresholds:
                    passing[:, j] = scores[:, j] >= self.thresholds[label]
            masked = np.where(passing, scores, -np.inf)
            best = masked.argmax(axis=1)
            top = masked.max(axis=1)
            unique_top = (masked == top[:, None]).sum(axis=1) == 1
            ok = passing.any(axis=1) & unique_top
            votes[ok] = np.asarray(self.columns)[best[ok]]
        else:
            if scores.ndim == 2 and scores.shape[1] == 1:
                scores = scores[:, 0]
            if scores.ndim != 1:
                raise LFDefinitionError(
                    f"LF {self.name!r} uses above=/below= thresholds, which need one score per row; "
                    f"the model returned shape {scores.shape}: use thresholds={{label: p}} for per-class scores"
                )
            if self.above is not None:
                votes[scores >= self.above[1]] = self.above[0]
            if self.below is not None:
                votes[scores <= self.below[1]] = self.below[0]
        votes[missing] = ABSTAIN
        return votes

    def __call__(self, x: Any) -> int:
        if isinstance(self.field, str):
            value = field_value(x, self.field)
            if is_missing(value) or (self.reads_text and not isinstance(value, str)):
                return ABSTAIN
            batch_input: Any = [value]
        else:
            row = {f: field_value(x, f) for f in self.field}
            if any(is_missing(v) for v in row.values()):
                return ABSTAIN
            batch_input = pd.DataFrame([row])
        return int(self._votes(self._score(batch_input), np.zeros(1, dtype=bool), 1)[0])

    def vote_batch(self, batch: Any) -> np.ndarray:
        inputs, missing = self._inputs(batch.series, batch.n)
        if batch.n == 0:
            return np.zeros(0, dtype=np.int64)
        return self._votes(self._score(inputs), missing, batch.n)


def _copy_model(loaded: LoadedModel, name: str, dest: Path) -> None:
    shutil.copyfile(loaded.path, dest)
    if file_sha256(dest) != loaded.sha256:
        raise LFDefinitionError(f"LF {name!r}: model file {str(loaded.path)!r} changed since the LF was built (its "
                                "hash differs); build the LF again from the file, then export")


def _write_bytes(data: bytes, dest: Path) -> None:
    dest.write_bytes(data)


def _single_threshold(spec: Mapping[int | str, float] | None, which: str, name: str,
                      label_space: LabelSpace | None) -> tuple[int, float] | None:
    if spec is None:
        return None
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise LFDefinitionError(f"LF {name!r}: {which}= takes one {{label: score}} pair; got {spec!r}")
    (label, value), = spec.items()
    return check_label(label, name, label_space), float(value)


#: Build a :class:`ModelScoreLF` (the factory is the class: one signature, one docstring).
model_score_lf = ModelScoreLF
