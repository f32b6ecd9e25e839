"""The raw UCI SMS Spam Collection as a weak-supervision task: rows, a dev/test gold set, the label space.

Loaded the way the shipped YouTube example is (``weaksup.datasets.examples``): the rows carry no label (LFs never
see one), the gold labels of a fixed dev and test split come as a :class:`weaksup.gold.GoldSet`, and the other rows
are the unlabeled pool::

    from benchmarks.tasks.sms import load            # the repository on sys.path (benchmarks do this)
    data, gold, label_space = load()                  # DataFrame[row_id, text], GoldSet, LabelSpace(['ham', 'spam'])
    y_dev = gold.y(data["row_id"], split="dev")       # class ids of dev rows, -1 elsewhere (like YouTube's gold)
    from weaksup.registry import Registry
    registry = Registry.from_modules("benchmarks.tasks.sms_lfs")   # the LFs, written on dev rows only

Source: ``../shared/data/sms_uci/SMSSpamCollection`` (see its ``SOURCE.md``): tab-separated ``label<TAB>text``,
5,574 messages (4,827 ham, 747 spam) after the copy's extra header line ``Label\\tSMS``, which is dropped.
Row ids are ``sms0001`` ... ``sms5574``: the message's 1-based line in the original UCI file (header excluded).

The split rule (:func:`sms_split`), fixed once and never tuned: the first 8 hex digits of
``sha1(text.strip())`` as an integer, modulo 1000; below 110 is ``test``, 110-164 ``dev``, the rest ``unlabeled``.
It hashes the *text*, not the row id, so that the ~400 exact repeats in the collection share a split (as YouTube's
repeats share their comment id and so their split): no test message is a copy of a dev message the LFs were
written on. Result: 291 dev rows (257 ham, 34 spam), 622 test rows (542 ham, 80 spam), 4,661 unlabeled -- sizes
like YouTube's 286 dev and 290 test gold rows.
"""

from __future__ import annotations

import csv
import hashlib
import os
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from weaksup.errors import DataError
from weaksup.gold import GoldSet, content_hash
from weaksup.labels import LabelSpace

REPO = Path(__file__).resolve().parents[2]
#: Where the collection sits: ``$WEAKSUP_SHARED_DATA/sms_uci`` or ``../shared/data/sms_uci`` beside the repository.
SMS_DIR = Path(os.environ.get("WEAKSUP_SHARED_DATA", REPO.parent / "shared" / "data")) / "sms_uci"
#: The classes, in id order (ham = 0, spam = 1).
LABEL_SPACE = LabelSpace(["ham", "spam"])
TASK = "sms_spam"
_TEST_BELOW, _DEV_BELOW = 110, 165


class SMSTask(NamedTuple):
    """What :func:`load` returns; unpacks as ``data, gold, label_space``."""

    data: pd.DataFrame
    gold: GoldSet
    label_space: LabelSpace


def sms_split(text: str) -> str:
    """The gold split of a message: ``test`` (11%), ``dev`` (5.5%) or ``unlabeled``.

    ``int(sha1(text.strip()).hexdigest()[:8], 16) % 1000``: below 110 is ``test``, 110-164 ``dev``.

    Examples
    --------
    >>> sms_split("Ok lar... Joking wif u oni...")
    'unlabeled'
    """
    bucket = int(hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:8], 16) % 1000
    return "test" if bucket < _TEST_BELOW else "dev" if bucket < _DEV_BELOW else "unlabeled"


def read_collection(folder: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Every message with its UCI label and split: columns ``row_id``, ``text``, ``label``, ``split``.

    The truth of *all* rows, for simulations (review rounds); LFs and label models never see ``label``.

    Raises
    ------
    DataError
        The file is missing or a line is not ``label<TAB>text`` with label ham or spam.

    Examples
    --------
    >>> rows = read_collection()  # doctest: +SKIP
    >>> len(rows), rows["label"].value_counts().to_dict()  # doctest: +SKIP
    (5574, {'ham': 4827, 'spam': 747})
    """
    path = Path(folder if folder is not None else SMS_DIR) / "SMSSpamCollection"
    if not path.is_file():
        raise DataError(f"{path}: the SMS Spam Collection is missing; put the UCI file there (see SOURCE.md) "
                        f"or set WEAKSUP_SHARED_DATA to the folder holding sms_uci/")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    if rows and rows[0] == ["Label", "SMS"]:
        rows = rows[1:]  # this copy's extra header line (SOURCE.md)
    bad = [i for i, r in enumerate(rows, start=1) if len(r) != 2 or r[0] not in LABEL_SPACE]
    if bad:
        raise DataError(f"{path}: {len(bad)} line(s) are not 'ham|spam<TAB>text' (first: message {bad[0]}); "
                        f"use the original UCI file")
    frame = pd.DataFrame(rows, columns=["label", "text"])
    frame.insert(0, "row_id", [f"sms{i:04d}" for i in range(1, len(frame) + 1)])
    frame["split"] = frame["text"].map(sms_split)
    return frame[["row_id", "text", "label", "split"]]


def load(folder: str | os.PathLike[str] | None = None) -> SMSTask:
    """The task: rows (``row_id``, ``text``; no label), the dev/test :class:`GoldSet`, the label space.

    Examples
    --------
    >>> data, gold, space = load()  # doctest: +SKIP
    >>> len(data), gold.counts(), list(space)  # doctest: +SKIP
    (5574, {'dev': 291, 'test': 622}, ['ham', 'spam'])
    """
    rows = read_collection(folder)
    labelled = rows[rows["split"] != "unlabeled"]
    frame = pd.DataFrame({"row_id": labelled["row_id"].to_numpy(), "label": labelled["label"].to_numpy(),
                          "split": labelled["split"].to_numpy(), "annotator": "uci", "timestamp": ""})
    gold = GoldSet(TASK, 1, LABEL_SPACE, frame, content_hash(frame, LABEL_SPACE, TASK),
                   manifest={"task": TASK, "version": 1, "label_space": list(LABEL_SPACE), "id_column": "row_id",
                             "description": "UCI SMS Spam Collection labels of the dev and test splits (rule: "
                                            "benchmarks.tasks.sms.sms_split on the text)"})
    return SMSTask(rows[["row_id", "text"]].copy(), gold, LABEL_SPACE)
