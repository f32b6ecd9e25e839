"""What a :class:`~weaksup.workbench.Workbench` accepts as data, LFs and gold, checked and turned into one form each."""

from __future__ import annotations

import dataclasses
import logging
import os
import types
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from weaksup.config_sections import CleanConfig
from weaksup.errors import DataError, LFDefinitionError, MissingColumnError, ParameterError
from weaksup.gold.core import id_texts, match_ids
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.lf.core import LabelingFunction
from weaksup.lf.snorkel import as_weaksup_lf
from weaksup.registry import Registry
from weaksup.validation import check_row_ids, is_gold_set

if TYPE_CHECKING:
    from weaksup.gold import GoldSet
    from weaksup.models.base import BaseLabelModel

logger = logging.getLogger(__name__)

__all__ = ["as_clean_config", "as_label_model", "as_registry", "check_data", "clean_data", "dev_labels",
           "load_gold_set"]


def check_data(data: Any, id_column: str | None, text_column: str | None, exclude_columns: Sequence[str] = ()
               ) -> pd.Index:
    """The Workbench's row ids, once ``data`` is checked: a DataFrame holding the id and text columns named, unique
    ids, and ``exclude_columns`` (columns its end model never reads, data without text only) among its columns.

    Examples
    --------
    >>> frame = pd.DataFrame({"row_id": ["a", "b"], "amount": [1.0, 2.0], "is_fraud": [0, 1]})
    >>> check_data(frame, "row_id", None, ["is_fraud"]).tolist()
    ['a', 'b']
    >>> check_data(frame, "row_id", None, ["fraud"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.MissingColumnError: Workbench: exclude_columns names ['fraud'], which is not a column of the data; ...
    """
    from weaksup.final.columns import excluded_problem

    if not isinstance(data, pd.DataFrame):
        raise DataError(f"Workbench(data=...) needs a pandas DataFrame; got {type(data).__name__}")
    columns = [str(c) for c in data.columns]
    if id_column is not None and id_column not in columns:
        raise MissingColumnError(f"Workbench: id column {id_column!r} is not in the data; its columns are "
                                 f"{columns}. Pass id_column= naming a unique column, or id_column=None")
    if text_column is not None and text_column not in columns:
        raise MissingColumnError(f"Workbench: text column {text_column!r} is not in the data; its columns are "
                                 f"{columns}. Pass text_column= (or None for data without text)")
    problem = excluded_problem(list(exclude_columns), columns, key="exclude_columns", text_column=text_column,
                               data="the data", no_text="text_column=None")
    if problem is not None:
        raise (ParameterError if text_column else MissingColumnError)(f"Workbench: {problem}")
    ids = pd.Index(data[id_column] if id_column is not None else data.index)
    check_row_ids(ids, where=f"Workbench: id column {id_column!r}" if id_column is not None else "Workbench: index")
    return ids


def as_registry(lfs: Any) -> Registry:
    """A :class:`~weaksup.Registry` from a registry, an LF, an iterable of LFs, or a module name or path.

    Examples
    --------
    >>> from weaksup import keyword_lf
    >>> list(as_registry(keyword_lf("kw", "x", 1))), len(as_registry(None))
    (['kw'], 0)
    """
    if lfs is None:
        return Registry()
    lfs = as_weaksup_lf(lfs)
    if isinstance(lfs, Registry):
        return lfs
    if isinstance(lfs, (str, os.PathLike, types.ModuleType)):
        return Registry.from_modules(lfs)
    if isinstance(lfs, LabelingFunction):
        return Registry([lfs])
    if isinstance(lfs, Iterable):
        return Registry(list(lfs))
    raise LFDefinitionError(f"Workbench(lfs=...) takes a Registry, LFs, or a module name; got {type(lfs).__name__}")


def as_clean_config(clean: bool | CleanConfig | Mapping[str, Any] | None) -> CleanConfig | None:
    """A Workbench's ``clean=`` as a run config's ``[clean]`` table: True (or None) its defaults, False None (no
    cleaning), a :class:`~weaksup.config_sections.CleanConfig` as it is, a mapping of ``[clean]`` keys over the
    defaults.

    Examples
    --------
    >>> as_clean_config(True) == CleanConfig(), as_clean_config(False)
    (True, None)
    >>> as_clean_config({"normalize": False, "mask": ["url"]})
    CleanConfig(normalize=False, lowercase_into='', mask=['url'], duplicates='near')
    """
    if clean is None or clean is True:
        return CleanConfig()
    if clean is False:
        return None
    keys = [f.name for f in dataclasses.fields(CleanConfig)]
    if isinstance(clean, Mapping) and set(clean) <= set(keys):
        mask = clean.get("mask", [])
        clean = CleanConfig(**{**clean, "mask": [mask] if isinstance(mask, str) else list(mask)})
    if isinstance(clean, CleanConfig):
        from weaksup.data.clean import MASKS

        unknown = sorted(set(clean.mask) - set(MASKS))
        if unknown:
            raise ParameterError(f"Workbench(clean=...): unknown mask(s) {unknown} in mask={clean.mask}; choose "
                                 f"from {sorted(MASKS)}")
        return clean
    raise ParameterError(f"Workbench(clean={clean!r}): expected True (clean the text as `weaksup run` does by "
                         f"default), False (the data as given), a run config's [clean] settings as a mapping of "
                         f"{keys}, or a CleanConfig (e.g. load_config(path).clean)")


