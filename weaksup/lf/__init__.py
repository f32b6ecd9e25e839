"""Labeling functions: the :class:`LabelingFunction` object and its kinds."""

from weaksup.lf.affinity import AffinityLF, affinity_lf
from weaksup.lf.core import FunctionLF, LabelingFunction, Row, labeling_function
from weaksup.lf.options import LFOptions
from weaksup.lf.export import export_module, write_module
from weaksup.lf.lookup import LookupLF, lookup_lf
from weaksup.lf.model import ModelScoreLF, model_score_lf
from weaksup.lf.nlp import SpacyLF, SpacyPipeline, spacy_lf
from weaksup.lf.preprocess import Preprocessor, preprocessor
from weaksup.lf.prompt import PromptLF, prompt_lf
from weaksup.lf.snorkel import SnorkelLF, from_snorkel
from weaksup.lf.source import LFSource
from weaksup.lf.text import KeywordLF, RegexLF, keyword_lf, regex_lf
from weaksup.lf.threshold import ThresholdLF, threshold_lf
from weaksup.embed.lfs import KNNLF, EmbeddingLF, ZeroShotLF, embedding_lf, knn_lf, zero_shot_lf

__all__ = [
    "AffinityLF", "EmbeddingLF", "FunctionLF", "KNNLF", "KeywordLF", "LFOptions", "LFSource", "LabelingFunction",
    "LookupLF", "ModelScoreLF", "Preprocessor", "PromptLF", "RegexLF", "Row", "SnorkelLF", "SpacyLF",
    "SpacyPipeline", "ThresholdLF", "ZeroShotLF", "affinity_lf", "embedding_lf", "export_module", "from_snorkel",
    "keyword_lf", "knn_lf", "labeling_function", "lookup_lf", "model_score_lf", "preprocessor", "prompt_lf",
    "regex_lf", "spacy_lf", "threshold_lf", "write_module", "zero_shot_lf",
]
