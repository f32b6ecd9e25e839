"""Two `weaksup review import` processes into one gold set at once (classification, multi-label, spans): the second
waits for the first (:func:`weaksup.gold.lock.gold_lock` around its read of the gold set, merge and write) and
merges its answers on top, so both imports' answers are in the final version.

Before, an import read the gold set (version N) outside the lock: both planned version N+1 from N and the second was
refused ("another import wrote version ... re-run the import").
"""

from __future__ import annotations

import logging
import multiprocessing
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.review.helpers import ls_export, write_json

SPACE = ["billing", "bug", "feature", "other"]
TYPES = ["Chemical", "Disease"]
MINE, THEIRS = {"T0001": "billing", "T0002": "feature"}, {"T0003": "other", "T0004": "bug"}


def _create(kind: str, folder: Path) -> None:
    """Version 1 of the gold set of ``kind`` in ``folder``: row T0000."""
    if kind == "classification":
        from weaksup.gold import write_gold

        rows = pd.DataFrame({"row_id": ["T0000"], "label": ["bug"], "split": ["dev"], "annotator": ["lead"]})
        write_gold(rows, folder, task="tickets", label_space=SPACE)
    elif kind == "multilabel":
        from weaksup.multilabel import MultiLabelSpace
        from weaksup.multilabel.gold import write_multilabel_gold

        rows = pd.DataFrame({"row_id": ["T0000"], "labels": [["bug"]], "split": ["dev"], "annotator": ["lead"]})
        write_multilabel_gold(rows, folder, task="tickets", space=MultiLabelSpace(SPACE))
    else:
        from weaksup.spans.gold import write_span_gold

        write_span_gold([{"row_id": "T0000", "split": "dev", "spans": [(0, 6, "Chemical")]}], folder, task="tickets",
                        types=TYPES)


def _import(kind: str, folder: str, answers: dict[str, str], export: str) -> int | str:
    """Import ``answers`` (row id -> label) as the review export ``export`` of ``kind`` would hold them; the version
    written."""
    if kind == "classification":
        from weaksup.review import import_answers, read_export

        tasks = [{"data": {"row_id": r, "text": f"ticket {r}"}} for r in answers]
        path = write_json(ls_export(tasks, {r: [(1, label)] for r, label in answers.items()}), Path(export))
        return import_answers(read_export(path, SPACE), folder, task="tickets").gold.version
    if kind == "multilabel":
        from weaksup.multilabel import MultiLabelSpace
        from weaksup.multilabel.review import import_multilabel_answers

        frame = pd.DataFrame({"row_id": list(answers), "labels": [(label,) for label in answers.values()],
                              "annotator": ["ann"] * len(answers), "timestamp": [""] * len(answers)})
        return import_multilabel_answers(frame, folder, task="tickets", space=MultiLabelSpace(SPACE)).version
    from weaksup.spans.review import SpanAnswers, import_span_answers

    frame = pd.DataFrame({"row_id": list(answers), "annotator": ["ann"] * len(answers),
                          "text": [f"Aspirin {r}" for r in answers],
                          "spans": [[(0, 7, "Chemical")] if label in ("billing", "other") else [] for label in
                                    answers.values()]})
    return import_span_answers(SpanAnswers(frame), folder, task="tickets", types=TYPES).version


def _rows(kind: str, folder: Path) -> set[str]:
    """The row ids of the gold set's latest version."""
    if kind == "classification":
        from weaksup.gold import load_gold

        return set(load_gold(folder).frame["row_id"].astype(str))
    if kind == "multilabel":
        from weaksup.multilabel.gold import load_multilabel_gold

        return set(load_multilabel_gold(folder).frame["row_id"].astype(str))
    from weaksup.spans.gold import load_span_gold

    return set(load_span_gold(folder).frame["row_id"].astype(str))


class _Waiting(logging.Handler):
    """Tells the test process when this import waits for the gold set's lock."""

    def __init__(self, i: int, results: Any) -> None:
        super().__init__()
        self.i, self.results = i, results

    def emit(self, record: logging.LogRecord) -> None:
        if "waiting up to" in record.getMessage():
            self.results.put((self.i, "waiting", None))


def _importer(kind: str, folder: str, answers: dict[str, str], export: str, i: int, barrier: Any,
              results: Any) -> None:
    """An import process: released with the other one, it says when it waits for the lock, then what it wrote."""
    logging.getLogger("weaksup.gold.lock").addHandler(_Waiting(i, results))
    barrier.wait()
    try:
        results.put((i, "ok", _import(kind, folder, answers, export)))
    except Exception as exc:  # noqa: BLE001 - reported to the test process
        results.put((i, "error", f"{type(exc).__name__}: {exc}"))


@pytest.mark.parametrize("kind", ["classification", "multilabel", "spans"])
def test_two_imports_at_once_both_land_in_the_final_gold_set(tmp_path, monkeypatch, kind):
    """The test holds the gold set (as a writer would) while two import processes start at once (a barrier), until
    both wait for it: each must then read the gold set after the other's version, so both succeed (versions 2 and
    3) and the final version holds both answer files' rows."""
    from weaksup.gold.lock import gold_lock

    monkeypatch.setenv("WEAKSUP_LOCK_TIMEOUT", "300")
    folder = tmp_path / "gold"
    _create(kind, folder)
    ctx = multiprocessing.get_context("fork")  # the children share the imports: they start at once
    barrier, results = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=_importer, args=(kind, str(folder), answers, str(tmp_path / f"export{i}.json"), i,
                                                 barrier, results))
             for i, answers in enumerate([MINE, THEIRS])]
    for proc in procs:
        proc.start()  # forked before the lock is taken: a child must not inherit it
    found = []
    with gold_lock(folder):
        barrier.wait()
        while sum(r[1] == "waiting" for r in found) < 2 and not any(r[1] == "error" for r in found):
            found.append(results.get(timeout=300))
    found += [results.get(timeout=300) for _ in range(2 - sum(r[1] in ("ok", "error") for r in found))]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    done = [r for r in found if r[1] != "waiting"]
    assert [r for r in done if r[1] != "ok"] == [], done
    assert sorted(r[2] for r in done) == [2, 3]
    assert _rows(kind, folder) == {"T0000", *MINE, *THEIRS}


def test_a_new_gold_folder_holding_only_the_lock_file_is_a_new_gold_set(tmp_path):
    """A gold set folder made for a first import and locked where folders cannot be (NFS) holds only the lock file
    (:data:`weaksup._lock.LOCK_FILE`, never removed): the import writes version 1 there; another file still makes
    the folder no gold set folder."""
    from weaksup._lock import LOCK_FILE
    from weaksup.errors import ReviewError
    from weaksup.gold import load_gold
    from weaksup.review import import_answers, read_export

    tasks = [{"data": {"row_id": r, "text": f"ticket {r}"}} for r in MINE]
    export = write_json(ls_export(tasks, {r: [(1, label)] for r, label in MINE.items()}), tmp_path / "e.json")
    folder = tmp_path / "gold"
    folder.mkdir()
    (folder / LOCK_FILE).touch()
    result = import_answers(read_export(export, SPACE), folder, task="tickets", label_space=SPACE)
    assert result.gold.version == 1 and set(load_gold(folder).frame["row_id"]) == set(MINE)
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / LOCK_FILE).touch()
    (junk / "notes.txt").write_text("not a gold set", encoding="utf-8")
    with pytest.raises(ReviewError, match="exists but has no manifest.json"):
        import_answers(read_export(export, SPACE), junk, task="tickets", label_space=SPACE)