def clean_data(data: pd.DataFrame, text_column: str | None, clean: CleanConfig | None) -> pd.DataFrame:
    """``data`` as ``weaksup run`` hands it to the LFs: a copy with ``text_column`` cleaned with the ``[clean]``
    settings ``clean`` (:func:`weaksup.data.prepare`: NFKC, zero-width characters and byte-order marks dropped,
    whitespace runs collapsed, trimmed, blank texts missing; ``mask``, ``lowercase_into``). ``data`` itself when
    there is nothing to clean (``clean`` or ``text_column`` None); it is never modified. Logs how many rows
    cleaning changed.

    Examples
    --------
    >>> df = pd.DataFrame({"row_id": [1, 2, 3], "text": ["spam\\ufeff", "a  b", "ok"]})
    >>> clean_data(df, "text", CleanConfig())["text"].tolist(), df["text"].tolist()[1]
    (['spam', 'a b', 'ok'], 'a  b')
    """
    if clean is None or text_column is None:
        return data
    import pyarrow as pa

    from weaksup.data import prepare

    rows = pd.DataFrame({"_row": np.arange(len(data)), "text": data[text_column]}, index=data.index)
    try:
        cleaned, report = prepare(rows, id_column="_row", normalize=clean.normalize, mask=clean.mask,
                                  lowercase_into=clean.lowercase_into or None, duplicates=False)
    except (DataError, pa.ArrowException) as exc:
        raise DataError(f"Workbench: cannot clean the text column {text_column!r} as `weaksup run` does ({exc}); "
                        "pass its values as text (df[column].astype('string')), or clean=False to read the data "
                        "as given") from exc
    out = data.copy()
    out[text_column] = cleaned["text"]
    if clean.lowercase_into:
        out[clean.lowercase_into] = cleaned[clean.lowercase_into]
    steps = ["Unicode NFKC, zero-width characters, whitespace"] * clean.normalize + \
        [f"masks {clean.mask}"] * bool(clean.mask)
    logger.info("Workbench: text cleaning (%s) changed %s of %s rows before the LFs saw them, as in `weaksup run` "
                "(Workbench(..., clean=False) reads the data as given)", "; ".join(steps) or "blank texts as missing",
                f"{report.text_changed:,}", f"{len(data):,}")
    return out


def load_gold_set(gold: Any, label_space: LabelSpace | None) -> GoldSet | None:
    """The gold set behind ``gold`` (a GoldSet or a gold-set folder); None for labels given directly.

    Raises :class:`~weaksup.errors.DataError` for anything else, or a gold set without a dev split.
    """
    if gold is None or isinstance(gold, (pd.Series, np.ndarray, list, tuple, Mapping)):
        return None
    if isinstance(gold, (str, os.PathLike)):
        from weaksup.gold import load_gold

        gold = load_gold(gold, label_space=label_space)
    if not is_gold_set(gold):
        raise DataError(f"Workbench(gold=...) takes a GoldSet, a gold-set folder, a Series (row id -> label) "
                        f"or an array of class ids; got {type(gold).__name__}")
    if "dev" not in gold.counts():
        raise DataError(f"gold set {gold.task} has no dev split (it has {gold.counts()}); the workbench shows "
                        "dev gold only, since test is for measuring. Label a dev split first")
    return gold  # type: ignore[no-any-return]


