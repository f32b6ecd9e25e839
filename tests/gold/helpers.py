"""Gold set folders for the tests of weaksup.gold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from weaksup.errors import GoldSetError
from weaksup.gold import load_gold

REPO = Path(__file__).resolve().parents[2]
YOUTUBE_GOLD = REPO / "gold_sets" / "youtube_spam"


def make_gold(folder: Path, text: str, name: str = "labels.csv", **manifest) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    doc = {"task": "t", "version": 1, "label_space": ["ham", "spam"], "files": [name], **manifest}
    (folder / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    return folder


def problems_of(folder: Path, **kwargs) -> list[str]:
    with pytest.raises(GoldSetError) as info:
        load_gold(folder, **kwargs)
    return [str(p) for p in info.value.problems]
