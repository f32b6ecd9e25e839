"""Gold versions are never lost (issue 14): importing review answers keeps every earlier version's labels.

Each version's rows live in a content-addressed file the manifest points at (``versions``); a file a
version lists is never written again; importing the same answers twice is a no-op (no new version).
The shipped gold set (``labels.csv`` + ``manifest.json``, no ``versions``) reads as before, same hash.
Tests copy it to tmp_path: ``gold_sets/youtube_spam`` is a link into the package and is never written.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.review.helpers import ls_export, write_json
from weaksup.cli import main
from weaksup.errors import GoldSetError
from weaksup.gold import load_gold, write_gold
from weaksup.review import export_queue, import_answers, read_export, read_sheet
from weaksup.review.labelstudio import to_tasks

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "gold_sets" / "youtube_spam"
SPACE = ["ham", "spam"]


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture
def gold_dir(tmp_path):
    folder = tmp_path / "youtube_spam"
    shutil.copytree(SHIPPED, folder)  # a real copy: the shipped set is never written
    return folder


def _export(tmp_path: Path, gold: Path, answers: dict[int, str], name: str = "export.json") -> Path:
    """A Label Studio JSON export answering some dev rows of the gold set (row index -> class)."""
    ids = load_gold(gold).frame["row_id"].tolist()
    rows = [ids[i] for i in sorted(answers)]
    queue = pd.DataFrame({"row_id": rows, "text": [f"text {r}" for r in rows], "label": "spam", "confidence": 0.5})
    export = ls_export(to_tasks(queue, model_version="v"), {ids[i]: [(7, c)] for i, c in answers.items()})
    return write_json(export, tmp_path / name)


def test_the_shipped_gold_set_reads_as_before():
    manifest = json.loads((SHIPPED / "manifest.json").read_text())
    gold = load_gold(SHIPPED)
    assert gold.hash == manifest["content_hash"] == "aca3ebd2c796fee4"
    assert gold.version == 1 and len(gold) == 576
    assert load_gold(SHIPPED, version=1).hash == gold.hash


def test_an_import_keeps_the_earlier_version_on_disk(tmp_path, gold_dir):
    before = _snapshot(gold_dir)
    v1 = load_gold(gold_dir)
    result = import_answers(read_export(_export(tmp_path, gold_dir, {0: "spam", 1: "ham"}), SPACE), gold_dir,
                            task="youtube_spam")
    assert result.changed and result.gold.version == 2
    after = _snapshot(gold_dir)
    assert after["labels.csv"] == before["labels.csv"]  # version 1's rows are untouched
    manifest = json.loads((gold_dir / "manifest.json").read_text())
    assert [v["version"] for v in manifest["versions"]] == [1, 2]
    assert manifest["versions"][0]["files"] == ["labels.csv"]
    assert manifest["versions"][1]["files"] == manifest["files"] == [f"labels-{result.gold.hash}.csv"]
    assert load_gold(gold_dir, version=1).hash == v1.hash
    assert load_gold(gold_dir).hash == result.gold.hash != v1.hash


def test_every_version_stays_readable_after_more_imports(tmp_path, gold_dir):
    hashes = {1: load_gold(gold_dir).hash}
    for version, answers in ((2, {0: "spam"}), (3, {0: "ham"}), (4, {2: "spam", 3: "spam"})):
        export = _export(tmp_path, gold_dir, answers, name=f"e{version}.json")
        result = import_answers(read_export(export, SPACE), gold_dir, task="youtube_spam")
        assert result.gold.version == version
        hashes[version] = result.gold.hash
    assert len(set(hashes.values())) == 4
    for version, digest in hashes.items():
        assert load_gold(gold_dir, version=version).hash == digest
    with pytest.raises(GoldSetError, match=r"no version 9 .*\[1, 2, 3, 4\]"):
        load_gold(gold_dir, version=9)


def test_importing_the_same_answers_twice_is_a_no_op(tmp_path, gold_dir):
    export = _export(tmp_path, gold_dir, {0: "spam", 5: "ham"})
    first = import_answers(read_export(export, SPACE), gold_dir, task="youtube_spam")
    written = _snapshot(gold_dir)
    again = import_answers(read_export(export, SPACE), gold_dir, task="youtube_spam")
    assert not again.changed and again.gold.version == first.gold.version == 2
    assert again.gold.hash == first.gold.hash and "unchanged at v2" in again.summary()
    assert _snapshot(gold_dir) == written  # not a byte written


def test_the_cli_import_twice_bumps_once(tmp_path, gold_dir, capsys):
    export = _export(tmp_path, gold_dir, {0: "spam"})
    for _ in range(2):
        try:
            main(["review", "import", str(export), "--task", "youtube_spam", "--gold-dir", str(gold_dir)])
        except SystemExit as exc:
            assert exc.code in (0, None), capsys.readouterr().err
    assert load_gold(gold_dir).version == 2
    assert len(json.loads((gold_dir / "manifest.json").read_text())["versions"]) == 2
    assert len(list(gold_dir.glob("labels*.csv"))) == 2


def test_a_sheet_with_blank_timestamps_imported_twice_is_a_no_op(tmp_path, gold_dir):
    ids = load_gold(gold_dir).frame["row_id"].tolist()[:3]
    queue = pd.DataFrame({"row_id": ids, "text": "t", "label": "spam", "confidence": 0.5})
    sheet = export_queue(queue, tmp_path / "review.csv", format="csv", label_space=SPACE).path
    filled = pd.read_csv(sheet, dtype=str, keep_default_na=False).assign(label="spam", annotator="kim")
    filled.to_csv(tmp_path / "filled.csv", index=False)
    first = import_answers(read_sheet(tmp_path / "filled.csv", SPACE), gold_dir, task="youtube_spam")
    again = import_answers(read_sheet(tmp_path / "filled.csv", SPACE), gold_dir, task="youtube_spam")
    assert first.changed and not again.changed and load_gold(gold_dir).version == 2


def test_write_gold_never_overwrites_an_earlier_version(tmp_path):
    rows = pd.DataFrame({"row_id": ["a", "b"], "label": ["ham", "spam"], "split": ["dev", "test"]})
    folder = tmp_path / "g"
    v1 = write_gold(rows, folder, task="t", label_space=SPACE)
    first = (folder / "labels.csv").read_bytes()
    changed = rows.assign(label=["spam", "spam"])
    with pytest.raises(GoldSetError, match="version 1 of the gold set already exists with other labels"):
        write_gold(changed, folder, task="t", label_space=SPACE, version=1)
    with pytest.raises(GoldSetError, match="holds the labels of version 1"):
        write_gold(changed, folder, task="t", label_space=SPACE, version=2, file_name="labels.csv")
    v2 = write_gold(changed, folder, task="t", label_space=SPACE, version=2)
    assert (folder / "labels.csv").read_bytes() == first
    assert load_gold(folder, version=1).hash == v1.hash and v2.hash != v1.hash
    assert write_gold(changed, folder, task="t", label_space=SPACE, version=2).hash == v2.hash  # same rows: fine
    with pytest.raises(GoldSetError, match="version 1 is an earlier version"):
        write_gold(rows, folder, task="t", label_space=SPACE, version=1)
