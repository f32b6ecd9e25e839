"""spaCy LFs: labeling functions that read a spaCy ``Doc``.

The Doc of each row is built once, with batched ``nlp.pipe``, and shared by every spaCy
LF that uses the same pipeline and field. Snorkel instead calls ``nlp()`` once per LF
per row. spaCy is an optional extra: ``pip install 'weaksup[spacy]'``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from weaksup.errors import LFDefinitionError, ParameterTypeError
from weaksup.labels import ABSTAIN
from weaksup.lf.core import FunctionLF, Row, field_value, is_missing
from weaksup.lf.options import LFOptions, check_options

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from weaksup.lf.batch import Batch

_LOADED: dict[str, Any] = {}  # pipelines loaded in this process, by SpacyPipeline.key


def _spacy() -> Any:
    try:
        import spacy
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError("spaCy LFs need spaCy: pip install 'weaksup[spacy]'") from exc
    return spacy


def _check_spec(spec: Any, where: str) -> None:
    """Refuse a pipeline spec that is not a string (a loaded ``Language`` object above all), naming what to pass."""
    if isinstance(spec, str):
        return
    what = (f"a loaded spaCy Language object ({type(spec).__name__}), which weaksup cannot version nor load again "
            "in worker processes" if hasattr(spec, "pipe_names") else f"{type(spec).__name__} {spec!r}")
    raise ParameterTypeError(
        f"{where} takes a SpacyPipeline or a pipeline spec: 'blank:en', an installed package such as "
        f"'en_core_web_sm', or the path of a saved pipeline; got {what}. Save it with nlp.to_disk('my_pipeline') "
        "and pass pipeline='my_pipeline', or for entity rules pass SpacyPipeline('blank:en', entity_patterns=[...])"
    )


def _pipeline_content(spacy: Any, name: str) -> str:
    """The installed version of a pipeline package, or a hash of a saved pipeline's ``meta.json`` and ``config.cfg``."""
    from pathlib import Path

    if spacy.util.is_package(name):
        return f"package {spacy.util.get_package_version(name)}"
    digest = hashlib.sha1()
    for part in ("meta.json", "config.cfg"):
        file = Path(name) / part
        digest.update(file.read_bytes() if file.is_file() else b"")
    return f"files {digest.hexdigest()}"


class SpacyPipeline:
    """A spaCy pipeline named by a spec, loaded lazily once per process (so LFs stay picklable).

    Parameters
    ----------
    name : str, default "blank:en"
        An installed pipeline package (``"en_core_web_sm"``), a path to a saved pipeline,
        or ``"blank:<lang>"``.
    entity_patterns : sequence of dict, optional
        Patterns for an ``entity_ruler`` added to the pipeline (spaCy's pattern format).
    disable : sequence of str, optional
        Components to disable (faster when LFs do not need them).
    batch_size, n_process : int
        Passed to ``nlp.pipe``.

    Examples
    --------
    >>> pipeline = SpacyPipeline("blank:en", entity_patterns=[{"label": "ARTIST", "pattern": "Shakira"}])
    >>> [ent.label_ for ent in pipeline.nlp("Shakira rocks").ents]
    ['ARTIST']
    """

    def __init__(
        self,
        name: str = "blank:en",
        *,
        entity_patterns: Sequence[Mapping[str, Any]] | None = None,
        disable: Sequence[str] = (),
        batch_size: int = 1000,
        n_process: int = 1,
    ) -> None:
        _check_spec(name, "SpacyPipeline(name)")
        spacy = _spacy()
        if not name.startswith("blank:") and not spacy.util.is_package(name):
            from pathlib import Path

            if not Path(name).exists():
                raise LFDefinitionError(
                    f"spaCy pipeline {name!r} is not installed. Install its package (e.g. "
                    f"`pip install {name}` from a wheel, or `python -m spacy download {name}` with internet "
                    "access), pass the path of a saved pipeline, or use 'blank:en' with entity_patterns."
                )
        self.name = name
        self.entity_patterns = [dict(p) for p in entity_patterns or ()]
        self.disable = tuple(disable)
        self.batch_size = int(batch_size)
        self.n_process = int(n_process)
        spec: dict[str, Any] = {"name": name, "patterns": self.entity_patterns, "disable": self.disable}
        if not name.startswith("blank:"):  # what the name stands for: an installed version, a saved pipeline's files
            spec["content"] = _pipeline_content(spacy, name)
        self.key = hashlib.sha1(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:12]

    def __repr__(self) -> str:
        return f"SpacyPipeline({self.name!r}, patterns={len(self.entity_patterns)}, key={self.key!r})"

    @property
    def nlp(self) -> Any:
        """The loaded ``Language`` object."""
        if self.key not in _LOADED:
            spacy = _spacy()
            nlp = spacy.blank(self.name.split(":", 1)[1]) if self.name.startswith("blank:") else \
                spacy.load(self.name, disable=list(self.disable))
            if self.entity_patterns:
                ruler = nlp.add_pipe("entity_ruler", name="weaksup_entity_ruler")
                ruler.add_patterns(self.entity_patterns)
            _LOADED[self.key] = nlp
        return _LOADED[self.key]

    def docs(self, texts: Sequence[Any]) -> list[Any]:
        """Docs for texts (``None`` for missing or non-text values), built with one ``nlp.pipe``."""
        present = [i for i, t in enumerate(texts) if isinstance(t, str)]
        docs: list[Any] = [None] * len(texts)
        built = self.nlp.pipe((texts[i] for i in present), batch_size=self.batch_size, n_process=self.n_process)
        for i, doc in zip(present, built):
            docs[i] = doc
        return docs


