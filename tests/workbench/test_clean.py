"""The Workbench reads the text as `weaksup run` does: cleaned with the [clean] defaults, unless clean=False.

Each test compares with a real `weaksup run` over the same rows written to a CSV (its saved votes, or the prompts a
real local chat server is asked)."""

from __future__ import annotations

import logging
import textwrap

import numpy as np
import pandas as pd
import pytest

from tests.pipeline_project import write_config
from weaksup import regex_lf
from weaksup.config import load_config
from weaksup.config_sections import CleanConfig
from weaksup.errors import DataError, ParameterError
from weaksup.pipeline import load_votes, run
from weaksup.testing import ChatServer, youtube_classifier
from weaksup.workbench import Workbench

SPAM = 1
#: A BOM, zero-width spaces, double and trailing spaces, a compatibility ligature, blank texts: all of them change
#: what an end-anchored regex sees.
TEXTS = ["buy now spam\ufeff", "free\u200b  spam", "spam ", "double  spaces spam", "plain ham", "this is spam",
         "\ufb01ne spam\u200b", "   ", "no vote here\ufeff", "spam\tspam  "]
END_LFS = '''
from weaksup import LabelSpace, regex_lf

LABELS = LabelSpace(["ham", "spam"])
re_end = regex_lf("re_end", r"spam$", 1)
'''


def rows() -> pd.DataFrame:
    return pd.DataFrame({"row_id": [f"r{i}" for i in range(len(TEXTS))], "text": TEXTS, "n": range(len(TEXTS))})


def run_votes(folder, frame: pd.DataFrame, module: str, **sections) -> pd.DataFrame:
    """The votes `weaksup run` saves for ``frame`` written to ``comments.csv``, one column per LF, by row id."""
    frame[["row_id", "text"]].to_csv(folder / "comments.csv", index=False)
    result = run(load_config(write_config(folder, lfs={"modules": [module]}, **sections)))
    votes = load_votes(result.run_dir)
    return pd.DataFrame(votes.values, index=votes.row_ids.astype(str), columns=list(votes.lf_names))


@pytest.fixture()
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "end_lfs.py").write_text(textwrap.dedent(END_LFS), encoding="utf-8")
    return tmp_path


def test_an_end_anchored_regex_votes_in_the_workbench_as_in_the_run(project, caplog):
    df = rows()
    in_run = run_votes(project, df, "end_lfs.py")["re_end"]
    with caplog.at_level(logging.INFO, logger="weaksup.workbench"):
        wb = Workbench(df, lfs=[regex_lf("re_end", r"spam$", SPAM)], label_space=["ham", "spam"])
    votes = pd.Series(wb.votes.values[:, 0], index=wb.row_ids.astype(str))
    assert votes.to_dict() == in_run.reindex(votes.index).to_dict()
    assert (votes == SPAM).sum() == 7  # every "spam" at the end once cleaned
    changed = [r.getMessage() for r in caplog.records if "text cleaning" in r.getMessage()]
    assert len(changed) == 1 and "changed 8 of 10 rows" in changed[0] and "clean=False" in changed[0]
    # what the previews and the summary show is the cleaned text too
    assert wb.data["text"].iloc[0] == "buy now spam" and pd.isna(wb.data["text"].iloc[7])
    assert "buy now spam" in wb.preview(regex_lf("re_buy", r"^buy", SPAM)).fires.to_string()


def test_clean_false_reads_the_raw_data(project):
    df = rows()
    raw = Workbench(df, lfs=[regex_lf("re_end", r"spam$", SPAM)], label_space=["ham", "spam"], clean=False)
    assert raw.data is df
    assert raw.votes.values[:, 0].tolist() == [SPAM if t.endswith("spam") else -1 for t in TEXTS]
    assert (raw.votes.values[:, 0] == SPAM).sum() == 3  # not what the run sees
    in_run = run_votes(project, df, "end_lfs.py", clean={"normalize": False})["re_end"]
    # (a run with normalize = false still reads a blank text as missing; the regex abstains on both)
    assert raw.votes.values[:, 0].tolist() == in_run.reindex(raw.row_ids.astype(str)).tolist()


