"""Near-duplicates: the ANN index against exact search, and MinHash-LSH on surface copies."""

from __future__ import annotations

import numpy as np

from weaksup.embed import ann_recall, semantic_duplicates, surface_duplicates


def planted(n: int = 3000, d: int = 32, pairs: int = 50, seed: int = 0) -> tuple[np.ndarray, set[tuple[int, int]]]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    twins = set()
    for i in range(pairs):
        a, b = 2 * i, n - 1 - 2 * i
        x[b] = x[a] + 0.05 * rng.standard_normal(d)
        twins.add((a, b))
    return x, twins


def test_semantic_duplicates_find_planted_pairs_like_exact_search():
    x, twins = planted()
    texts = [str(i) for i in range(len(x))]
    ann = semantic_duplicates(texts, vectors=x, threshold=0.95)
    exact = semantic_duplicates(texts, vectors=x, threshold=0.95, exact=True)
    found = set(zip(ann["left"], ann["right"]))
    assert found == twins == set(zip(exact["left"], exact["right"]))
    assert (ann["similarity"] >= 0.95).all() and ann["similarity"].is_monotonic_decreasing
    assert ann_recall(x, k=10, sample=500) >= 0.95


def test_surface_duplicates_find_edited_copies_only():
    base = "Hey guys check out my new channel, I post covers every week, subscribe please: "
    texts = [base + "www.site-one.com", "I love this song so much", base.upper() + "www.site-two.com",
             "This song reminds me of summer", base.replace("every week", "every day") + "www.site-one.com"]
    pairs = surface_duplicates(texts, threshold=0.7)
    found = set(zip(pairs["left"], pairs["right"]))
    assert {(0, 2), (0, 4)} <= found <= {(0, 2), (0, 4), (2, 4)}  # (2, 4) differ twice: near the threshold
    assert (pairs["jaccard"] >= 0.7).all()
    assert surface_duplicates(["", "", "a"]).empty  # empty texts are not duplicates of each other


def test_rows_without_text_pair_with_nobody_and_bad_k_or_vectors_are_named():
    import pytest

    from weaksup.errors import ParameterError

    v = np.array([[1, 0], [0.99, 0.1], [0, 1], [0, 1], [0, 1]], dtype=np.float32)
    pairs = semantic_duplicates(["a", "b", None, "", "  "], vectors=v, threshold=0.95, exact=True)
    assert pairs[["left", "right"]].values.tolist() == [[0, 1]]  # the three empty rows are not each other's copies
    texts = ["x", "y", "z"]
    moved = semantic_duplicates([None, *texts], vectors=np.vstack([[0, 1], v[:3]]), threshold=0.95, exact=True)
    assert moved[["left", "right"]].values.tolist() == [[1, 2]]  # positions are the input's
    for k in (0, -1, 1, 2.5):
        with pytest.raises(ParameterError, match="k must be a whole number >= 2"):
            semantic_duplicates(texts, vectors=v[:3], k=k)
    with pytest.raises(ParameterError, match="vectors must be a 2-D array"):
        semantic_duplicates(texts, vectors=np.ones(3))