class SpacyLF(FunctionLF):
    """An LF ``f(row) -> int`` whose row carries ``row.doc``, the spaCy Doc of ``row[field]``.

    ``options`` are :class:`~weaksup.lf.core.LFOptions` except ``fields`` (it reads ``field``).
    """

    kind = "spacy"
    vectorised = True
    field: str
    pipeline: SpacyPipeline

    def __init__(self, func: Callable[..., int], *, pipeline: SpacyPipeline | str = "blank:en", field: str = "text",
                 **options: Unpack[LFOptions]) -> None:
        if "fields" in options:
            raise ParameterTypeError(f"spacy_lf reads one field: pass field={field!r}, not fields=")
        if not isinstance(pipeline, SpacyPipeline):
            _check_spec(pipeline, "spacy_lf(pipeline=...)")
        pipe = pipeline if isinstance(pipeline, SpacyPipeline) else SpacyPipeline(pipeline)
        self._set(field=field, pipeline=pipe)
        opts: LFOptions = {**options, "fields": (field,)}
        super().__init__(
            func, **opts,
            extra_params={"field": field, "pipeline": pipe.name, "pipeline_key": pipe.key},
            extra_hash=[pipe.entity_patterns, list(pipe.disable)],
        )

    def _vote(self, row: Any, doc: Any) -> int:
        if doc is None:
            return ABSTAIN
        return self.func(Row(row, doc=doc), **self.resources)

    def __call__(self, x: Any) -> int:
        text = field_value(x, self.field)
        if is_missing(text) or not isinstance(text, str):
            return ABSTAIN
        row = dict(x) if not isinstance(x, dict) else x
        return self._vote(row, self.pipeline.nlp(text))

    def vote_batch(self, batch: Batch) -> np.ndarray:
        docs = batch.cached(("spacy_docs", self.field, self.pipeline.key),
                            lambda: self.pipeline.docs(batch.values(self.field)))
        return np.fromiter((self._vote(row, doc) for row, doc in zip(batch.rows(), docs)),
                           dtype=np.int64, count=batch.n)


@overload
def spacy_lf(func: Callable[..., int], /) -> SpacyLF: ...


@overload
def spacy_lf(func: None = None, /, *, pipeline: SpacyPipeline | str = "blank:en", field: str = "text",
             **options: Unpack[LFOptions]) -> Callable[[Callable[..., int]], SpacyLF]: ...


def spacy_lf(func: Callable[..., int] | None = None, /, *, pipeline: SpacyPipeline | str = "blank:en",
             field: str = "text", **options: Unpack[LFOptions]) -> SpacyLF | Callable[[Callable[..., int]], SpacyLF]:
    """Decorate ``f(row) -> int`` as a spaCy LF: ``row.doc`` is the Doc of ``row[field]``.

    Works bare or with options, like :func:`~weaksup.labeling_function` (see :class:`SpacyLF`). Rows
    whose field is missing abstain.

    Examples
    --------
    >>> from weaksup import ABSTAIN
    >>> artists = SpacyPipeline("blank:en", entity_patterns=[{"label": "ARTIST", "pattern": [{"LOWER": "shakira"}]}])
    >>> @spacy_lf(pipeline=artists)
    ... def names_artist(x):
    ...     return 0 if any(e.label_ == "ARTIST" for e in x.doc.ents) else ABSTAIN
    >>> names_artist({"text": "shakira is the best"}), names_artist({"text": "sub to me"})
    (0, -1)
    """
    check_options(options, "spacy_lf")
    if func is None:
        return lambda f: SpacyLF(f, pipeline=pipeline, field=field, **options)
    if not callable(func):
        raise LFDefinitionError(f"spacy_lf({func!r}): pass options as keywords, e.g. spacy_lf(pipeline=...)")
    return SpacyLF(func, pipeline=pipeline, field=field, **options)
