"""spaCy LFs on a real (blank English + entity ruler) pipeline: shared Docs, Snorkel parity, errors."""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from weaksup import ABSTAIN, apply_lfs
from weaksup.errors import LFDefinitionError, ParameterTypeError
from weaksup.lf import SpacyPipeline, spacy_lf

ARTISTS = SpacyPipeline("blank:en", entity_patterns=[
    {"label": "ARTIST", "pattern": [{"LOWER": "katy"}, {"LOWER": "perry", "OP": "?"}]},
    {"label": "ARTIST", "pattern": [{"LOWER": "shakira"}]},
])


@spacy_lf(pipeline=ARTISTS)
def names_artist(x):
    return 0 if any(e.label_ == "ARTIST" for e in x.doc.ents) else ABSTAIN


@spacy_lf(pipeline=ARTISTS, tags=["links"])
def has_url(x):
    return 1 if any(t.like_url or t.like_email for t in x.doc) else ABSTAIN


FRAME = pd.DataFrame({"text": ["Katy Perry is great", "visit www.spam.com now", "mail me@x.org", None,
                               "nothing here", "SHAKIRA!!"]})


def test_votes_and_missing_text():
    votes = apply_lfs([names_artist, has_url], FRAME)
    assert votes.values.tolist() == [[0, -1], [-1, 1], [-1, 1], [-1, -1], [-1, -1], [0, -1]]
    assert [names_artist(row) for row in FRAME.to_dict("records")] == votes.column("names_artist").tolist()
    assert names_artist.kind == "spacy" and has_url.tags == ("links",)


def test_docs_are_built_once_for_all_spacy_lfs(monkeypatch):
    calls = []
    original = SpacyPipeline.docs

    def counting(self, texts):
        calls.append(len(texts))
        return original(self, texts)

    monkeypatch.setattr(SpacyPipeline, "docs", counting)
    apply_lfs([names_artist, has_url], FRAME)
    assert calls == [len(FRAME)]  # one nlp.pipe pass over the column, shared by both LFs


@pytest.mark.snorkel
def test_same_votes_as_snorkel():
    from snorkel.labeling import PandasLFApplier

    frame = FRAME.dropna()
    theirs = PandasLFApplier([names_artist.to_snorkel(), has_url.to_snorkel()]).apply(frame, progress_bar=False)
    assert (apply_lfs([names_artist, has_url], frame).to_numpy() == theirs).all()


def test_pickles_and_versions():
    clone = pickle.loads(pickle.dumps(names_artist))
    assert clone({"text": "shakira"}) == 0 and clone.version == names_artist.version
    other = SpacyPipeline("blank:en", entity_patterns=[{"label": "ARTIST", "pattern": "Psy"}])
    assert spacy_lf(pipeline=other, name="names_artist")(names_artist.func).version != names_artist.version


def test_missing_pipeline_says_how_to_install():
    with pytest.raises(LFDefinitionError, match=r"'en_core_web_sm' is not installed.*pip install.*blank:en"):
        SpacyPipeline("en_core_web_sm")


def test_a_loaded_language_object_is_refused_naming_what_to_pass():
    # spacy_lf(pipeline=spacy.blank("en")) failed with "'English' object has no attribute 'startswith'"
    spacy = pytest.importorskip("spacy")
    with pytest.raises(ParameterTypeError, match=r"loaded spaCy Language object \(English\).*nlp.to_disk"):
        spacy_lf(lambda x: ABSTAIN, pipeline=spacy.blank("en"))
    with pytest.raises(ParameterTypeError, match="SpacyPipeline or a pipeline spec"):
        SpacyPipeline(spacy.blank("en"))
