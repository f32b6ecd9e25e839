"""Exporting multi-label LFs: the written module rebuilds them with the same versions and votes."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from weaksup.errors import LFDefinitionError
from weaksup.lf import keyword_lf
from weaksup.multilabel import MultiLabelSpace
from weaksup.multilabel.apply import apply_multilabel_lfs
from weaksup.multilabel.lfs import (multilabel_keyword_lf, multilabel_labeling_function, multilabel_lf,
                                    multilabel_regex_lf)
from weaksup.multilabel.workbench import MultiLabelWorkbench
from weaksup.registry import Registry

SPACE = MultiLabelSpace(["gratitude", "anger", "curiosity", "amusement", "neutral"], none_label="neutral")
DATA = pd.DataFrame({"row_id": list("abcdef"),
                     "text": ["Thanks!", "WHY?", "lol ok", "i hate this", "plain words", "thank you, why?"]})
QUESTION = re.compile(r"\?\s*$")


@multilabel_labeling_function(labels=["curiosity", "neutral"], fields=["text"], tags=["punctuation"])
def ends_with_question(x):
    "A row ending with '?' is curious, not neutral."
    return {"curiosity": True, "neutral": False} if QUESTION.search(x.text) else None


def lfs():
    return [
        multilabel_keyword_lf("kw_thanks", ["thanks", "thank you"], "gratitude", no=["anger", "neutral"],
                              tags=["lexicon"], description="thanking"),
        multilabel_regex_lf("rx_why", r"^why\b", ["curiosity"], flags=re.IGNORECASE | re.MULTILINE),
        multilabel_keyword_lf("kw_lol_not_angry", "lol", "anger", no=True, word_boundary=False),
        multilabel_lf(keyword_lf("kw_hate", ["hate"], 0), "anger", name="hate_is_anger", version="v2"),
        ends_with_question,
    ]


def test_the_exported_module_rebuilds_the_lfs(tmp_path):
    wb = MultiLabelWorkbench(DATA, SPACE, lfs=lfs())
    path = wb.export(tmp_path / "emotions_lfs.py")
    text = path.read_text()
    assert "multilabel_keyword_lf('kw_thanks', ['thanks', 'thank you'], ['gratitude'], no=['anger', 'neutral']" in text
    assert "flags=re.IGNORECASE | re.MULTILINE" in text and "@multilabel_labeling_function(" in text
    assert "multilabel_lf(keyword_lf('kw_hate', ['hate'], 0), ['anger'], name='hate_is_anger', version='v2')" in text
    back = Registry.from_modules(path)
    assert [lf.lf_id for lf in back.lfs] == [lf.lf_id for lf in lfs()]  # kw_hate is not a module-level LF
    again = apply_multilabel_lfs(DATA, back, SPACE, progress=False, id_column="row_id")
    assert again == wb.votes
    with pytest.raises(FileExistsError):
        wb.export(path)


def test_an_lf_export_cannot_write_is_refused(tmp_path):
    wrapped = multilabel_labeling_function(lambda x: None, labels=["anger"], name="lambda_lf")
    with pytest.raises(LFDefinitionError, match="lambda"):
        MultiLabelWorkbench(DATA, SPACE, lfs=[wrapped]).export(tmp_path / "x.py")
    assert not (tmp_path / "x.py").exists()
