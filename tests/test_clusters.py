"""Clusters of similar rows and their vote profile (without a workbench)."""

from __future__ import annotations

import numpy as np
import pytest

from weaksup.clusters import cluster_texts, cluster_view, vote_profile
from weaksup.errors import DataError, ParameterError

TEXTS = ["subscribe to my channel", "please subscribe to my channel", "love this song", "this song is great",
         "check out my channel", "great song"]


def test_cluster_view_profiles_votes_and_gold():
    L = np.array([[1, -1], [1, 1], [0, -1], [0, 1], [-1, -1], [0, -1]])
    view = cluster_view(TEXTS, L, ["ham", "spam"], np.array(list("abcdef")), n=2,
                        gold=np.array([1, -1, 0, 0, -1, -1]), n_examples=2)
    assert view.table["size"].sum() == 6 and set(view.assignments.index) == set("abcdef")
    assert {"coverage", "votes_ham", "votes_spam", "conflict", "n_gold", "gold_spam", "terms", "examples"} \
        <= set(view.table.columns)
    assert all(len(e) <= 2 for e in view.table["examples"])
    assert sorted(sum((view.rows(c) for c in view.table.index), [])) == list("abcdef")
    with pytest.raises(KeyError, match="no cluster 7"):  # a NotFoundError: still a KeyError, as before
        view.rows(7)


def test_vote_profile_counts_conflicts_with_the_shared_rule():
    L = np.array([[1, -1], [1, 1], [-1, -1], [0, 1]])
    table = vote_profile(np.array([0, 0, 1, 1]), L, ["ham", "spam"])
    assert table["conflict"].tolist() == [0.0, 0.5] and table["coverage"].tolist() == [1.0, 0.5]


def test_bad_inputs_are_named():
    with pytest.raises(ParameterError, match="positive integer"):
        cluster_texts(TEXTS, 0)
    with pytest.raises(DataError, match=r"embeddings must have shape \(6, d\)"):
        cluster_texts(TEXTS, 2, embeddings=np.ones((5, 2)))
    assert cluster_texts([], 3).labels.shape == (0,)


# ---------------------------------------------------------------- terms and the text view

TOPICS = {  # eight classes of support tickets, each with its own words; every ticket also has shared filler
    "Hardware and peripherals issue": "keyboard monitor mouse printer cable",
    "Billing and invoice questions": "invoice refund charge payment receipt",
    "Account access and passwords": "password login locked reset account",
    "Network and VPN connectivity": "vpn wifi network router latency",
    "Software installation request": "install license upgrade version installer",
    "Email and calendar problems": "outlook mailbox calendar meeting inbox",
    "Security incident reporting": "phishing malware virus suspicious breach",
    "New employee onboarding tasks": "onboarding laptop badge desk orientation",
}
FILLER = "hello team please help ticket thanks"


