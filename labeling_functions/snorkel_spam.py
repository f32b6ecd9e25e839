"""Snorkel labeling functions for the YouTube spam comments, written as a Snorkel user writes them.

This module imports nothing from weaksup: it is a Snorkel project's LF module, and weaksup takes it as it is
(``Registry.from_modules("labeling_functions.snorkel_spam")``, ``apply_lfs``, ``weaksup run`` configs) with the
votes ``snorkel.labeling.PandasLFApplier`` gives. ``benchmarks/snorkel_lfs.py`` times both on it.

The rows are YouTube comments with a ``text`` and an ``author`` field (``weaksup.datasets.load_youtube_spam``
gives them; from the raw UCI CSVs, rename ``CONTENT`` to ``text`` and ``AUTHOR`` to ``author``). The constructs:

- keyword LFs from a ``make_keyword_lf(keywords, label)`` factory over ``LabelingFunction(..., resources=...)``
  (substring matches on the lower-cased text);
- regular-expression LFs with ``@labeling_function()``;
- a memoized ``@preprocessor`` scoring the comment's tone with a small local lexicon (adds ``x.polarity`` and
  ``x.warmth`` to the row), read by two LFs through ``pre=[...]``;
- an ``nlp_labeling_function`` over a blank English spaCy pipeline with an entity ruler (no model download:
  the pipeline is saved once to a folder named by its content and loaded from there by Snorkel);
- heuristics on the comment's length and on the ``author`` field.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

from snorkel.labeling import LabelingFunction, labeling_function
from snorkel.labeling.lf.nlp import nlp_labeling_function
from snorkel.preprocess import preprocessor

ABSTAIN = -1
HAM = 0
SPAM = 1


# --- keyword LFs: one factory, many LFs ------------------------------------------------------------------------

def keyword_lookup(x, keywords, label):
    """``label`` when any keyword occurs in the lower-cased text (as a substring), else abstain."""
    text = x.text.lower()
    if any(word in text for word in keywords):
        return label
    return ABSTAIN


def make_keyword_lf(keywords, label=SPAM):
    """A keyword LF named after its first keyword."""
    return LabelingFunction(
        name=f"keyword_{keywords[0].replace(' ', '_')}",
        f=keyword_lookup,
        resources=dict(keywords=keywords, label=label),
    )


keyword_subscribe = make_keyword_lf(keywords=["subscribe", "subscribing", "sub to"])
keyword_channel = make_keyword_lf(keywords=["my channel", "my videos", "my page", "my new video"])
keyword_money = make_keyword_lf(keywords=["earn money", "make money", "free gift", "cash", "giveaway"])
keyword_please = make_keyword_lf(keywords=["please", "plz", "pls"])
keyword_love_song = make_keyword_lf(keywords=["love this song", "best song", "favorite song", "this song is"],
                                    label=HAM)


# --- regular expressions ----------------------------------------------------------------------------------------

@labeling_function()
def regex_check_it_out(x):
    """'check ... out' invitations are spam."""
    return SPAM if re.search(r"\bcheck\b.{0,30}\bout\b", x.text, flags=re.IGNORECASE) else ABSTAIN


@labeling_function()
def regex_link(x):
    """A web address in the comment."""
    return SPAM if re.search(r"https?://|www\.|\.com\b", x.text, flags=re.IGNORECASE) else ABSTAIN


@labeling_function()
def regex_views_count(x):
    """Talk of the video's view count ('2 billion views') is a fan's."""
    return HAM if re.search(r"\b\d[\d,.]*\s*(billion|million|b|m)?\s*views\b", x.text, flags=re.I) else ABSTAIN


# --- a memoized preprocessor scoring the tone of the comment ------------------------------------------------------

TONE = {
    "love": 0.8, "loved": 0.8, "awesome": 0.9, "amazing": 0.9, "beautiful": 0.8, "best": 0.9, "great": 0.7,
    "good": 0.6, "nice": 0.6, "cool": 0.5, "perfect": 1.0, "wow": 0.6, "favorite": 0.7, "favourite": 0.7,
    "legend": 0.7, "epic": 0.6, "funny": 0.5, "lol": 0.4, "catchy": 0.6, "masterpiece": 1.0, "queen": 0.5,
    "hate": -0.8, "worst": -1.0, "bad": -0.7, "stupid": -0.8, "ugly": -0.7, "boring": -0.6, "sucks": -0.8,
    "annoying": -0.6, "terrible": -0.9, "awful": -0.9, "dislike": -0.6, "fake": -0.5, "trash": -0.8,
}
WORD = re.compile(r"[a-z']+")


def tone_of(text):
    """The mean lexicon score of the text's words, and the share of its words the lexicon knows."""
    words = WORD.findall(text.lower())
    scores = [TONE[w] for w in words if w in TONE]
    if not scores:
        return 0.0, 0.0
    return sum(scores) / len(scores), len(scores) / len(words)


