"""Label propagation for self-training: the labels of a row's nearest labeled rows in embedding space."""

from __future__ import annotations

import numpy as np

from weaksup.final.neighbours import BLOCK_ROWS, mix_proba, neighbour_proba


def unit(a):
    a = np.asarray(a, dtype=float)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def test_a_query_takes_the_similarity_weighted_labels_of_its_k_nearest_labeled_rows():
    ref = unit([[1, 0, 0], [1, 0.2, 0], [0, 1, 0], [0, 1, 0.1], [0, 0, 1]])
    labels = np.array([[1, 0], [0.8, 0.2], [0, 1], [0.1, 0.9], [0.5, 0.5]])
    out = neighbour_proba(unit([[1, 0.1, 0], [0.1, 1, 0.05]]), ref, labels, k=2)
    assert out.shape == (2, 2) and np.allclose(out.sum(axis=1), 1.0)
    assert out[0, 0] > 0.85 and out[1, 1] > 0.9
    # with k=5 the far rows count too, less than the near ones
    wide = neighbour_proba(unit([[1, 0.1, 0]]), ref, labels, k=5)
    assert 0.5 < wide[0, 0] < out[0, 0]


def test_no_positive_neighbour_falls_back_to_the_mean_label_and_k_above_the_rows_is_fine():
    ref = unit([[1, 0], [0.9, 0.1]])
    labels = np.array([[2.0, 0.0], [0.0, 1.0]])  # weighted rows are normalised first
    out = neighbour_proba(unit([[-1, 0]]), ref, labels, k=10)
    assert np.allclose(out, [[0.5, 0.5]])
    assert neighbour_proba(np.zeros((0, 2)), ref, labels).shape == (0, 2)


def test_blocks_give_the_same_answer_as_one_pass():
    rng = np.random.default_rng(0)
    ref, queries = unit(rng.normal(size=(50, 8))), unit(rng.normal(size=(BLOCK_ROWS + 7, 8)))
    labels = rng.dirichlet([1, 1, 1], size=50)
    out = neighbour_proba(queries, ref, labels, k=4)
    sim = queries @ ref.T
    near = np.argsort(-sim, axis=1)[:, :4]
    w = np.take_along_axis(sim, near, axis=1).clip(0)
    expect = (w[..., None] * labels[near]).sum(axis=1) / w.sum(axis=1, keepdims=True)
    has = w.sum(axis=1) > 0
    assert np.allclose(out[has], expect[has], atol=1e-5)


def test_mix_is_the_normalised_geometric_mean():
    a, b = np.array([[0.8, 0.2], [0.5, 0.5]]), np.array([[0.2, 0.8], [0.9, 0.1]])
    out = mix_proba(a, b)
    assert np.allclose(out[0], [0.5, 0.5]) and np.isclose(out[1, 0], np.sqrt(0.45) / (np.sqrt(0.45) + np.sqrt(0.05)))