def test_clean_takes_the_run_config_clean_settings(project):
    df = rows().assign(text=lambda f: f["text"] + " see https://x.example/a")
    lfs = [regex_lf("re_url", r"<URL>$", SPAM)]
    by_mapping = Workbench(df, lfs=lfs, label_space=["ham", "spam"], clean={"mask": ["url"], "lowercase_into": "low"})
    by_config = Workbench(df, lfs=lfs, label_space=["ham", "spam"], clean=CleanConfig(mask=["url"]))
    assert by_mapping.votes.values.tolist() == by_config.votes.values.tolist()
    assert (by_mapping.votes.values[:, 0] == SPAM).sum() == len(df)
    assert by_mapping.data["low"].iloc[3] == "double spaces spam see <url>"
    unmasked = Workbench(df, lfs=lfs, label_space=["ham", "spam"], clean={"normalize": False})
    assert (unmasked.votes.values[:, 0] == SPAM).sum() == 0 and unmasked.data["text"].iloc[1] == df["text"].iloc[1]
    with pytest.raises(ParameterError, match=r"clean=\{'normalise'.*normalize"):
        Workbench(df, clean={"normalise": True})
    with pytest.raises(ParameterError, match="unknown mask"):
        Workbench(df, clean={"mask": ["phone"]})
    with pytest.raises(DataError, match="clean=False"):
        Workbench(pd.DataFrame({"row_id": [1, 2], "text": [1.5, 2.5]}))


def test_the_users_dataframe_is_never_modified():
    df = rows().astype({"text": "category"})
    before = df.copy()
    wb = Workbench(df, lfs=[regex_lf("re_end", r"spam$", SPAM)], label_space=["ham", "spam"],
                   clean={"lowercase_into": "low"})
    wb.summary(references=False)
    wb.preview(regex_lf("re_buy", r"^buy", SPAM))
    pd.testing.assert_frame_equal(df, before)
    assert wb.data is not df and "low" not in df.columns
    assert np.array_equal(wb.data.index, df.index)


PROMPT_LFS = '''
import os

from weaksup import LabelSpace, prompt_lf
from weaksup.prompt import ChatClient

LABELS = LabelSpace(["ham", "spam"])
llm_spam = prompt_lf("llm_spam", "Spam or ham?\\n<text>{text}</text>", labels=["ham", "spam"],
                     client=ChatClient(os.environ["TEST_CHAT_URL"], "tfidf-lr", backoff=0.01))
'''


def test_a_prompt_lf_asked_in_the_workbench_is_not_asked_again_by_the_run(project, youtube, monkeypatch):
    dev = youtube[youtube["split"] == "dev"].drop_duplicates("text").head(60)[["row_id", "text"]]
    assert dev["text"].str.endswith("\ufeff").sum() > 30  # the shipped example's texts end in a byte-order mark
    (project / "prompt_lfs.py").write_text(textwrap.dedent(PROMPT_LFS), encoding="utf-8")
    monkeypatch.setenv("WEAKSUP_PROMPT_CACHE", str(project / "prompts.sqlite3"))
    monkeypatch.delenv("WEAKSUP_PROMPT_REPLAY", raising=False)
    with ChatServer(youtube_classifier()) as server:
        monkeypatch.setenv("TEST_CHAT_URL", server.base_url)
        wb = Workbench(dev, lfs=str(project / "prompt_lfs.py"), label_space=["ham", "spam"])
        assert server.calls == len(dev)
        server.reset_counts()
        in_run = run_votes(project, dev, "prompt_lfs.py")["llm_spam"]
        assert server.requests == 0  # every prompt the run renders was asked (and cached) in the notebook
    assert wb.votes.values[:, 0].tolist() == in_run.reindex(wb.row_ids.astype(str)).tolist()
