"""Answers back as gold: a new version of the task's gold set, merged with the previous one.

- Each annotation becomes a gold row with its annotator and time. A row answered again by the same
  annotator keeps the latest answer (re-importing an export is harmless).
- A row that already has gold keeps its split (a row belongs to one split); new rows go to
  ``split`` (``dev`` by default: reviewed rows are for tuning, not for measuring).
- Annotators who disagree on a row are listed in :attr:`ReviewImport.conflicts`, with the
  previous gold label of the row when it differs. They are not resolved silently: ``keep`` writes
  every annotation (the gold set's majority decides when it is used; ties are left out, with a
  warning), ``skip`` leaves those rows out, ``error`` refuses the import.
- Agreement (raw, Cohen's and Fleiss' kappa) is measured over the rows with two or more annotators, on
  every answer of the export (and the gold set's other annotations of those rows) before the conflict
  policy acts: ``skip`` leaves rows out of the gold set, not out of the measure.
- Each answer's Label Studio ``origin`` (``prediction``: the pre-fill accepted unchanged) is kept in the
  gold set's ``origin`` column and summarised (:func:`weaksup.gold.prefill_report`).
- One name per annotator (:mod:`weaksup.review.annotators`): a Label Studio user named by id (``user-<id>``) in
  the gold set or the export, and by e-mail elsewhere (the same user id, or the same answer: row and annotation
  id), is recorded by e-mail everywhere; an answer the gold set holds already is not counted again.
- Every problem of an import (the export's, answers or gold rows the data lacks when ``row_ids`` are given,
  disagreements with ``on_conflict="error"``) is raised in one error (:mod:`weaksup.review.import_checks`);
  nothing is written then. Without ``row_ids`` the summary says the new rows' ids were not checked.
- Importing answers the gold set holds already writes nothing (same content hash: no new version).
- Answers the gold set holds from the export's Label Studio project that the export no longer has (deleted there)
  are kept and reported (:attr:`ReviewImport.deleted`); rows a run's review queue picked that go to the test split
  are warned about (not a random sample) (:mod:`weaksup.review.export_contents`).
- Reading the gold set, merging and writing the new version hold the gold set's lock
  (:func:`weaksup.gold.lock.gold_lock`): an import started while another one writes waits for it, then merges its
  answers on top of that version, so both are kept (:mod:`weaksup.review.versioning` refuses an import overtaken
  anyway, to be re-run).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from weaksup._lock import LOCK_FILE
from weaksup.errors import ReviewError, ReviewImportError
from weaksup.gold import (
    MANIFEST,
    SPLITS,
    Agreement,
    GoldSet,
    PrefillReport,
    agreement,
    content_hash,
    load_gold,
    prefill_report,
)
from weaksup.gold.core import KEPT
from weaksup.gold.lock import gold_lock
from weaksup.labels import LabelSpace
from weaksup.review.annotators import one_name_per_user
from weaksup.review.answers import Answers
from weaksup.review.export_contents import deleted_answers, deleted_note, queue_rows_in_test, queue_test_warning
from weaksup.review.import_checks import check_import, check_one_project, conflicts as find_conflicts
from weaksup.review.versioning import next_version, write_next_version
from weaksup.validation import as_label_space, check_choice

logger = logging.getLogger(__name__)

#: What to do with rows whose annotators disagree.
ON_CONFLICT = ("keep", "skip", "error")


@dataclass(frozen=True)
class ReviewImport:
    """The outcome of importing a review round into a gold set.

    Attributes
    ----------
    gold : GoldSet
        The new version, as written.
    previous_version : int or str or None
        The version it replaces (None for a new gold set).
    added_rows : int
        Rows that had no gold label before.
    annotations : int
        Annotations written from this import (after dropping repeats and skipped conflicts).
    replaced : int
        Earlier annotations of the same row by the same annotator that this import replaced.
    conflicts : DataFrame
        One row per disagreeing row: ``row_id``, ``task_id``, ``labels`` (``annotator=label; ...``),
        ``previous_gold`` (when the gold set had another label), ``resolution``.
    agreement : Agreement or None
        Over the rows with two or more annotators (None when there are none).
    answers : Answers
        What was read.
    changed : bool
        False when the gold set held these answers already: nothing was written, no new version
        (:attr:`gold` is the current one).
    prefill : PrefillReport or None
        How many answers accepted the pre-filled suggestion unchanged (per annotator), and how accepted and
        edited answers agree with the other annotators and the final label (every answer of the import).
    renamed : dict
        Annotator names given one name (old -> new): a Label Studio user named ``user-<id>`` in the gold set or
        the export and by e-mail elsewhere; their earlier annotations now carry the e-mail too.
    stale : int
        Answers not imported because the gold set holds a later answer of the same annotator for the row (an
        older export imported after a newer one).
    unchecked : tuple of str
        Row ids new to the gold set that were not checked against the data (no ``row_ids`` given).
    deleted : tuple of str
        Row ids of the gold set's answers from the export's Label Studio project that the export no longer has
        (deleted there, or left out of the export): kept, and named in the summary with how to drop them.
    notes : tuple of str
        More lines of the summary (those answers).
    """

    gold: GoldSet
    previous_version: int | str | None
    added_rows: int
    annotations: int
    replaced: int
    conflicts: pd.DataFrame = field(repr=False)
    agreement: Agreement | None = field(repr=False)
    answers: Answers = field(repr=False)
    changed: bool = True
    prefill: PrefillReport | None = field(default=None, repr=False)
    renamed: dict[str, str] = field(default_factory=dict)
    stale: int = 0
    unchecked: tuple[str, ...] = field(default=(), repr=False)
    deleted: tuple[str, ...] = field(default=(), repr=False)
    notes: tuple[str, ...] = field(default=(), repr=False)

    def summary(self) -> str:
        before = f"v{self.previous_version} -> " if self.previous_version is not None else "new, "
        counts = " + ".join(f"{n} {s}" for s, n in self.gold.counts().items())
        lines = [
            self.answers.summary(),
            f"gold set {self.gold.task}: {before}v{self.gold.version} (hash {self.gold.hash}; {counts}); "
            f"{self.annotations} annotation(s) written, {self.added_rows} new row(s), {self.replaced} replaced"
            if self.changed else
            f"gold set {self.gold.task}: unchanged at v{self.gold.version} (hash {self.gold.hash}; {counts}): it "
            f"holds these {self.annotations} annotation(s) already; no new version written",
        ]
        if self.stale:
            lines.append(f"{self.stale} answer(s) not imported: the gold set holds a later answer of the same "
                         "annotator for those rows (an older export imported after a newer one)")
        if self.unchecked:
            lines.append(f"{len(self.unchecked)} new row id(s) not checked against the data (e.g. "
                         f"{', '.join(map(repr, self.unchecked[:3]))}): no data given (--run RUN_DIR or --config "
                         "CONFIG checks them); a run whose data lacks one of them stops, naming it")
        lines += self.notes
        if self.renamed:
            lines.append("one name per Label Studio user (named by id in the gold set or this export, by e-mail "
                         "elsewhere): " + ", ".join(f"{a} -> {b}" for a, b in self.renamed.items()))
        if self.agreement is not None:
            a = self.agreement
            lines.append(f"agreement over {a.n_items} row(s) with 2+ annotators ({a.n_annotators} annotators; every "
                         f"answer, before the conflict policy): raw {a.raw_agreement:.3f}, Cohen's kappa "
                         f"{a.cohen_kappa:.3f}, Fleiss' kappa {a.fleiss_kappa:.3f}")
        if self.prefill is not None:
            lines += self.prefill.lines()
        if len(self.conflicts):
            lines.append(f"{len(self.conflicts)} row(s) with disagreeing labels:")
            for rec in self.conflicts.head(20).to_dict("records"):
                prev = f"; gold before: {rec['previous_gold']}" if rec["previous_gold"] else ""
                lines.append(f"  {rec['row_id']} (task {rec['task_id'] or '-'}): {rec['labels']}{prev} "
                             f"[{rec['resolution']}]")
            if len(self.conflicts) > 20:
                lines.append(f"  ... and {len(self.conflicts) - 20} more (ReviewImport.conflicts)")
        return "\n".join(lines)


def import_answers(
    answers: Answers,
    gold_dir: str | os.PathLike[str],
    *,
    task: str,
    label_space: LabelSpace | Sequence[str] | None = None,
    split: str = "dev",
    on_conflict: str = "keep",
    row_ids: Iterable[Any] | None = None,
    description: str | None = None,
    data: str | None = None,
) -> ReviewImport:
    """Write the answers into ``gold_dir`` as a new gold-set version (the previous version + 1).

    Earlier versions' label files stay on disk (the new rows go to a content-addressed file, see
    :mod:`weaksup.gold.versions`); answers the gold set holds already write nothing (``changed`` False).

    Parameters
    ----------
    answers : Answers
        From :func:`~weaksup.review.labelstudio.read_export` or :func:`~weaksup.review.plain_csv.read_sheet`.
    gold_dir : path-like
        ``gold_sets/<task>``; created (version 1) when it does not exist, which needs ``label_space``.
    task : str
        The task name; it must be the gold set's.
    label_space : LabelSpace or sequence of str, optional
        Must equal the gold set's when given.
    split : {"dev", "test"}, default "dev"
        The split of rows new to the gold set.
    on_conflict : {"keep", "skip", "error"}, default "keep"
    row_ids : iterable, optional
        The dataset's row ids; an answer (or a gold row) for another id is an error. Without them the summary
        names the new rows' ids as not checked.
    data : str, optional
        What ``row_ids`` are of, for messages, e.g. ``the run runs/tix``.

    Raises
    ------
    ReviewImportError
        With every problem of the import at once (:func:`~weaksup.review.import_checks.check_import`); nothing is
        written then.
    """
    check_choice(split, SPLITS, name="split", error=ReviewError)
    check_choice(on_conflict, ON_CONFLICT, name="on_conflict", error=ReviewError)
    folder = Path(gold_dir)
    # read the gold set, merge, write: under the gold set's lock, so an import running at the same time waits
    # and this one merges on top of its version (a new gold set's folder is made to be locked)
    with gold_lock(folder, create=label_space is not None and not folder.exists()):
        previous = load_gold(folder) if (folder / MANIFEST).is_file() else None
        if previous is None and folder.exists() and any(f.name != LOCK_FILE for f in folder.iterdir()):
            raise ReviewError(f"{folder} exists but has no {MANIFEST}; point --gold-dir at a gold set folder "
                              "(gold_sets/<task>) or at a new, empty one")
        space = _label_space(previous, label_space, folder)
        if previous is not None and previous.task != task:
            raise ReviewError(f"the gold set in {folder} is for task {previous.task!r}, not {task!r}; check --task and "
                              "--gold-dir")
        old = previous.frame if previous is not None else pd.DataFrame(columns=["row_id", "label", "split", "annotator",
                                                                                 "timestamp"])
        check_one_project(answers, space)
        if len(answers.frame) == 0:
            check_import(answers, row_ids=row_ids, old=old, disagreements=None, data=data)
            raise ReviewImportError(f"{answers.summary()}; nothing to import (no answered annotation)")
        new, old, renamed = _one_name_per_user(answers.frame, old)
        new = _latest_per_annotator(new)
        # the gold set's other annotations of the rows answered: an annotator's newer answer replaces their own
        answered = set(zip(new["row_id"], new["annotator"]))
        others = old[np.array([(r, a) not in answered for r, a in zip(old["row_id"], old["annotator"])], dtype=bool)
                     & old["row_id"].isin(set(new["row_id"])).to_numpy()]
        previous_labels = previous.labels() if previous is not None else pd.Series(dtype=str)
        conflicts = find_conflicts(new, previous_labels[previous_labels.index.isin(set(others["row_id"]))])
        shown = conflicts.assign(labels=[f"{c}; gold before: {p}" if p else c
                                         for c, p in zip(conflicts["labels"], conflicts["previous_gold"])])
        check_import(answers, row_ids=row_ids, old=old, disagreements=shown if on_conflict == "error" else None,
                     data=data)
        # agreement and the pre-fill account: over every answer of this import (and the gold set's other
        # annotations of those rows), before any conflict policy drops some
        pool = pd.concat([others[["row_id", "label", "annotator"]], new[["row_id", "label", "annotator"]]],
                         ignore_index=True)
        multi = pool[pool.groupby("row_id")["row_id"].transform("size") >= 2]
        agree = agreement(multi, space) if len(multi) else None
        all_answers = new
        if on_conflict == "skip":
            new = new[~new["row_id"].isin(set(conflicts["row_id"]))]
        split_of = dict(zip(old["row_id"], old["split"]))
        new = new.assign(split=[split_of.get(r, split) for r in new["row_id"]])
        new, same = _keep_unchanged_answers(new, old)
        stale = _older_than_gold(new, old) & ~same
        if stale.any():  # an older export imported after a newer one: the gold set keeps the newer answers
            logger.warning("%d answer(s) of %s are older than the same annotators' answers in the gold set and are not "
                           "imported (e.g. row %r)", int(stale.sum()), _source(answers.file),
                           new["row_id"].to_numpy()[stale][0])
            new, same = new[~stale], same[~stale]
        old_keys = set(zip(old["row_id"], old["annotator"]))
        replaced = sum((r, a) in old_keys and not kept for r, a, kept in zip(new["row_id"], new["annotator"], same))
        new_keys = set(zip(new["row_id"], new["annotator"]))
        kept_old = old[np.array([(r, a) not in new_keys for r, a in zip(old["row_id"], old["annotator"])], dtype=bool)]
        cols = ["row_id", "label", "split", "annotator", "timestamp"]
        merged = pd.concat([kept_old.reindex(columns=[*cols, *KEPT]), new.reindex(columns=[*cols, *KEPT])],
                           ignore_index=True)
        prev_ids = set(old["row_id"])
        added_ids = list(dict.fromkeys(r for r in new["row_id"] if r not in prev_ids))
        added = len(added_ids)
        if queued := queue_test_warning(queue_rows_in_test(new, added_ids, answers.contents)):
            logger.warning("%s", queued)
        gone = deleted_answers(kept_old, answers.contents) if answers.format != "csv" else kept_old.iloc[:0]
        if previous is not None and content_hash(merged, space, task) == previous.hash:
            gold, changed = previous, False  # the gold set holds these answers already: no new version
        else:
            version = next_version(previous)
            note = (f"v{version}: {len(new)} annotation(s) from review export {_source(answers.file)} "
                    f"({answers.format}), imported {datetime.now(UTC).isoformat(timespec='seconds')}")
            base = description if description is not None else (previous.manifest.get("description", "")
                                                                if previous else "")
            history = [*(previous.manifest.get("history", []) if previous is not None else []),
                       {"version": version, "annotations": len(new), "source": _source(answers.file),
                        "format": answers.format, "note": note}]
            gold = write_next_version(merged, folder, previous, task=task, label_space=space, description=base,
                                      row_ids=row_ids, history=history)
            changed = True
        conflicts["resolution"] = _resolutions(conflicts, gold, on_conflict)
        # (a review sheet has no pre-fill to accept: its reviewers type the label)
        prefill = prefill_report(all_answers, final=gold.labels(), context=others) if answers.format != "csv" else None
        return ReviewImport(gold, previous.version if previous else None, added, len(new), replaced,
                            conflicts.reset_index(drop=True), agree, answers, changed, prefill, renamed,
                            int(stale.sum()), tuple(added_ids) if row_ids is None else (),
                            tuple(dict.fromkeys(gone["row_id"].astype(str))),
                            tuple(filter(None, [deleted_note(gone, answers.contents, folder)])))


def _source(file: str) -> str:
    """The export's name in the gold set's history: its file name; ``project N at URL`` for a pulled one."""
    return file if "://" in file else Path(file).name


def _resolutions(conflicts: pd.DataFrame, gold: GoldSet, on_conflict: str) -> list[str]:
    """What happened to each disagreeing row: left out (``skip``), its majority label, or left out as tied."""
    if on_conflict == "skip":
        return ["left out"] * len(conflicts)
    labels = gold.labels()
    split_of = dict(zip(gold.frame["row_id"], gold.frame["split"]))
    out = []
    for row_id in conflicts["row_id"]:
        split = split_of.get(row_id, "dev")
        out.append(f"majority: gold label {labels[row_id]}" if row_id in labels.index else
                   f"tied: {split} row {row_id} left out of "
                   + ("dev gold" if split == "dev" else f"the {split} split") + " until another answer breaks the tie")
    return out


def _label_space(previous: GoldSet | None, label_space: Any, folder: Path) -> LabelSpace:
    given = None
    if label_space is not None:
        given = as_label_space(label_space, where="import_answers(label_space=)")
    if previous is None:
        if given is None:
            raise ReviewError(f"no gold set in {folder} yet, so its label space is unknown; pass the run "
                              "(--run RUN_DIR) or the label space to create version 1")
        return given
    if given is not None and given != previous.label_space:
        raise ReviewError(f"the gold set's label space {list(previous.label_space)} differs from the task's "
                          f"{list(given)}; the review and the gold set must use the same classes, in order")
    return previous.label_space


def _latest_per_annotator(frame: pd.DataFrame) -> pd.DataFrame:
    """One annotation per (row, annotator): the latest by timestamp (then by file order)."""
    ordered = frame.assign(_t=pd.to_datetime(frame["timestamp"].replace("", None), errors="coerce", utc=True,
                                             format="ISO8601"), _pos=range(len(frame)))
    ordered = ordered.sort_values(["_t", "_pos"], na_position="first", kind="stable")
    changed = ordered.groupby(["row_id", "annotator"], sort=False)["label"].transform("nunique") > 1
    if changed.any():  # one annotator, two labels for a row: say which answer is kept
        kept = ordered[changed].drop_duplicates(["row_id", "annotator"], keep="last")
        logger.warning("%d row(s) were answered more than once by the same annotator with different labels; the "
                       "latest answer (by timestamp, then by place in the file) is kept: %s", len(kept),
                       "; ".join(f"{r.row_id!r} by {r.annotator!r}: {r.label!r}" for r in kept.head(5).itertuples()))
    return ordered.drop_duplicates(["row_id", "annotator"], keep="last").sort_values("_pos").drop(columns=["_t", "_pos"])


def _older_than_gold(new: pd.DataFrame, old: pd.DataFrame) -> np.ndarray:
    """Where the gold set holds the same annotator's answer for the row with a later timestamp (both readable)."""
    if not len(old) or not len(new):
        return np.zeros(len(new), dtype=bool)
    before = old.drop_duplicates(["row_id", "annotator"], keep="last").set_index(["row_id", "annotator"])
    keys = pd.MultiIndex.from_arrays([new["row_id"], new["annotator"]])
    then = pd.to_datetime(before["timestamp"].reindex(keys), utc=True, errors="coerce", format="ISO8601").to_numpy()
    now = pd.to_datetime(new["timestamp"], utc=True, errors="coerce", format="ISO8601").to_numpy()
    return np.asarray(pd.notna(then) & pd.notna(now) & (then > now), dtype=bool)


