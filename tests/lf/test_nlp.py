"""spaCy LFs on a real (blank English + entity ruler) pipeline: shared Docs, Snorkel parity, errors."""

from __future__ import annotations

import gc
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


SMALL = SpacyPipeline("blank:en", entity_patterns=[{"label": "ARTIST", "pattern": [{"LOWER": "katy"}]}],
                      batch_size=50)  # Docs built (and held) 50 rows at a time


@spacy_lf(pipeline=SMALL)
def marks_doc(x):
    x.doc.user_data["read by marks_doc"] = True
    return 0 if any(e.label_ == "ARTIST" for e in x.doc.ents) else ABSTAIN


@spacy_lf(pipeline=SMALL)
def reads_the_marked_doc(x):  # 1: the very Doc marks_doc read (a Doc built again would hold no mark)
    return 1 if x.doc.user_data.get("read by marks_doc") else 0


def _live_docs() -> int:
    from spacy.tokens import Doc

    return sum(type(o) is Doc for o in gc.get_objects())


def _texts(n: int) -> pd.DataFrame:
    words = ["katy perry rocks", "subscribe to my channel", None, "www.spam.com", "nice", 7, "katy!"]
    return pd.DataFrame({"text": [words[i % len(words)] for i in range(n)]}, dtype=object)


def test_docs_are_built_once_for_all_spacy_lfs():
    frame = _texts(700)
    votes = apply_lfs([marks_doc, reads_the_marked_doc], frame)
    text = frame["text"].map(lambda t: isinstance(t, str)).to_numpy()
    assert (votes.column("reads_the_marked_doc")[text] == 1).all()  # every Doc shared by both LFs
    assert (votes.column("reads_the_marked_doc")[~text] == ABSTAIN).all()


def test_a_batch_holds_a_bounded_number_of_docs_and_none_after_it():
    # a batch held the Docs of all its rows until it was done: ~2 GB per 250,000-row chunk
    seen = []

    @spacy_lf(pipeline=SMALL)
    def counts_docs(x):
        if len(seen) % 250 == 0:
            seen.append(_live_docs())
        else:
            seen.append(None)
        return ABSTAIN

    before = _live_docs()
    votes = apply_lfs([marks_doc, counts_docs, reads_the_marked_doc], _texts(3000), chunk_rows=3000)
    peak = max(c for c in seen if c is not None) - before
    assert 0 < peak <= 2 * SMALL.batch_size + 10, peak  # this part's Docs and nlp.pipe's batch, never 3000 rows'
    assert _live_docs() == before  # nothing kept once the batch is voted (freed at once: no reference cycles)
    assert votes.column("marks_doc").tolist() == [marks_doc(row) for row in _texts(3000).to_dict("records")]


def test_votes_across_doc_parts_equal_row_by_row_votes_and_errors_stay_with_their_lf():
    frame = _texts(533)  # parts of 50 rows, the last one short; missing and non-text values between them

    @spacy_lf(pipeline=SMALL)
    def breaks_on_a_late_row(x):
        if x.text == "nice":
            raise ValueError("nice is not a vote")
        return 1 if len(x.doc) > 3 else ABSTAIN

    lfs = [marks_doc, breaks_on_a_late_row, has_url]
    votes = apply_lfs(lfs, frame, fault_tolerant=True)
    rows = frame.to_dict("records")
    assert votes.column("marks_doc").tolist() == [marks_doc(row) for row in rows]
    assert votes.column("has_url").tolist() == [has_url(row) for row in rows]
    assert votes.faults == {"marks_doc": 0, "breaks_on_a_late_row": 76, "has_url": 0}
    from weaksup.errors import LFApplyError

    with pytest.raises(LFApplyError, match="'breaks_on_a_late_row'.*nice is not a vote.*row id 4"):
        apply_lfs(lfs, frame)


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
