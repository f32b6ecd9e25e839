"""A small synthetic span project for the run, output, gold, review and report tests: documents naming chemicals
and diseases in a few sentence shapes, four span LFs of different kinds (two gazetteers that each know part of
the terms, a suffix regex that also fires on non-chemicals, a context rule), a span gold set (dev + test) and a
run config."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.review.conftest import label_studio  # noqa: F401  (the session's real Label Studio server)

TYPES = ["Chemical", "Disease"]
CHEMICALS = ["lithium carbonate", "aspirin", "cocaine", "haloperidol", "heparin", "cisplatin", "morphine",
             "ketamine", "tamoxifen", "warfarin", "dopamine", "caffeine"]
DISEASES = ["renal failure", "hypertension", "seizures", "hepatitis", "heart failure", "nausea", "psychosis",
            "bradycardia", "anemia", "myocardial infarction", "delirium", "pain"]
SHAPES = ["Patients given {c} developed {d} .", "{c} induced {d} in rats .",
          "We report {d} after treatment with {c} .", "No {d} was seen with {c} and medicine .",
          "The routine {c} dose was reduced ."]


def documents(n: int = 160, seed: int = 0) -> tuple[pd.DataFrame, list[list[tuple[int, int, str]]]]:
    """``n`` documents (row_id, text) and their true char spans."""
    rng = np.random.default_rng(seed)
    rows, gold = [], []
    for i in range(n):
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        chem, dis = CHEMICALS[int(rng.integers(len(CHEMICALS)))], DISEASES[int(rng.integers(len(DISEASES)))]
        text, spans = "", []
        for piece in shape.replace("{c}", "\0c\0").replace("{d}", "\0d\0").split("\0"):
            if piece in ("c", "d"):
                value, label = (chem, "Chemical") if piece == "c" else (dis, "Disease")
                spans.append((len(text), len(text) + len(value), label))
                text += value
            else:
                text += piece
        rows.append({"row_id": f"doc{i:03d}", "text": text})
        gold.append(sorted(spans))
    return pd.DataFrame(rows), gold


LF_MODULE = '''
"""Span LFs of the synthetic chemical/disease project."""
from weaksup.spans.lfs_gazetteer import gazetteer_lf
from weaksup.spans.lfs_generic import span_labeling_function
from weaksup.spans.lfs_regex import span_regex_lf

chem_dict = gazetteer_lf("chem_dict", {t: "Chemical" for t in %(chems)r})
dis_dict = gazetteer_lf("dis_dict", {t: "Disease" for t in %(diss)r})
suffix = span_regex_lf("suffix", {r"\\b\\w+(?:ine|in|ol)\\b": "Chemical"})


@span_labeling_function(labels=["Disease"])
def after_developed(doc):
    """The token after 'developed' is a disease (one token only)."""
    for i, tok in enumerate(doc.tokens[:-1]):
        if tok == "developed":
            yield i + 1, i + 2, "Disease"
'''


def make_span_project(root: Path, *, n: int = 160, model: str = "default", gold: bool = True,
                      extra: str = "") -> Path:
    """Write the project (data, LF module, gold set, config) under ``root``; returns the config path."""
    from weaksup.spans.gold import write_span_gold

    data, spans = documents(n)
    data.to_csv(root / "docs.csv", index=False)
    (root / "span_lfs.py").write_text(LF_MODULE % {"chems": CHEMICALS[:8], "diss": DISEASES[:7]}, encoding="utf-8")
    gold_table = ""
    if gold:
        rows = [{"row_id": r, "split": "dev" if i < 40 else "test",
                 "spans": [{"start": s, "end": e, "label": t} for s, e, t in spans[i]]}
                for i, r in enumerate(data["row_id"][:80])]
        write_span_gold(rows, root / "gold_sets" / "toy", task="toy", types=TYPES)
        gold_table = '[gold]\npath = "gold_sets/toy"\nsplit = "test"\n'
    config = textwrap.dedent(f"""
        [task]
        name = "toy"
        type = "spans"
        labels = {json.dumps(TYPES)}
        tokenizer = "whitespace"

        [input]
        path = "docs.csv"
        chunk_rows = 50

        [lfs]
        modules = ["span_lfs.py"]

        [label_model]
        name = "{model}"

        [output]
        path = "out/spans.jsonl"

        [mlflow]
        enabled = false
        """) + gold_table + extra
    (root / "span.toml").write_text(config, encoding="utf-8")
    return root / "span.toml"


@pytest.fixture
def span_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project in ``tmp_path`` (the working folder); returns the config path."""
    monkeypatch.chdir(tmp_path)
    return make_span_project(tmp_path)
