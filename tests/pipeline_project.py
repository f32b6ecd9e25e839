"""A small project folder for pipeline tests: real YouTube comments, quick LFs, a config writer."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

QUICK_LFS = '''
"""Quick keyword/regex/generic LFs for the YouTube comments (tests only)."""
from weaksup import ABSTAIN, LabelSpace, keyword_lf, labeling_function, regex_lf

LABELS = LabelSpace(["ham", "spam"])
HAM, SPAM = 0, 1

kw_subscribe = keyword_lf("kw_subscribe", ["subscribe", "my channel"], SPAM)
kw_check = keyword_lf("kw_check", ["check out", "check it out"], SPAM)
re_link = regex_lf("re_link", r"https?://|www\\.", SPAM)
kw_song = keyword_lf("kw_song", ["song", "love this", "best"], HAM)


@labeling_function(fields=["text"])
def short_comment(x):
    return HAM if x.text is not None and len(x.text) < 20 else ABSTAIN
'''


def write_config(folder: Path, name: str = "run.toml", **sections: dict) -> Path:
    """A run config in ``folder``: defaults for the quick project, ``sections`` override table by table."""
    doc = {
        "task": {"name": "yt", "labels": ["ham", "spam"]},
        "input": {"path": "comments.csv", "id_column": "row_id", "text_column": "text", "chunk_rows": 500},
        "lfs": {"modules": ["quick_lfs.py"]},
        "label_model": {"name": "MajorityVote", "seed": 0},
        "end_model": {"enabled": False},  # (the end-model stage has its own tests: tests/pipeline/test_end_stage.py)
        "output": {"path": "out/labels.parquet", "report": False},
        "mlflow": {"enabled": False},
    }
    for key, value in sections.items():
        doc[key] = {**doc.get(key, {}), **value} if value is not None else None
    lines = []
    for table, values in doc.items():
        if values is None:
            continue
        lines.append(f"[{table}]")
        for key, value in values.items():
            lines.append(f"{key} = {_toml(value)}")
        lines.append("")
    path = folder / name
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return repr(value)


def make_project(folder: Path, comments: pd.DataFrame) -> Path:
    """Write ``quick_lfs.py`` and ``comments.csv`` (row_id, text) into ``folder``."""
    (folder / "quick_lfs.py").write_text(textwrap.dedent(QUICK_LFS), encoding="utf-8")
    comments[["row_id", "text"]].to_csv(folder / "comments.csv", index=False)
    return folder


def int_id_claims(folder: Path) -> None:
    """In ``folder``: ``claims.parquet`` (40 rows, ids ``"0000001"``... with their leading zeros), ``claims_lfs.py``
    (one threshold LF) and ``gold_int.parquet``, a gold file of 12 of those ids written as numbers (the zeros lost)."""
    ids = [f"{i:07d}" for i in range(1, 41)]
    pd.DataFrame({"claim_id": ids, "amount": [float(i) for i in range(40)]}).to_parquet(folder / "claims.parquet",
                                                                                      index=False)
    (folder / "claims_lfs.py").write_text("from weaksup import threshold_lf\n"
                                          "big = threshold_lf('big', 'amount > 30', 1)\n")
    gold = pd.DataFrame({"claim_id": [int(i) for i in ids[:12]], "label": ["fraud", "legit"] * 6, "split": "test"})
    gold.to_parquet(folder / "gold_int.parquet", index=False)
