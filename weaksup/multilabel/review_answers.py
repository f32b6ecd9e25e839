"""What a multi-label review import tells of its answers: the set a row's annotators decide (:func:`decided_set`),
the rows they disagree on (:func:`set_conflicts`), answers older than the gold set's (:func:`older_answers`), their
agreement (:func:`set_agreement`), and what the import prints (:func:`import_notes`)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import Problems, ReviewImportError, location
from weaksup.gold.agreement import Agreement, agreement
from weaksup.multilabel.gold_files import SEPARATOR, split_labels

def decided_set(sets: Sequence[Sequence[str]], labels: Sequence[str]) -> tuple[str, ...] | None:
    """The label set a row's annotators decide (each label more than half of them gave, in ``labels``' order), or
    None when no set wins: no label has a majority though an annotator chose one, and no majority chose no label
    (``love`` against ``anger``, or ``love`` against nothing). A gold set would hold such a row with an empty set.

    Examples
    --------
    >>> labels = ["joy", "love", "anger"]
    >>> decided_set([("joy", "love"), ("joy",)], labels), decided_set([(), ()], labels)
    (('joy',), ())
    >>> decided_set([("love",), ("anger",)], labels), decided_set([("love",), ()], labels)
    (None, None)
    """
    n = len(sets)
    chosen = tuple(x for x in labels if 2 * sum(x in s for s in sets) > n)
    if chosen or 2 * sum(not s for s in sets) > n:
        return chosen
    return None


def set_conflicts(pool: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """The rows of ``pool`` (``row_id``, ``labels`` tuples, ``annotator``) whose annotators chose different label
    sets: ``row_id``, ``answers`` (``annotator=a;b, ...``) and ``decided`` (:func:`decided_set`, None: no set wins).

    Examples
    --------
    >>> pool = pd.DataFrame({"row_id": ["r1", "r1", "r2"], "labels": [("love",), ("anger",), ("joy",)],
    ...                      "annotator": ["user-1", "user-2", "user-1"]})
    >>> set_conflicts(pool, ["joy", "love", "anger"]).to_dict("records")
    [{'row_id': 'r1', 'answers': 'user-1=love, user-2=anger', 'decided': None}]
    """
    out = []
    for row_id, group in pool.groupby("row_id", sort=False):
        sets = [tuple(v) for v in group["labels"]]
        if len(set(sets)) > 1:
            shown = ", ".join(f"{a or '(anonymous)'}={SEPARATOR.join(s) or '(no label)'}"
                              for a, s in zip(group["annotator"], sets))
            out.append({"row_id": str(row_id), "answers": shown, "decided": decided_set(sets, labels)})
    return pd.DataFrame(out, columns=["row_id", "answers", "decided"])


def older_answers(new: pd.DataFrame, old: pd.DataFrame) -> np.ndarray:
    """Where ``old`` (a gold set's frame) holds the same annotator's answer for the row of ``new`` with a later
    timestamp (both readable): an older export imported after a newer one.

    Examples
    --------
    >>> old = pd.DataFrame({"row_id": ["r1"], "annotator": ["user-1"], "timestamp": ["2026-12-04T16:00:00Z"]})
    >>> new = pd.DataFrame({"row_id": ["r1", "r2"], "annotator": ["user-1", "user-1"],
    ...                     "timestamp": ["2026-12-04T14:40:00Z", "2026-12-04T14:40:00Z"]})
    >>> older_answers(new, old).tolist()
    [True, False]
    """
    if not len(old) or not len(new):
        return np.zeros(len(new), dtype=bool)
    before = old.assign(row_id=old["row_id"].astype(str), annotator=old["annotator"].fillna("").astype(str))
    before = before.drop_duplicates(["row_id", "annotator"], keep="last").set_index(["row_id", "annotator"])
    keys = pd.MultiIndex.from_arrays([new["row_id"].astype(str), new["annotator"].fillna("").astype(str)])
    then = pd.to_datetime(before["timestamp"].reindex(keys).replace("", None), utc=True, errors="coerce",
                          format="ISO8601").to_numpy()
    now = pd.to_datetime(new["timestamp"].replace("", None), utc=True, errors="coerce", format="ISO8601").to_numpy()
    return np.asarray(pd.notna(then) & pd.notna(now) & (then > now), dtype=bool)


@dataclass(frozen=True)
class SetAgreement:
    """How the annotators of the rows with two or more of them agree on label sets.

    Attributes
    ----------
    n_items, n_annotators : int
    exact : float
        The share of annotator pairs (per row, averaged over rows) who chose the same set.
    jaccard : float
        Their mean Jaccard overlap (two empty sets: 1).
    per_label : Agreement
        Per label (each a yes/no class), averaged over the labels: raw agreement, Cohen's and Fleiss' kappa.
    """

    n_items: int
    n_annotators: int
    exact: float
    jaccard: float
    per_label: Agreement

    def line(self) -> str:
        """The summary line of an import."""
        a = self.per_label
        return (f"agreement over {self.n_items} row(s) with 2+ annotators ({self.n_annotators} annotators; every "
                f"answer, before the conflict policy): same label set {self.exact:.3f}, mean Jaccard "
                f"{self.jaccard:.3f}; per label (mean over labels): raw {a.raw_agreement:.3f}, Cohen's kappa "
                f"{a.cohen_kappa:.3f}, Fleiss' kappa {a.fleiss_kappa:.3f}")


def set_agreement(pool: pd.DataFrame, labels: Sequence[str]) -> SetAgreement | None:
    """The agreement of ``pool`` (``row_id``, ``labels`` tuples, ``annotator``) over its rows with two or more
    annotators (None when there are none).

    Examples
    --------
    >>> pool = pd.DataFrame({"row_id": ["r1", "r1", "r2", "r2"], "annotator": ["a", "b", "a", "b"],
    ...                      "labels": [("love",), ("anger",), ("joy", "love"), ("joy",)]})
    >>> a = set_agreement(pool, ["joy", "love", "anger"])
    >>> a.n_items, a.exact, a.jaccard, round(a.per_label.raw_agreement, 3)
    (2, 0.0, 0.25, 0.5)
    """
    multi = pool[pool.groupby("row_id")["row_id"].transform("size") >= 2]
    if not len(multi):
        return None
    exact, jaccard = [], []
    for _, group in multi.groupby("row_id", sort=False):
        pairs = list(itertools.combinations([set(v) for v in group["labels"]], 2))
        exact.append(np.mean([a == b for a, b in pairs]))
        jaccard.append(np.mean([len(a & b) / len(a | b) if a | b else 1.0 for a, b in pairs]))
    per = [agreement(multi.assign(label=["yes" if x in v else "no" for v in multi["labels"]]), ["no", "yes"])
           for x in labels]

    def mean(values: list[float]) -> float:
        kept = [v for v in values if not np.isnan(v)]
        return float(np.mean(kept)) if kept else float("nan")

    per_label = Agreement(len(exact), per[0].n_annotators, mean([a.raw_agreement for a in per]),
                          mean([a.cohen_kappa for a in per]), mean([a.fleiss_kappa for a in per]),
                          pd.concat([a.pairwise for a in per], ignore_index=True))
    return SetAgreement(len(exact), multi["annotator"].nunique(), float(np.mean(exact)), float(np.mean(jaccard)),
                        per_label)


def answer_pool(answers: pd.DataFrame, old: pd.DataFrame) -> pd.DataFrame:
    """Every answer of the rows ``answers`` answer: theirs, and the gold set's (``old``, ``;``-joined labels) by
    other annotators: ``row_id``, ``labels`` (tuples), ``annotator``.

    Examples
    --------
    >>> old = pd.DataFrame({"row_id": ["r1", "r1", "r2"], "labels": ["love", "joy", "joy"],
    ...                     "annotator": ["user-1", "user-2", "user-1"]})
    >>> new = pd.DataFrame({"row_id": ["r1"], "labels": [("anger",)], "annotator": ["user-2"]})
    >>> answer_pool(new, old).to_dict("list")
    {'row_id': ['r1', 'r1'], 'labels': [('love',), ('anger',)], 'annotator': ['user-1', 'user-2']}
    """
    mine = set(zip(answers["row_id"].astype(str), answers["annotator"].astype(str)))
    keep = [r in set(answers["row_id"].astype(str)) and (r, a) not in mine
            for r, a in zip(old["row_id"].astype(str), old["annotator"].fillna("").astype(str))]
    theirs = old.loc[np.asarray(keep, dtype=bool), ["row_id", "labels", "annotator"]]
    return pd.concat([theirs.assign(labels=[split_labels(v) for v in theirs["labels"]]),
                      answers[["row_id", "labels", "annotator"]]], ignore_index=True)


def check_empty_answers(answers: pd.DataFrame, export: Any, none_label: str | None) -> None:
    """Refuse the answers of a review export (``row_id``, ``labels``, ``annotator``, ``task_id``) that chose no
    label when the label space has a none label (each named by export file and task, with the fix); without one an
    empty answer is the empty set, kept.

    Examples
    --------
    >>> answers = pd.DataFrame({"row_id": ["T00637"], "labels": [()], "annotator": ["user-2"], "task_id": ["3"]})
    >>> check_empty_answers(answers, "review/export3.json", None)
    >>> check_empty_answers(answers, "review/export3.json", "none")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.ReviewImportError: ...review/export3.json: task 3: row 'T00637': user-2 chose no label...
    """
    if none_label is None:
        return
    problems = Problems(f"review export {export}")
    for rec in answers[[not v for v in answers["labels"]]].to_dict("records"):
        problems.add("empty_answer", f"row {rec['row_id']!r}: {rec['annotator'] or 'an annotator'} chose no label, "
                     f"and the label space has the none label {none_label!r} (an empty set could never be matched)",
                     where=location(str(export), at=f"task {rec.get('task_id') or '?'}"))
    problems.raise_if_any(ReviewImportError, fix=(
        f"In Label Studio, answer {none_label!r} on those tasks where none of the other labels applies (or skip the "
        "task there), then export again and import it; nothing was imported"))


def import_notes(*, stale: pd.DataFrame, old: pd.DataFrame, agreement: SetAgreement | None, conflicts: pd.DataFrame,
                 on_conflict: str, before: pd.Series, split: str, queued_test: list[str]) -> list[str]:
    """The lines a multi-label review import prints about what it read: ``stale`` answers (older than the gold set's
    ``old`` ones; counted when their labels differ), the ``agreement``, the ``conflicts`` (:func:`set_conflicts`) and
    what became of them (``before``: the rows' gold sets before), and review-queue rows new to the test split.

    Examples
    --------
    >>> conflicts = pd.DataFrame({"row_id": ["r1"], "answers": ["user-1=love, user-2=anger"], "decided": [None]})
    >>> none = pd.DataFrame(columns=["row_id", "labels", "annotator"])
    >>> print(import_notes(stale=none, old=none, agreement=None, conflicts=conflicts, on_conflict="keep",
    ...                    before=pd.Series(dtype=object), split="dev", queued_test=[])[0])
    1 row(s) where no label set wins (no label chosen by more than half of the annotators): left out: r1
    """
    from weaksup.review.export_contents import queue_test_warning

    held = {(str(r), str(a)): split_labels(v) for r, a, v in zip(old["row_id"], old["annotator"], old["labels"])}
    n = sum(held.get((str(r), str(a))) != tuple(v) for r, a, v in zip(stale["row_id"], stale["annotator"],
                                                                      stale["labels"]))
    lines = [f"{n} answer(s) not imported: the gold set holds a later answer of the same annotator for those rows "
             "(an older export imported after a newer one)"] if n else []
    tied = [] if on_conflict == "skip" else list(conflicts.loc[conflicts["decided"].isna(), "row_id"])
    if tied:
        lines.append(f"{len(tied)} row(s) where no label set wins (no label chosen by more than half of the "
                     f"annotators): left out: {', '.join(tied[:10])}" + (f" and {len(tied) - 10} more" if len(tied) > 10
                                                                      else ""))
    if len(conflicts):
        lines.append(f"{len(conflicts)} row(s) with disagreeing label sets:")
    for rec in conflicts.head(20).to_dict("records"):
        if on_conflict == "skip":
            what = "left out"
        elif rec["decided"] is not None:
            what = f"majority per label: {SEPARATOR.join(rec['decided']) or '(no label)'}"
        elif rec["row_id"] in before.index:
            was = SEPARATOR.join(before[rec["row_id"]]) or "no label"
            what = f"no label set wins: not written; the row keeps its gold set before ({was})"
        else:
            what = f"no label set wins: {split} row left out of the gold set until another answer breaks the tie"
        lines.append(f"  {rec['row_id']}: {rec['answers']} [{what}]")
    if len(conflicts) > 20:
        lines.append(f"  ... and {len(conflicts) - 20} more")
    if agreement is not None:
        lines.append(agreement.line())
    if note := queue_test_warning(queued_test):
        lines.append(note)
    return lines


def read_note(export: Any, answers: pd.DataFrame) -> str:
    """What a multi-label review import read of ``export`` (answers from
    :func:`~weaksup.multilabel.review.read_multilabel_export`): annotations, rows, cancelled and empty answers.

    Examples
    --------
    >>> answers = pd.DataFrame({"row_id": ["r1", "r2"], "labels": [("joy",), ()]})
    >>> answers.attrs["cancelled"] = 1
    >>> read_note("export.json", answers)
    'export.json (Label Studio): 2 annotation(s) of 2 row(s); left out: 1 cancelled (skipped); 1 with no label chosen'
    """
    counts = ((answers.attrs.get("cancelled", 0), "left out: {} cancelled (skipped)"),
              (sum(not v for v in answers["labels"]), "{} with no label chosen"))
    return (f"{export} (Label Studio): {len(answers)} annotation(s) of {answers['row_id'].nunique()} row(s)"
            + "".join(f"; {what.format(n)}" for n, what in counts if n))
