"""A fine-tuned sentence-embedding classifier: the end model that trains the encoder too (``features="finetuned"``).

:class:`FineTunedClassifier` is a scikit-learn classifier on texts. ``fit`` copies a sentence-transformers model
(the bundled all-MiniLM-L6-v2 by default), puts a linear layer on its pooled, normalised sentence embedding, and
trains both end to end with a weighted cross-entropy (``sample_weight``: the end model's confidence weights, or
soft labels given as one weighted row per class). The head starts from a logistic regression on the frozen
embeddings, so the first epoch refines a working classifier rather than a random one. Seeded and deterministic on
CPU (same seed, data and thread count: the same model); a progress bar counts the training steps.

Cost on this shared 2-core CPU (one torch thread, ``max_seq_length=64``, the top 2 of MiniLM's 6 layers trained):
0.6-1.1 s per step of 16 texts, so ~1,800 short texts x 3 epochs take 5-7 minutes; prediction runs at embedding
speed. On millions of rows train on a sample (``train_end_model(..., min_confidence=...)`` or your own row choice)
and predict the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from weaksup.embed.embedder import SentenceTransformerEmbedder, require
from weaksup.errors import ParameterError

logger = logging.getLogger(__name__)

__all__ = ["FineTunedClassifier"]


class FineTunedClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A sentence-transformers encoder and a linear head, fine-tuned together on (weighted) labels.

    Parameters
    ----------
    model : str, default "default"
        ``"default"`` (the bundled all-MiniLM-L6-v2), a sentence-transformers model name in the local Hugging Face
        cache, or a path to a saved model (``pip install 'weaksup[embed]'``). It is copied; the shared embedding
        model is never changed.
    epochs : int, default 3
        Passes over the training rows.
    learning_rate : float, default 1e-4
        The encoder's AdamW learning rate (constant after a linear warm-up over the first tenth of an epoch). The
        defaults (1e-4, 3 epochs, ``train_layers=2``) had the best nested dev accuracy of learning rates 3e-5/1e-4 x
        epochs 1-3 on the YouTube example (``benchmarks/model_assisted_finetune.py``).
    head_learning_rate : float, default 1e-3
        The linear head's.
    batch_size : int, default 16
    max_seq_length : int, default 64
        Tokens per text (longer texts are truncated): the cost grows with it.
    weight_decay : float, default 0.01
    head_C : float, default 1.0
        ``C`` of the logistic regression on the frozen embeddings that initialises the head.
    train_layers : int or None, default 2
        Fine-tune only the top ``train_layers`` transformer layers (and the head); the token embeddings and the
        layers below stay frozen, so the backward pass stops there (~1.7x faster per step on a CPU with 2 of
        MiniLM's 6 layers). ``None``: every layer.
    seed : int, default 0
        Seeds the batch order, dropout and the head (deterministic on CPU for a given thread count).
    progress : bool, default True
        A progress bar over the training steps.
    callback : callable, optional
        Called as ``callback(epoch, self)`` after each epoch (1-based), the model usable for prediction: the
        learning rate is constant after a warm-up of a tenth of an epoch, so the model after epoch ``e`` is the
        model ``epochs=e`` gives (choose ``epochs`` by validation in one run).

    Attributes
    ----------
    classes_ : ndarray
        The class labels seen in ``fit``.
    encoder_ : SentenceTransformer
        The fine-tuned encoder.
    head_ : torch.nn.Linear
        The head: logits from the encoder's sentence embedding.

    Examples
    --------
    >>> texts = ["subscribe to my channel", "check out my channel", "love this song", "great song"]
    >>> clf = FineTunedClassifier(epochs=1, batch_size=2, progress=False).fit(texts, [1, 1, 0, 0])
    >>> clf.predict(["subscribe to my new channel", "this song is great"]).tolist()
    [1, 0]
    """

    def __init__(self, model: str = "default", *, epochs: int = 3, learning_rate: float = 1e-4,
                 head_learning_rate: float = 1e-3, batch_size: int = 16, max_seq_length: int = 64,
                 weight_decay: float = 0.01, head_C: float = 1.0, train_layers: int | None = 2, seed: int = 0,
                 progress: bool = True,
                 callback: Callable[[int, FineTunedClassifier], None] | None = None) -> None:
        self.model = model
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.head_learning_rate = head_learning_rate
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.weight_decay = weight_decay
        self.head_C = head_C
        self.train_layers = train_layers
        self.seed = seed
        self.progress = progress
        self.callback = callback

    def _check(self) -> None:
        for name in ("epochs", "batch_size", "max_seq_length"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ParameterError(f"FineTunedClassifier: {name} must be an int >= 1; got {value!r}")
        if self.train_layers is not None and (not isinstance(self.train_layers, (int, np.integer))
                                              or self.train_layers < 0):
            raise ParameterError(f"FineTunedClassifier: train_layers must be None (all) or an int >= 0; got "
                                 f"{self.train_layers!r}")
        for name in ("learning_rate", "head_learning_rate", "head_C"):
            if not float(getattr(self, name)) > 0:
                raise ParameterError(f"FineTunedClassifier: {name} must be > 0; got {getattr(self, name)!r}")

    def _embed(self, texts: list[str]) -> Any:
        """Sentence embeddings of ``texts`` through the encoder (a tensor; gradients unless under ``no_grad``)."""
        encoder = self.encoder_
        features = encoder.preprocess(texts) if hasattr(encoder, "preprocess") else encoder.tokenize(texts)
        return encoder(dict(features))["sentence_embedding"]

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> FineTunedClassifier:
        """Fine-tune a copy of the encoder and a linear head on texts ``X``, labels ``y`` (and ``sample_weight``).

        Rows may repeat with different labels and weights (soft labels as one weighted row per class).
        """
        self._check()
        texts = _texts(X)
        labels = np.asarray(y)
        if len(labels) != len(texts):
            raise ParameterError(f"FineTunedClassifier: X has {len(texts)} texts but y has {len(labels)} labels")
        self.classes_, target = np.unique(labels, return_inverse=True)
        if len(self.classes_) < 2:
            raise ParameterError(f"FineTunedClassifier needs at least two classes; got {self.classes_.tolist()}")
        weights = np.ones(len(texts)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if weights.shape != (len(texts),) or not np.isfinite(weights).all() or (weights < 0).any():
            raise ParameterError(f"FineTunedClassifier: sample_weight must be {len(texts)} finite weights >= 0")
        torch = require("torch", "Fine-tuned end models")
        from sklearn.linear_model import LogisticRegression
        from tqdm.auto import tqdm

        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.encoder_ = SentenceTransformerEmbedder(self.model).load()  # a fresh copy: trained in place
        self.encoder_.max_seq_length = int(self.max_seq_length)
        # the head starts as a logistic regression on the frozen embeddings
        self.encoder_.eval()
        frozen = self._encode(texts, progress=False)
        start = LogisticRegression(C=float(self.head_C), max_iter=3000, random_state=self.seed)
        start.fit(frozen, target, sample_weight=weights)
        k = len(self.classes_)
        self.head_ = torch.nn.Linear(frozen.shape[1], k)
        with torch.no_grad():
            if k == 2:  # one coefficient row for two classes: logits (-z/2, z/2) give the same probabilities
                coef = np.vstack([-start.coef_[0] / 2, start.coef_[0] / 2])
                bias = np.array([-start.intercept_[0] / 2, start.intercept_[0] / 2])
            else:
                coef, bias = start.coef_, start.intercept_
            self.head_.weight.copy_(torch.as_tensor(coef, dtype=torch.float32))
            self.head_.bias.copy_(torch.as_tensor(bias, dtype=torch.float32))
        steps_per_epoch = -(-len(texts) // int(self.batch_size))
        total = steps_per_epoch * int(self.epochs)
        trained = _trainable(self.encoder_, self.train_layers)
        optimiser = torch.optim.AdamW([
            {"params": trained, "lr": float(self.learning_rate)},
            {"params": list(self.head_.parameters()), "lr": float(self.head_learning_rate)}],
            weight_decay=float(self.weight_decay))
        warmup = max(1, steps_per_epoch // 10)  # then constant: epoch e of a longer run is this run's end
        schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: min(1.0, (step + 1) / warmup))
        lengths = np.array([len(t) for t in texts])
        target_t = torch.as_tensor(target, dtype=torch.long)
        weight_t = torch.as_tensor(weights, dtype=torch.float32)
        self.encoder_.train()
        with tqdm(total=total, desc="fine-tuning", unit="step", disable=not self.progress) as bar:
            for epoch in range(int(self.epochs)):
                for rows in _batches(lengths, int(self.batch_size), rng):
                    logits = self.head_(self._embed([texts[i] for i in rows]))
                    losses = torch.nn.functional.cross_entropy(logits, target_t[rows], reduction="none")
                    w = weight_t[rows]
                    loss = (losses * w).sum() / w.sum().clamp_min(1e-12)
                    optimiser.zero_grad()
                    loss.backward()
                    optimiser.step()
                    schedule.step()
                    bar.update(1)
                if self.callback is not None:
                    self.encoder_.eval()
                    self.callback(epoch + 1, self)
                    self.encoder_.train()
        self.encoder_.eval()
        logger.info("fine-tuned %s on %d rows for %d epochs", self.model, len(texts), self.epochs)
        return self

    def _encode(self, texts: list[str], *, progress: bool) -> np.ndarray:
        """Sentence embeddings without gradients, in batches sorted by length (less padding)."""
        torch = require("torch", "Fine-tuned end models")
        from tqdm.auto import tqdm

        order = np.argsort([len(t) for t in texts], kind="stable")
        dimension = getattr(self.encoder_, "get_embedding_dimension", None) or \
            self.encoder_.get_sentence_embedding_dimension
        out = np.zeros((len(texts), dimension()), dtype=np.float32)
        step = 64
        with torch.no_grad():
            for b in tqdm(range(0, len(texts), step), desc="encoding", unit="batch", disable=not progress):
                rows = order[b:b + step]
                out[rows] = self._embed([texts[i] for i in rows]).cpu().numpy()
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        """``(n, len(classes_))`` class probabilities."""
        if not hasattr(self, "head_"):
            raise ParameterError("FineTunedClassifier is not fitted: call fit(texts, labels) first")
        torch = require("torch", "Fine-tuned end models")
        texts = _texts(X)
        if not texts:
            return np.zeros((0, len(self.classes_)))
        embeddings = torch.as_tensor(self._encode(texts, progress=self.progress))
        with torch.no_grad():
            return np.asarray(torch.softmax(self.head_(embeddings), dim=1).numpy(), dtype=float)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each text."""
        return np.asarray(self.classes_[self.predict_proba(X).argmax(axis=1)])


def _trainable(encoder: Any, layers: int | None) -> list[Any]:
    """The encoder parameters to train: every one (``layers=None``), or those of the top ``layers`` transformer
    layers (named ``...layer.<i>...``); the others are frozen (``requires_grad=False``)."""
    import re

    named = list(encoder.named_parameters())
    index = [re.search(r"\blayers?\.(\d+)\.", name) for name, _ in named]
    found = sorted({int(m.group(1)) for m in index if m})
    if layers is None or not found:
        if layers is not None:
            logger.warning("no numbered transformer layers in the encoder's parameters: fine-tuning all of them")
        return [p for _, p in named]
    top = set(found[len(found) - layers:]) if layers else set()
    keep = []
    for (_, parameter), m in zip(named, index):
        parameter.requires_grad_(m is not None and int(m.group(1)) in top)
        if parameter.requires_grad:
            keep.append(parameter)
    return keep


def _batches(lengths: np.ndarray, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch's batches: rows shuffled, sorted by length within windows of 20 batches (less padding), batches
    shuffled."""
    order = rng.permutation(len(lengths))
    window = size * 20
    for start in range(0, len(order), window):
        chunk = order[start:start + window]
        order[start:start + window] = chunk[np.argsort(lengths[chunk], kind="stable")]
    batches = [order[b:b + size] for b in range(0, len(order), size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _texts(X: Any) -> list[str]:
    """Texts as a list of str (missing values: empty strings)."""
    values = X.tolist() if hasattr(X, "tolist") else list(X)
    return ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in values]