def _keep_unchanged_answers(new: pd.DataFrame, old: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """``new`` with the gold row's timestamp wherever the same annotator gave the row the same label before,
    and where that is (a boolean per row of ``new``).

    An answer that did not change is the gold row already: importing the same answers again (or a sheet
    whose blank timestamps take the import time) then changes nothing, and writes no new version.
    """
    if not len(old) or not len(new):
        return new, np.zeros(len(new), dtype=bool)
    before = old.drop_duplicates(["row_id", "annotator"], keep="last").set_index(["row_id", "annotator"])
    keys = pd.MultiIndex.from_arrays([new["row_id"], new["annotator"]])
    old_label = before["label"].reindex(keys).to_numpy()
    old_stamp = before["timestamp"].reindex(keys).to_numpy()
    same = np.asarray(old_label == new["label"].to_numpy(), dtype=bool)
    kept = {"timestamp": np.where(same, old_stamp, new["timestamp"].to_numpy())}
    for col in (c for c in KEPT if c in before):  # what this export does not say (JSON-MIN: no origin) stays
        mine = new[col].fillna("").astype(str).to_numpy() if col in new else np.full(len(new), "", dtype=object)
        theirs = before[col].reindex(keys).fillna("").astype(str).to_numpy()
        kept[col] = np.where(same & (mine == ""), theirs, mine)
    return new.assign(**kept), same


def _one_name_per_user(new: pd.DataFrame, old: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """``new`` and ``old`` with one name per Label Studio user (:func:`~weaksup.review.annotators.one_name_per_user`),
    ``old`` then with one annotation per (row, annotator), and the renames made.

    A gold set imported from an export with e-mails, then from one with numeric user ids (or the other way round),
    or holding the same answer under both names, would otherwise count each such annotator twice.
    """
    renames = one_name_per_user([new, old], same_answer_without_id=True)
    present = set(new["annotator"]) | set(old["annotator"])
    renames = {a: b for a, b in renames.items() if a in present}
    if not renames:
        return new, old, {}
    new = new.assign(annotator=new["annotator"].replace(renames))
    renamed = old.assign(annotator=old["annotator"].replace(renames))
    return new, renamed.drop_duplicates(["row_id", "annotator"], keep="last"), renames
