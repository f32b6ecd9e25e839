"""Classes a gold split has no row of, and what that costs: a label model cannot learn the LFs on a class its dev
rows lack, a classifier trained on them never predicts it, and test metrics say nothing about a class the test
rows lack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["gap_lines", "missing_classes"]

#: What a class missing from a gold split costs, and the fix (``{them}``: "it" or "them").
GAP_EFFECTS = {
    "dev": "the label model cannot learn how the LFs vote on {them}, and the classifier trained on the gold rows "
           "never predicts {them}: add dev gold rows of {them} (e.g. from the review queue)",
    "test": "the test metrics say nothing about {them}: add test gold rows of {them}",
}


def missing_classes(targets: np.ndarray, names: Sequence[str]) -> list[str]:
    """The names of the classes no gold row has: ``targets`` are class ids (``-1``: no label) or an ``(n, k)``
    bool matrix of label sets (multilabel).

    Examples
    --------
    >>> missing_classes(np.array([0, 0, -1]), ["ham", "spam"])
    ['spam']
    >>> missing_classes(np.array([[True, False, True]]), ["joy", "anger", "fear"])
    ['anger']
    """
    targets = np.asarray(targets)
    if targets.ndim == 2:
        present = np.asarray(targets.any(axis=0), dtype=bool)
    else:
        present = np.bincount(targets[targets >= 0].astype(np.int64), minlength=len(names)) > 0
    return [name for name, seen in zip(names, present, strict=True) if not seen]


def gap_lines(gaps: Mapping[str, Sequence[str]], noun: str = "class") -> list[str]:
    """One line per gold split (``"dev"`` or ``"test"``) that has no row of some classes (``gaps``: split ->
    class names), saying what that costs and the fix; ``noun`` is what a class is called (multilabel: label).

    Examples
    --------
    >>> gap_lines({"dev": ["spam"]})[0][:85]
    "the gold set's dev split has no row of 1 class ('spam'): the label model cannot learn"
    >>> gap_lines({"test": ["joy", "fear"]}, noun="label")
    ["the gold set's test split has no row of 2 labels ('joy', 'fear'): the test metrics say nothing about them: add test gold rows of them"]
    """
    lines = []
    for split, names in gaps.items():
        if not names:
            continue
        plural = len(names) > 1
        which = ", ".join(repr(n) for n in names[:8]) + (", ..." if len(names) > 8 else "")
        count = f"{len(names)} {noun}{('es' if noun.endswith('s') else 's') if plural else ''}"
        lines.append(f"the gold set's {split} split has no row of {count} ({which}): "
                     + GAP_EFFECTS[split].format(them="them" if plural else "it"))
    return lines
