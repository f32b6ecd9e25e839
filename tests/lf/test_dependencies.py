"""What an LF reads (``weaksup.lf.dependencies``): the sentence naming state its version cannot hash."""

from __future__ import annotations

import types

from weaksup.lf import labeling_function
from weaksup.lf.dependencies import dependencies

SETTINGS = types.SimpleNamespace(limit=3)


class Rule:
    def __call__(self, x):
        return -1


class Opaque:
    pass


ITEMS = [Opaque()]


def test_the_sentence_names_the_objects_module_and_class():
    import spacy

    nlp = spacy.blank("en")

    @labeling_function()
    def has_few_tokens(x):
        return 0 if len(nlp(x.text)) < 3 else -1

    @labeling_function()
    def by_settings(x):
        return 0 if len(x.text) < SETTINGS.limit else -1

    assert has_few_tokens.cacheable is False
    assert has_few_tokens.cache_note == "it reads 'nlp', a spacy.lang.en.English object whose state cannot be hashed"
    assert by_settings.cache_note == "it reads 'SETTINGS', a types.SimpleNamespace object whose state cannot be hashed"
    assert dependencies(Rule()).unprovable == (f"it calls a {__name__}.Rule object, whose state cannot be hashed",)
    # a builtin container of such objects: by its name alone
    assert dependencies(lambda x: len(ITEMS)).unprovable == (
        "it reads 'ITEMS', a list object whose state cannot be hashed",)