@preprocessor(memoize=True)
def tone_preprocessor(x):
    x.polarity, x.warmth = tone_of(x.text)
    return x


@labeling_function(pre=[tone_preprocessor])
def tone_very_positive(x):
    """Warm praise of the song is what fans write."""
    return HAM if x.polarity > 0.7 else ABSTAIN


@labeling_function(pre=[tone_preprocessor])
def tone_emotional(x):
    """A comment whose words carry tone (either way) is about the video."""
    return HAM if x.warmth >= 0.25 and len(x.text) < 120 else ABSTAIN


# --- spaCy: a blank English pipeline with an entity ruler -------------------------------------------------------

ENTITY_PATTERNS = [
    *({"label": "ARTIST", "pattern": name} for name in ("Psy", "PSY", "Katy Perry", "Katy", "LMFAO", "Eminem",
                                                          "Rihanna", "Shakira", "Marshall Mathers")),
    {"label": "SONG", "pattern": [{"LOWER": "gangnam"}, {"LOWER": "style"}]},
    {"label": "SONG", "pattern": [{"LOWER": "roar"}]},
    {"label": "SONG", "pattern": [{"LOWER": "party"}, {"LOWER": "rock"}]},
    {"label": "SONG", "pattern": [{"LOWER": "love"}, {"LOWER": "the"}, {"LOWER": "way"}, {"LOWER": "you"},
                                  {"LOWER": "lie"}]},
    {"label": "SONG", "pattern": [{"LOWER": "waka"}, {"LOWER": "waka"}]},
]


def spam_pipeline():
    """The path of the blank English pipeline with the entity ruler, saved once per content in the temp folder."""
    import spacy

    key = hashlib.sha1(json.dumps([spacy.__version__, ENTITY_PATTERNS], sort_keys=True).encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"snorkel_spam_nlp_{key}"
    if not (path / "config.cfg").is_file():
        nlp = spacy.blank("en")
        nlp.add_pipe("entity_ruler").add_patterns(ENTITY_PATTERNS)
        staging = Path(tempfile.mkdtemp(prefix=path.name + "-", dir=path.parent))
        nlp.to_disk(staging)
        try:
            os.replace(staging, path)  # atomic: another process may be saving the same pipeline
        except OSError:
            pass  # it did: use its copy
    return str(path)


@nlp_labeling_function(text_field="text", doc_field="doc", language=spam_pipeline())
def nlp_mentions_the_music(x):
    """A short comment naming the artist or the song is a fan's."""
    names = [ent for ent in x.doc.ents if ent.label_ in ("ARTIST", "SONG")]
    return HAM if names and len(x.doc) < 25 else ABSTAIN


# --- heuristics on other fields ---------------------------------------------------------------------------------

@labeling_function()
def short_comment(x):
    """Comments of a few words are rarely spam."""
    return HAM if len(x.text.split()) < 5 else ABSTAIN


@labeling_function()
def author_looks_promotional(x):
    """Authors named like a channel or a shop ('... TV', 'Official', 'Music', digits run) post promotions."""
    author = x.author if isinstance(x.author, str) else ""
    if re.search(r"\b(tv|official|music|records|channel|promo)\b|\d{3,}", author, flags=re.IGNORECASE):
        return SPAM
    return ABSTAIN
