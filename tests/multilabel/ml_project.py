"""A tiny synthetic multi-label project for the run tests: support tickets about billing, bugs and praise."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from tests.pipeline_project import write_config
from weaksup.multilabel import MultiLabelSpace
from weaksup.multilabel.gold import write_multilabel_gold

SPACE = MultiLabelSpace(["billing", "bug", "praise", "none"], none_label="none")

TICKET_LFS = '''
"""Multi-label LFs of the synthetic tickets (tests only)."""
from weaksup.multilabel.lfs import multilabel_keyword_lf, multilabel_labeling_function, multilabel_regex_lf

kw_refund = multilabel_keyword_lf("kw_refund", ["refund", "chargeback", "invoice"], "billing")
kw_charged = multilabel_keyword_lf("kw_charged", ["charged twice", "overcharged"], "billing", no=["praise"])
re_crash = multilabel_regex_lf("re_crash", r"crash(es|ed)?|error [0-9]+", "bug")
kw_broken = multilabel_keyword_lf("kw_broken", ["broken", "does not work"], "bug", no=["praise"])
kw_thanks = multilabel_keyword_lf("kw_thanks", ["thanks", "love it", "great"], "praise")


@multilabel_labeling_function(labels=["none", "billing", "bug"], fields=["text"])
def short_hello(x):
    if x.text is not None and len(x.text) < 12:
        return {"none": True, "billing": False, "bug": False}
    return None
'''

#: A noisy LF to append to :data:`TICKET_LFS`: praise for every odd-numbered ticket after the gold rows, so many rows
#: share one unsure vote pattern and the run is unsure of label sets it gives (review tasks with a prediction).
NOISY_LF = '''

@multilabel_labeling_function(labels=["praise"], fields=["text"])
def numbered_praise(x):
    if x.text is not None and "(ticket" in x.text and int(x.text[-2]) % 2:
        return {"praise": True}
    return None
'''

PARTS = {
    "billing": ["I want a refund", "there is a chargeback on my card", "I was charged twice", "my invoice is wrong"],
    "bug": ["the app crashes", "error 500 on login", "the export is broken", "search does not work"],
    "praise": ["thanks a lot", "love it", "great support", "you are wonderful"],
}


def tickets(n: int = 240, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` ticket texts (row_id, text) and their gold label sets (``(n, 4)`` bool, SPACE's order)."""
    rng = np.random.default_rng(seed)
    texts, Y = [], np.zeros((n, SPACE.k), dtype=bool)
    for i in range(n):
        chosen = [label for label in PARTS if rng.random() < 0.35]
        if not chosen:
            Y[i, SPACE.index("none")] = True
            texts.append(["hello", "hi there", "a question about my account settings"][i % 3])
            continue
        for label in chosen:
            Y[i, SPACE.index(label)] = True
        texts.append(", and ".join(PARTS[label][rng.integers(4)] for label in chosen))
    return pd.DataFrame({"row_id": [f"t{i:04d}" for i in range(n)], "text": texts}), Y


def make_ml_project(folder: Path, *, n: int = 240, gold_rows: int = 160, **sections: dict) -> Path:
    """Write tickets.csv, ticket_lfs.py, gold_sets/tickets (dev/test halves of the first ``gold_rows``) and
    ml.toml into ``folder``; returns the config path."""
    data, Y = tickets(n)
    data.to_csv(folder / "tickets.csv", index=False)
    (folder / "ticket_lfs.py").write_text(textwrap.dedent(TICKET_LFS), encoding="utf-8")
    if gold_rows:
        gold = pd.DataFrame({"row_id": data["row_id"][:gold_rows], "labels": SPACE.decode(Y[:gold_rows]),
                             "split": ["dev" if i % 2 == 0 else "test" for i in range(gold_rows)]})
        write_multilabel_gold(gold, folder / "gold_sets" / "tickets", task="tickets", space=SPACE)
    task = {"name": "tickets", "type": "multilabel", "labels": list(SPACE.labels), "none_label": "none"}
    defaults = {"task": task, "input": {"path": "tickets.csv", "chunk_rows": 100},
                "lfs": {"modules": ["ticket_lfs.py"]}, "label_model": {"name": "default", "seed": 0},
                "gold": {"path": "gold_sets/tickets", "split": "test"} if gold_rows else None,
                "output": {"path": "out/labels.parquet", "report": True}}
    for key, value in sections.items():
        defaults[key] = {**(defaults.get(key) or {}), **value} if value is not None else None
    return write_config(folder, "ml.toml", **defaults)


def number_review_texts(folder: Path, *, gold_rows: int = 160) -> None:
    """Give the rows after the gold set's (``tickets.csv`` in ``folder``) a ticket number in their text.

    The synthetic tickets repeat a few texts, and the rows a run sends to review repeat the gold rows' texts, so a
    review export (one task per distinct text, none for a text the gold set holds) would queue none of them; numbered,
    each of those rows is a text of its own.
    """
    data = pd.read_csv(folder / "tickets.csv", dtype=str)
    data.loc[gold_rows:, "text"] = [f"{t} (ticket {r})" for t, r in zip(data["text"][gold_rows:],
                                                                       data["row_id"][gold_rows:])]
    data.to_csv(folder / "tickets.csv", index=False)
