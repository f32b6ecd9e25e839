"""The span label models by name, and the recommended one.

``SPAN_MODELS`` maps each name to its class: ``"majority"`` (:class:`SpanMajorityVote`, WRENCH's
protocol), ``"dawid_skene"`` (:class:`SpanDawidSkene`, token level), ``"hmm"`` (:class:`SpanHMM`),
``"span_dev"`` (:class:`SpanDevClassifier`, learns span precision from dev gold) and
``"dev_select"`` (:class:`SpanDevSelector`, chooses among them on dev gold).
:func:`resolve_span_model` turns a configured name (or ``"default"``) into a class.
"""

from __future__ import annotations

from weaksup.errors import ConfigError
from weaksup.spans.models_base import SpanLabelModel
from weaksup.spans.models_dev import SpanDevClassifier
from weaksup.spans.models_hmm import SpanHMM
from weaksup.spans.models_majority import SpanDawidSkene, SpanMajorityVote
from weaksup.spans.models_select import SpanDevSelector

__all__ = ["DEFAULT_SPAN_MODEL", "SPAN_MODELS", "SpanDawidSkene", "SpanDevClassifier", "SpanDevSelector",
           "SpanHMM", "SpanMajorityVote", "resolve_span_model"]

SPAN_MODELS: dict[str, type[SpanLabelModel]] = {
    "majority": SpanMajorityVote,
    "dawid_skene": SpanDawidSkene,
    "hmm": SpanHMM,
    "span_dev": SpanDevClassifier,
    "dev_select": SpanDevSelector,
}
#: ``"default"`` with dev gold, and without.
DEFAULT_SPAN_MODEL = {True: "dev_select", False: "hmm"}


def resolve_span_model(name: str, has_dev_gold: bool) -> type[SpanLabelModel]:
    """The span label-model class for a configured name; ``"default"`` is the recommendation.

    With dev gold the default is :class:`SpanDevSelector` (chooses by dev F1, majority vote among
    the candidates); without, :class:`SpanHMM` (the best unsupervised model on the dev documents of
    the WRENCH span sets).

    Examples
    --------
    >>> resolve_span_model("default", True).__name__, resolve_span_model("default", False).__name__
    ('SpanDevSelector', 'SpanHMM')
    >>> resolve_span_model("span_dev", False)
    Traceback (most recent call last):
    ...
    weaksup.errors.ConfigError: span label model 'span_dev' learns from dev gold, and there is none; \
add dev gold (a gold set with a dev split) or choose one of ['dawid_skene', 'hmm', 'majority']
    """
    key = DEFAULT_SPAN_MODEL[bool(has_dev_gold)] if name == "default" else name
    if key not in SPAN_MODELS:
        raise ConfigError(f"unknown span label model {name!r}; choose 'default' or one of {sorted(SPAN_MODELS)}")
    klass = SPAN_MODELS[key]
    if klass.uses_dev_gold and not has_dev_gold:
        unsupervised = sorted(k for k, v in SPAN_MODELS.items() if not v.uses_dev_gold)
        raise ConfigError(f"span label model {name!r} learns from dev gold, and there is none; add dev gold "
                          f"(a gold set with a dev split) or choose one of {unsupervised}")
    return klass
