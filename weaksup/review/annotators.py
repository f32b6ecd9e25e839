"""One name per annotator: Label Studio names a user by e-mail or by id depending on the export.

Its JSON export carries ``completed_by`` as a user id or as a user object with the e-mail, JSON-MIN and CSV carry
``annotator`` as an id: the same person is then ``ann@lab.org`` in one import and ``user-4`` in another, and would
count as two annotators (majorities and agreement inflated). Names are linked when they are one Label Studio user:

- the same user id: an answer names the id by e-mail (``annotator_id`` 4, ``annotator`` ``ann@lab.org``), so every
  ``user-4`` answer is ``ann@lab.org``, in the same export or in the gold set;
- the same answer: the same row and Label Studio annotation id (``annotation_id``); for gold sets written before
  weaksup kept annotation ids, a ``user-<id>`` answer with the same row, label and time as an answer under an
  e-mail.

Linked names take the one e-mail among them (``user-<id>`` when there is none). Names linked to two e-mails are
left as they are (two servers may give one id to two people), with a warning.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import pandas as pd

logger = logging.getLogger(__name__)

_USER = re.compile(r"user-\d+")


def is_user_id_name(name: str) -> bool:
    """Whether ``name`` is Label Studio's id form of an annotator (``user-<id>``), which says nothing of who it is.

    Examples
    --------
    >>> is_user_id_name("user-4"), is_user_id_name("ann@lab.org"), is_user_id_name("user-ann")
    (True, False, False)
    """
    return bool(_USER.fullmatch(name))


class _Links:
    """Names linked into groups (union-find)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, name: str) -> str:
        parent = self.parent
        while parent.setdefault(name, name) != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    def link(self, a: str, b: str) -> None:
        if a and b and a != b:
            self.parent[self.find(a)] = self.find(b)

    def renames(self) -> dict[str, str]:
        """Each linked name -> the one e-mail (not ``user-<id>``) of its group; groups with two are left apart."""
        groups: dict[str, list[str]] = {}
        for name in list(self.parent):
            groups.setdefault(self.find(name), []).append(name)
        out: dict[str, str] = {}
        for names in groups.values():
            named = sorted({n for n in names if not is_user_id_name(n)})
            if len(names) < 2 or not named:
                continue
            if len(named) > 1:
                logger.warning("annotators %s are linked to one Label Studio user (the same user id or the same "
                               "answer) but carry %d e-mails; their names are kept apart (check the exports' "
                               "servers)", sorted(names), len(named))
                continue
            out.update({n: named[0] for n in names if n != named[0]})
        return dict(sorted(out.items()))


def one_name_per_user(frames: Iterable[pd.DataFrame], *, same_answer_without_id: bool = False) -> dict[str, str]:
    """The renames (name -> name) that give each Label Studio user one name across ``frames``.

    Each frame has ``row_id`` and ``annotator`` and, when known, ``annotator_id`` (the user id), ``annotation_id``,
    ``label`` and ``timestamp``. ``same_answer_without_id`` (the import, with the gold set as the second frame) also
    links a ``user-<id>`` answer of the first frame to an answer of another frame under another name with the same
    row, label and time, when that answer has no annotation id.

    Examples
    --------
    >>> json_export = pd.DataFrame({"row_id": ["r1", "r2"], "annotator": ["ann@lab.org", "user-4"],
    ...                             "annotator_id": ["4", "4"], "annotation_id": ["11", "12"]})
    >>> one_name_per_user([json_export])
    {'user-4': 'ann@lab.org'}
    >>> json_min = pd.DataFrame({"row_id": ["r1"], "annotator": ["user-9"], "annotation_id": ["11"]})
    >>> gold = pd.DataFrame({"row_id": ["r1"], "annotator": ["ann@lab.org"], "annotation_id": ["11"]})
    >>> one_name_per_user([json_min, gold])
    {'user-9': 'ann@lab.org'}
    """
    links = _Links()
    answers = []
    for i, frame in enumerate(f for f in frames if len(f)):
        names = frame["annotator"].astype(str)
        for name in names:
            links.find(name)
        for uid, name in zip(_column(frame, "annotator_id"), names):
            if uid:
                links.link(f"user-{uid}", name)
        answers.append(pd.DataFrame({"row_id": frame["row_id"].astype(str).to_numpy(), "annotator": names.to_numpy(),
                                     "annotation_id": _column(frame, "annotation_id").to_numpy(),
                                     "label": _column(frame, "label").to_numpy(), "time": _times(frame).to_numpy(),
                                     "frame": i}))
    if not answers:
        return {}
    every = pd.concat(answers, ignore_index=True)
    keyed = every[every["annotation_id"] != ""]
    for _, group in keyed.groupby(["row_id", "annotation_id"], sort=False)["annotator"]:
        for name in group.iloc[1:]:
            links.link(group.iloc[0], name)
    if same_answer_without_id:
        new = every[(every["frame"] == 0) & every["annotator"].map(is_user_id_name) & every["time"].notna()]
        other = every[(every["frame"] > 0) & (every["annotation_id"] == "") & every["time"].notna()
                      & ~every["annotator"].map(is_user_id_name)]
        same = new.merge(other, on=["row_id", "label", "time"], suffixes=("", "_other"))
        for a, b in zip(same["annotator"], same["annotator_other"]):
            links.link(a, b)
    return links.renames()


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    return frame[name].map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v).strip())


def _times(frame: pd.DataFrame) -> pd.Series:
    stamps = _column(frame, "timestamp").replace("", None)
    return pd.to_datetime(stamps, errors="coerce", utc=True, format="ISO8601")
