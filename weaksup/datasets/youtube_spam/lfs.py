"""Labeling functions for the YouTube Spam Collection (``weaksup.datasets.examples.load_youtube_spam``).

Written and tuned on the *dev* gold split only (the example's gold set: ``gold/`` beside this module,
``gold_sets/youtube_spam`` in the repository); the test split is for measuring. One or more LFs of every
kind: keyword, regex, lookup (a token lexicon and a table of known spam accounts, in ``resources/``),
model-score (a spam model trained on a different corpus, SMS, saved in ``sms_spam/sms_spam_model.joblib`` by
``build_sms_model.py``), threshold (numeric features), spaCy (an entity ruler on a blank English pipeline) and generic.

The repository's ``labeling_functions/youtube_spam.py`` re-exports this module (``__all__``).
"""

from __future__ import annotations

__all__ = [  # in definition order: the registry collects LFs in this order (and `import *` keeps it)
    "LABELS", "HAM", "SPAM",
    "kw_subscribe", "kw_please", "kw_my_channel", "kw_money", "kw_song",
    "re_check_out", "re_link", "re_view_count",
    "lexicon", "spam_accounts",
    "sms_model",
    "short_comment", "long_shouting",
    "asks_for_views",
    "short_about_artist", "url_or_email_token",
]

import re
from pathlib import Path

from weaksup import ABSTAIN
from weaksup.datasets.examples import YOUTUBE_LABELS
from weaksup.lf import (
    SpacyPipeline,
    keyword_lf,
    labeling_function,
    lookup_lf,
    model_score_lf,
    regex_lf,
    spacy_lf,
    threshold_lf,
)

# The LF functions below take no type hints on purpose: a generic LF's version hashes its source (annotations
# included), and the shipped LFs keep the versions they were published with.
LABELS = YOUTUBE_LABELS
HAM, SPAM = LABELS["ham"], LABELS["spam"]
_HERE = Path(__file__).resolve().parent  # the example's package data sits beside this module

# --- keyword -------------------------------------------------------------------------
kw_subscribe = keyword_lf("kw_subscribe", ["subscribe", "subscribers", "subscribing", "sub", "subs"],
                          SPAM, tags=["call_to_action"])
kw_please = keyword_lf("kw_please", ["please", "plz", "pls"], SPAM, tags=["call_to_action"])
kw_my_channel = keyword_lf("kw_my_channel", ["my", "channel"], SPAM, mode="all", tags=["self_promotion"])
kw_money = keyword_lf("kw_money", ["money", "earn", "income", "cash", "free", "gift card", "giftcard"], SPAM,
                      tags=["scam"])
kw_song = keyword_lf("kw_song", ["song", "songs"], HAM, tags=["on_topic"])

# --- regex ---------------------------------------------------------------------------
re_check_out = regex_lf("re_check_out", r"check.*out", SPAM, flags=re.IGNORECASE, tags=["call_to_action"])
re_link = regex_lf("re_link", r"https?://|www\.|\b\w+\.(?:com|net|org|ly)\b", SPAM, flags=re.IGNORECASE,
                   tags=["self_promotion"])
re_view_count = regex_lf("re_view_count", r"\b\d+(?:[.,]\d+)?\s*(?:billion|bil|million|b|m)\b(?!\w*\.com)", HAM,
                         flags=re.IGNORECASE, tags=["on_topic"])

# --- lookup (distant supervision) ------------------------------------------------------
lexicon = lookup_lf("lexicon", _HERE / "resources" / "youtube_lexicon.csv", by="tokens", label_space=LABELS,
                    tags=["lexicon"])
spam_accounts = lookup_lf("spam_accounts", _HERE / "resources" / "youtube_spam_accounts.csv", field="author",
                          label_space=LABELS, tags=["accounts"])


# --- model score: a spam model trained on SMS messages, used on comments --------------
# TF-IDF + logistic regression fitted on the SMS Spam Collection by build_sms_model.py, loaded from its file (a
# joblib file, read only if its SHA-256 is the one pinned here); the LF's version hashes the file. On dev, it is
# precise for spam (55/55 at p >= 0.3) but not for ham: it only votes spam.
sms_model = model_score_lf(
    "sms_model", _HERE / "sms_spam" / "sms_spam_model.joblib", thresholds={SPAM: 0.3}, tags=["model"],
    model_sha256="7dbaf980a510750d6d84a9cdad4f2b17f669f885568a8830dbc50928fac5dbde")

# --- threshold rules on numeric features ------------------------------------------------
short_comment = threshold_lf("short_comment", "n_words < 5", HAM, tags=["length"])
long_shouting = threshold_lf("long_shouting", "n_words >= 15 and n_upper / n_chars > 0.3", SPAM, tags=["length"])


# --- generic -------------------------------------------------------------------------
@labeling_function(fields=["text"], labels=[SPAM], tags=["self_promotion"])
def asks_for_views(x):  # type: ignore[no-untyped-def]
    """First-person requests to visit, watch or share the author's own stuff."""
    text = x.text.lower()
    return SPAM if re.search(r"\b(?:my|our)\s+(?:new\s+)?(?:video|videos|music|song|page|vid|cover|band)\b", text) \
        else ABSTAIN


# --- spaCy: a blank English pipeline with an entity ruler of the videos' artists -------
_ARTISTS = SpacyPipeline("blank:en", entity_patterns=[
    {"label": "ARTIST", "pattern": [{"LOWER": name}]}
    for name in ("psy", "katy", "perry", "lmfao", "eminem", "rihanna", "shakira", "gangnam")
])


@spacy_lf(pipeline=_ARTISTS, labels=[HAM], tags=["on_topic"])
def short_about_artist(x):  # type: ignore[no-untyped-def]
    """Short comments naming the video's artist are fans talking, not ads (Snorkel's has_person_nlp)."""
    names_artist = any(ent.label_ == "ARTIST" for ent in x.doc.ents)
    return HAM if len(x.doc) < 20 and names_artist and "subscribe" not in x.text.lower() else ABSTAIN


@spacy_lf(pipeline=_ARTISTS, labels=[SPAM], tags=["self_promotion"])
def url_or_email_token(x):  # type: ignore[no-untyped-def]
    """A token that looks like a URL or an e-mail address."""
    return SPAM if any(token.like_url or token.like_email for token in x.doc) else ABSTAIN
