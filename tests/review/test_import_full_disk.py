"""``weaksup review import`` on a full disk (a file-size limit stands in for it): exit 2 with one clean message,
and the gold set is left exactly as it was (its previous version, no stray label file of the version that could
not be published), for classification, multi-label and span gold sets alike."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import REPO
from weaksup.gold import write_gold
from weaksup.multilabel.gold import write_multilabel_gold
from weaksup.multilabel.space import MultiLabelSpace
from weaksup.spans.gold import write_span_gold

SRC = os.environ.get("WEAKSUP_SRC", str(REPO))
#: A long import history (kept from version to version) makes the manifest larger than the new version's label
#: file: the label file fits under the limit and the manifest does not, the case that used to leave the new label
#: file behind.
HISTORY = [{"note": "an earlier import with a long note. " * 200}]
LIMIT = 4096  # bytes: the label files of these small gold sets fit, their manifests (> 7 kB) do not


def _choice(row_id: str, text: str, choices: list[str]) -> dict[str, object]:
    return {"id": 1, "data": {"row_id": row_id, "text": text}, "annotations": [
        {"id": 5, "completed_by": 1, "was_cancelled": False, "created_at": "2024-05-01T10:00:00Z",
         "updated_at": "2024-05-01T10:00:00Z", "result": [{"from_name": "label", "to_name": "text",
                                                          "type": "choices", "value": {"choices": choices}}]}]}


def _classification(folder: Path) -> list[dict[str, object]]:
    rows = pd.DataFrame({"row_id": ["a", "b"], "label": ["ham", "spam"], "split": ["dev", "test"]})
    write_gold(rows, folder, task="toy", label_space=["ham", "spam"], history=HISTORY)
    return [_choice("new1", "buy now", ["spam"])]


def _multilabel(folder: Path) -> list[dict[str, object]]:
    rows = pd.DataFrame({"row_id": ["a", "b"], "labels": ["bug", "billing;bug"], "split": ["dev", "test"]})
    write_multilabel_gold(rows, folder, task="toy", space=MultiLabelSpace(["billing", "bug", "praise"]),
                          history=HISTORY)
    return [_choice("new1", "it crashed", ["bug", "praise"])]


def _spans(folder: Path) -> list[dict[str, object]]:
    write_span_gold([{"row_id": "a", "split": "dev", "spans": [(0, 7, "Chemical")]}], folder, task="toy",
                    types=["Chemical", "Disease"], history=HISTORY)
    text = "Aspirin caused renal failure ."
    region = {"from_name": "label", "to_name": "text", "type": "labels",
              "value": {"start": 0, "end": 7, "text": "Aspirin", "labels": ["Chemical"]}}
    return [{"id": 1, "data": {"row_id": "new1", "text": text},
             "annotations": [{"completed_by": 1, "result": [region]}]}]


def _limit() -> None:
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing us
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


@pytest.mark.parametrize("make", [_classification, _multilabel, _spans], ids=["classification", "multilabel", "spans"])
def test_import_under_a_file_size_limit_exits_2_and_leaves_the_gold_set_as_it_was(tmp_path, make):
    gold = tmp_path / "gold"
    export = tmp_path / "export.json"
    export.write_text(json.dumps(make(gold)), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in gold.iterdir()}
    assert (gold / "manifest.json").stat().st_size > LIMIT and all(len(b) < LIMIT for n, b in before.items()
                                                                    if n != "manifest.json")
    done = subprocess.run([sys.executable, "-m", "weaksup", "review", "import", str(export), "--task", "toy",
                           "--gold-dir", str(gold)], cwd=tmp_path, env={**os.environ, "PYTHONPATH": SRC},
                          capture_output=True, text=True, timeout=300, preexec_fn=_limit)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and ".weaksup-" not in done.stderr, done.stderr
    assert str(gold / "manifest.json") in done.stderr and done.stderr.count("free some space") == 1, done.stderr
    after = {p.name: p.read_bytes() for p in gold.iterdir()}
    assert after == before  # no label file of the unpublished version left behind; the old files unchanged
    unlimited = subprocess.run([sys.executable, "-m", "weaksup", "review", "import", str(export), "--task", "toy",
                                "--gold-dir", str(gold)], cwd=tmp_path, env={**os.environ, "PYTHONPATH": SRC},
                               capture_output=True, text=True, timeout=300)
    assert unlimited.returncode == 0, unlimited.stderr  # with room, the same import writes version 2
    assert json.loads((gold / "manifest.json").read_text(encoding="utf-8"))["version"] == 2
    assert len(list(gold.iterdir())) == len(before) + 1