def _tickets(per_class: int = 30, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    texts, y = [], []
    for k, words in enumerate(TOPICS.values()):
        vocab = words.split()
        for _ in range(per_class):
            own = rng.choice(vocab, size=3, replace=False).tolist()
            shared = rng.choice(FILLER.split(), size=3, replace=False).tolist()
            texts.append(" ".join(rng.permutation(own + shared + ["the", "is", "my", "don't", "2024"])))
            y.append(k)
    return texts, np.array(y)


def test_contrastive_terms_skip_what_every_cluster_shares_and_repeats():
    from weaksup.terms import contrastive_terms

    X = np.array([[1, 1, 0, 1], [1, 1, 0, 1], [1, 0, 1, 0], [1, 0, 1, 0], [1, 0, 1, 0]])
    vocab = ["video", "subscribe", "song", "subscribe video"]
    assert contrastive_terms(X, np.array([0, 0, 1, 1, 1]), vocab) == [["subscribe"], ["song"]]
    # a term in one row of a cluster is not one of its terms (it names a row, not the group)
    assert contrastive_terms(np.array([[1], [0], [0], [0]]), np.array([0, 0, 1, 1]), ["once"]) == [[], []]


def test_clean_text_and_stop_words():
    from weaksup.terms import TOKEN_PATTERN, clean_text, stop_words

    assert clean_text("I&#39;m<br /><br />here &amp; there") == "I'm  here & there"
    assert {"the", "and", "is", "don", "im"} <= set(stop_words())
    import re

    assert re.findall(TOKEN_PATTERN, "39 2024 b2b x a1 hello") == ["b2b", "a1", "hello"]


def test_eight_topics_are_named_by_their_own_words():
    texts, y = _tickets()
    found = cluster_texts(texts, n=8, seed=0)
    stop = {"the", "is", "my", "don", "2024", *FILLER.split()}
    for c in range(8):
        members = found.labels == c
        topic = np.bincount(y[members], minlength=8).argmax()
        own = set(list(TOPICS.values())[topic].split())
        words = {w for term in found.terms[c] for w in term.split()}
        assert found.terms[c] and words <= own and not words & stop, (c, found.terms[c])


def test_the_text_view_shows_every_cluster_with_terms_shares_and_examples():
    texts, y = _tickets(per_class=12)
    names = list(TOPICS)
    L = np.where(np.arange(len(y)) % 3 == 0, y, -1)[:, None]  # one LF, right on every third ticket
    view = cluster_view(texts, L, names, np.arange(len(y)), n=8, gold=y, n_examples=2)
    text = view.to_text()
    assert repr(view) == text and text.startswith(f"ClusterView: 8 clusters of {len(y)} rows")
    blocks = text.split("\ncluster ")[1:]
    assert len(blocks) == 8
    for (cid, row), block in zip(view.table.iterrows(), blocks):
        assert block.startswith(f"{cid}: {row['size']} rows ") and f"coverage {row['coverage']:.3f}" in block
        assert "  terms: " + ", ".join(row["terms"]) in block
        assert all(f"  - {example}" in block for example in row["examples"]) and len(row["examples"]) == 2
        assert f"dev gold ({row['n_gold']} rows): " in block
    assert view.to_text(n_examples=0).count("\n  - ") == 0
    uncovered = cluster_view(texts, np.full((len(y), 1), -1), names, np.arange(len(y)), n=3)
    assert "votes: none (no LF votes on these rows)" in str(uncovered)


@pytest.mark.slow
def test_youtube_clusters_have_contrastive_terms_without_stop_words_html_or_numbers(youtube):
    from weaksup import Workbench, keyword_lf, load_gold
    from weaksup.clusters import ClusterView
    from weaksup.terms import clean_text, stop_words

    wb = Workbench(youtube.drop(columns=["label", "split"]), gold=load_gold("gold_sets/youtube_spam"))
    wb.add(keyword_lf("kw_subscribe", "subscribe", wb.label_space["spam"]),
           keyword_lf("kw_song", "song", wb.label_space["ham"]))
    view = wb.clusters(n=8)
    assert isinstance(view, ClusterView) and view.table["size"].sum() == len(youtube)
    from sklearn.feature_extraction.text import CountVectorizer

    from weaksup.terms import TOKEN_PATTERN

    stop = set(stop_words())
    analyze = CountVectorizer(stop_words=stop_words(), token_pattern=TOKEN_PATTERN, ngram_range=(1, 2)).build_analyzer()
    found = [set(analyze(clean_text(t))) for t in youtube["text"]]
    cluster_of = view.assignments.to_numpy()
    for cid, terms in view.table["terms"].items():
        assert terms, cid
        inside = [f for f, c in zip(found, cluster_of) if c == cid]
        outside = [f for f, c in zip(found, cluster_of) if c != cid]
        for term in terms:
            parts = term.split()
            assert not set(parts) & (stop | {"br", "quot", "amp"}) and not any(p.isdigit() for p in parts), term
            # the term is in a larger share of the cluster's rows than of the other rows
            share_in, share_out = np.mean([term in f for f in inside]), np.mean([term in f for f in outside])
            assert share_in > share_out, (cid, term, share_in, share_out)
    printed = str(view)
    assert printed.count("\ncluster ") == 8 and printed.count("\n  - ") == 8 * 3