def dev_labels(gold: Any, row_ids: np.ndarray, label_space: LabelSpace | None, *,
               id_column: str | None = None) -> np.ndarray:
    """The dev gold class id of every row (``ABSTAIN`` where none) from a GoldSet, a Series by row id, or an array.

    A gold set's ids are text: they match the data's ids as text (:func:`~weaksup.gold.core.match_ids`: the id
    ``1000`` is the gold id ``"1000"``). A Series matches by its own ids first, then as text (the same rule).

    Examples
    --------
    >>> dev_labels(pd.Series({"a": "spam"}), np.array(["a", "b"]), LabelSpace(["ham", "spam"])).tolist()
    [1, -1]
    >>> dev_labels(pd.Series({"1000": "spam"}), np.array([999, 1000]), LabelSpace(["ham", "spam"])).tolist()
    [-1, 1]
    """
    n = len(row_ids)
    if gold is None:
        return np.full(n, ABSTAIN, dtype=np.int64)
    some: list[Any] = []
    if is_gold_set(gold):
        y = gold.y(row_ids, split="dev")  # matched as text (match_ids)
        some = [str(i) for i in gold.labels("dev").index[:1000]]
    elif isinstance(gold, (pd.Series, Mapping)):
        series = pd.Series(gold)
        clashing = series.groupby(level=0).nunique() > 1
        if clashing.any():
            raise DataError(f"Workbench(gold=...): {int(clashing.sum())} row id(s) have two different gold labels, "
                            f"e.g. {list(clashing.index[clashing][:5])}; keep one label per row id "
                            "(gold[~gold.index.duplicated(keep='last')])")
        series = series[~series.index.duplicated()]
        mapped = pd.Series(pd.Index(row_ids).map(series.to_dict().get), dtype=object)
        at = match_ids(series.index, row_ids)  # then as text
        mapped = mapped.where(mapped.notna(), series.reset_index(drop=True).reindex(at).to_numpy(dtype=object))
        y = np.array([_class_id(v, label_space) for v in mapped], dtype=np.int64)
        some = [str(i) for i in series.index[:1000]]
    else:
        y = np.asarray(gold).reshape(-1)
        if len(y) != n:
            raise DataError(f"Workbench: gold has {len(y)} labels but the data has {n} rows; pass one class id "
                            f"per row ({ABSTAIN} for rows without gold), a Series by row id, or a GoldSet")
        y = np.array([_class_id(v, label_space) for v in y], dtype=np.int64)
    if (y != ABSTAIN).sum() == 0:
        from weaksup.gold.origins import lost_zeros

        data_ids = [str(i) for i in id_texts(row_ids)[0][:10_000]]
        zeros = lost_zeros(some, data_ids)
        logger.warning("Workbench: no data row has a dev gold label (gold ids %s..., data ids %s...): %s", some[:3],
                       data_ids[:3], f"{zeros}: read the gold ids as text (dtype=str), keeping their leading zeros"
                       if zeros else f"check that the gold ids are the data's {id_column} values")
    return np.asarray(y, dtype=np.int64)


def _class_id(value: Any, label_space: LabelSpace | None) -> int:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ABSTAIN
    if isinstance(value, str):
        if label_space is None:
            raise DataError(f"Workbench: gold label {value!r} is a class name; pass label_space=[...] too")
        return label_space.id(value)
    try:
        whole = float(value).is_integer() and not isinstance(value, (bool, np.bool_))
    except (TypeError, ValueError):
        whole = False
    k = len(label_space) if label_space is not None else None
    if not whole or int(value) < ABSTAIN or (k is not None and int(value) >= k):
        of = "" if label_space is None else f" of the label space {list(label_space)} (0..{len(label_space) - 1})"
        raise DataError(f"Workbench: gold label {value!r} is not a class id{of}; pass class ids, class names, or "
                        f"{ABSTAIN} (or None) for rows without gold")
    return int(value)


def as_label_model(model: Any) -> BaseLabelModel | type[BaseLabelModel] | None:
    """A Workbench's ``label_model=``: None (the default), a label model instance or class, or a name as a run
    config's ``[label_model] name`` (``"default"``, ``"DawidSkene"``...), resolved to its class.

    Raises :class:`~weaksup.errors.ParameterError` for the temporal label model: it smooths each row with its
    neighbours in order, which the Workbench (one row at a time, no order) cannot give it.

    Examples
    --------
    >>> as_label_model("DawidSkene").__name__
    'DawidSkene'
    >>> as_label_model("temporal")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.ParameterError: Workbench(label_model='temporal'): the temporal label model smooths ...
    """
    if model is None or (isinstance(model, str) and model == "default"):
        return None
    if isinstance(model, str):
        from weaksup.models import resolve_label_model

        resolved = resolve_label_model(model, has_dev_gold=True)
        _refuse_temporal(resolved, model)
        return resolved
    if isinstance(model, type) or callable(getattr(model, "fit", None)):
        _refuse_temporal(model, model)
        return cast("BaseLabelModel | type[BaseLabelModel]", model)
    raise DataError(f"Workbench(label_model={model!r}): expected a label model (e.g. DawidSkene(cardinality=2)), "
                    "its class, or its name ('default', 'DawidSkene', ...)")


def _refuse_temporal(model: Any, given: Any) -> None:
    """Raise if ``model`` (a class or an instance) is the temporal label model, which needs the rows' order."""
    from weaksup.models.temporal import TemporalLabelModel

    if not (isinstance(model, TemporalLabelModel) or (isinstance(model, type) and issubclass(model, TemporalLabelModel))):
        return
    base = model.base if isinstance(model, TemporalLabelModel) else "DevNaiveBayes"
    shown = repr(given) if isinstance(given, str) else type(given).__name__ if not isinstance(given, type) \
        else given.__name__
    raise ParameterError(
        f"Workbench(label_model={shown}): the temporal label model smooths each row with its neighbours in order, "
        "but the Workbench scores rows independently (it takes no order_column or sequence_column), so its "
        "figures would not be the temporal model's. Label ordered rows with `weaksup run` (label_model.name = "
        "\"temporal\" with label_model.params.order_column, and sequence_column when the data holds several "
        f"sequences); in the Workbench, pass the temporal model's base model instead: label_model={base!r}")
