"""Span LFs for the shipped span example: BC5CDR (Chemical and Disease mentions in PubMed abstracts).

Written on the dev split only (the test split is only scored). The dev split has two parts by a seeded rule on
the row id: **write** (``sha256(row_id)[0] < 128``, 251 abstracts) gave the gazetteers' terms (``bc5cdr_terms/``),
**select** (the other 249, the dev gold of ``gold_sets/bc5cdr``) is left to the label model, so the model never
learns how far to trust a gazetteer from the rows its terms came from. The suffix lists were read off the whole
dev split. The documents (``data/bc5cdr/documents.csv``) are tokens joined by one space: the task's tokenizer is
``"whitespace"``. The LFs:

- gazetteers of the write part's gold terms (each kept when most of its matches there are gold);
- suffix regexes: diseases end in -itis, -osis, -emia, -pathy ...; chemicals in -amine, -olol, -mycin, -caine ...
  (a strict list, and a broad one: -ine, -one, -cin ... that the label model can weigh apart);
- a regex of whole "<drug>-induced" tokens; spaCy token patterns: "<organ> failure/damage/toxicity" phrases,
  "...ic acid";
- a generic LF: an acronym in parentheses after a span the other LFs tag takes its type ("( PD )").

Load with ``Registry.from_modules("labeling_functions.bc5cdr")`` (or ``[lfs] modules`` in ``configs/bc5cdr.toml``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from weaksup.spans import (
    Span,
    SpanDoc,
    SpanSpace,
    gazetteer_lf,
    span_labeling_function,
    span_regex_lf,
    token_pattern_lf,
)

#: The entity types of the task.
TYPES = ["Chemical", "Disease"]
SPACE = SpanSpace(TYPES)
TERMS = Path(__file__).with_name("bc5cdr_terms")

# ---------------------------------------------------------------- gazetteers (dev gold terms, longest match)
chemical_terms = gazetteer_lf("chemical_terms", TERMS / "chemicals.txt", label="Chemical", tags=["gazetteer"])
disease_terms = gazetteer_lf("disease_terms", TERMS / "diseases.txt", label="Disease", tags=["gazetteer"])

# ---------------------------------------------------------------- suffix regexes (whole tokens)
disease_suffix = span_regex_lf(
    "disease_suffix",
    r"\b[A-Za-z]{3,}(?:itis|osis|emia|aemia|pathy|algia|plegia|trophy|penia|uria|oma|omas|rrhea|rrhoea"
    r"|toxicity|icity|ataxia|spasm|cardia|kinesia|kinesias|tension|nsion|thermia|enia|nesia|cemia|idism|iasis|xia"
    r"|tonia|toma)\b",
    label="Disease", case_sensitive=False, tags=["suffix"],
)
chemical_suffix = span_regex_lf(
    "chemical_suffix",
    r"\b[A-Za-z]{3,}(?:amine|azole|olol|pril|sartan|mycin|micin|cillin|statin|caine|azepam|azolam|oxacin|profen"
    r"|tidine|prazole|barbital|phylline|platin|rubicin|semide|thiazide|triptyline|pramine|oxetine|dipine|zosin"
    r"|parin|vudine|virin|lukast|mab|steron|sterone|olone|asone|idone|peridol|azine|dopa|oxide|chloride|sulfate"
    r"|sulphate|ium|pam|nil|tol|imus|dol|nol|zole|xol|mol|urane|erin|atin|fen|onin|done|sone|acin|pride|hrine"
    r"|oline|phine)\b",
    label="Chemical", case_sensitive=False, tags=["suffix"],
)
chemical_suffix_broad = span_regex_lf(  # weaker cues (dev precision ~0.75-0.9): the label model weighs them apart
    "chemical_suffix_broad", r"\b[A-Za-z]{3,}(?:ine|ines|one|cin|rin|ane)\b", label="Chemical",
    case_sensitive=False, tags=["suffix"],
)

# ---------------------------------------------------------------- spaCy token patterns (on the documents' tokens)
induced = span_regex_lf(  # a whole token: "<chemical>-induced", "L-dopa-associated", "heparin-treated"
    "induced_chemical",
    r"(?<!\S)[A-Za-z][^\s]*[a-z]-(?:induced|associated|related|treated|evoked|dependent)(?!\S)",
    label="Chemical", tags=["pattern"],
)
organ_damage = token_pattern_lf(
    "organ_damage",
    [{"label": "Disease", "pattern": [
        {"LOWER": {"IN": ["acute", "chronic", "severe", "congestive", "end-stage"]}, "OP": "?"},
        {"LOWER": {"IN": ["renal", "kidney", "heart", "cardiac", "liver", "hepatic", "respiratory", "myocardial",
                          "neuronal", "brain", "lung", "bladder", "ventricular", "memory", "cognitive", "hearing",
                          "visual", "neurological", "neuromuscular", "sexual", "erectile", "motor"]}},
        {"LOWER": {"IN": ["failure", "damage", "injury", "toxicity", "dysfunction", "infarction", "disease",
                          "impairment", "insufficiency", "loss", "deficits", "deficit", "disorder", "disorders",
                          "fibrillation", "tachycardia", "arrhythmias", "lesions"]}}]}],
    tags=["pattern"],
)
acids = token_pattern_lf(
    "acid",
    [{"label": "Chemical", "pattern": [{"LOWER": {"REGEX": r"^[a-z][a-z0-9-]{2,}ic$"}}, {"LOWER": "acid"}]}],
    tags=["pattern"],
)

_ACRONYM = re.compile(r"^[A-Z][A-Za-z0-9-]{1,6}$")


@span_labeling_function(labels=TYPES, tags=["generic"])
def acronym(doc: SpanDoc) -> Iterator[Span]:
    """An acronym in parentheses right after a span another LF tags, and its later mentions, take that type."""
    tagged = sorted({*chemical_terms.spans(doc), *disease_terms.spans(doc), *disease_suffix.spans(doc)})
    short: dict[str, str] = {}
    for span in tagged:
        i = span.end
        if i + 2 < doc.n_tokens and doc.tokens[i] == "(" and doc.tokens[i + 2] == ")" \
                and _ACRONYM.match(doc.tokens[i + 1]):
            short.setdefault(doc.tokens[i + 1], span.label)
    for i, token in enumerate(doc.tokens):
        if token in short:
            yield Span(i, i + 1, short[token])


#: The LFs in the order of the votes.
LFS = [chemical_terms, disease_terms, disease_suffix, chemical_suffix, chemical_suffix_broad, induced, organ_damage, acids, acronym]
