"""The pieces of the final labels (:mod:`weaksup.final_labels`): cross-fitting folds and the combination."""

from weaksup.final.folds import choose_lm_weight, combine, dealt_folds, row_folds

__all__ = ["choose_lm_weight", "combine", "dealt_folds", "row_folds"]
