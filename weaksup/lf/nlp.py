"""spaCy LFs: labeling functions that read a spaCy ``Doc``.

The Doc of each row is built once, with one streamed ``nlp.pipe`` per batch, and read by every spaCy
LF that uses the same pipeline and field (a *group*, see :func:`share_docs`) before the next Docs are
built: a batch holds the Docs of one part of ``SpacyPipeline.batch_size`` rows (and of ``nlp.pipe``'s own
batch) at a time, a few MB, never one Doc per row of the batch. Snorkel instead calls ``nlp()`` once per LF
per row. spaCy is an optional extra: ``pip install 'weaksup[spacy]'``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
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
        """Docs for texts (``None`` for missing or non-text values), built with one ``nlp.pipe``.

        All of them at once: for many texts, :meth:`iter_docs` holds only a few at a time.

        Examples
        --------
        >>> [None if d is None else len(d) for d in SpacyPipeline("blank:en").docs(["a b", None])]
        [2, None]
        """
        return [doc for part in self.iter_docs(texts) for doc in part[1]]

    def iter_docs(self, texts: Sequence[Any], size: int | None = None) -> Iterator[tuple[int, list[Any]]]:
        """``(start, docs)`` for ``texts[start:start + size]`` in turn (``None`` for missing or non-text values),
        from one streamed ``nlp.pipe``: only the Docs of the current part (and of ``nlp.pipe``'s own batch) are
        alive, if the caller drops each part before taking the next.

        Parameters
        ----------
        texts : sequence
            The values of a column.
        size : int, optional
            Values per part; ``batch_size`` by default.

        Examples
        --------
        >>> pipeline = SpacyPipeline("blank:en")
        >>> [(start, [None if d is None else d.text for d in docs])
        ...  for start, docs in pipeline.iter_docs(["a", None, "b c"], size=2)]
        [(0, ['a', None]), (2, ['b c'])]
        """
        size = max(1, int(size or self.batch_size))
        present = (t for t in texts if isinstance(t, str))
        built = self.nlp.pipe(present, batch_size=self.batch_size, n_process=self.n_process)
        for start in range(0, len(texts), size):
            part = texts[start:start + size]
            made = iter(list(itertools.islice(built, sum(isinstance(t, str) for t in part))))
            yield start, [next(made) if isinstance(t, str) else None for t in part]


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
        """Votes on every row of a batch. The first LF of a group (:func:`share_docs`) to ask votes for the whole
        group, a part of the rows at a time, so each Doc is built once and dropped once every LF has read it."""
        key = (self.field, self.pipeline.key)
        group = batch.cached(("spacy_group", *key), lambda: [self])
        if not any(lf is self for lf in group):  # not announced with share_docs: votes alone
            return _vote_group([self], batch)[id(self)].result()
        votes = batch.cached(("spacy_votes", *key), lambda: _vote_group(group, batch))
        mine = votes.pop(id(self), None)  # (dropped once read)
        return (mine if mine is not None else _vote_group([self], batch)[id(self)]).result()


class _Votes:
    """One LF's votes on a batch, or what it raised (raised again by the LF itself, on its own thread)."""

    def __init__(self, n: int) -> None:
        self.votes = np.full(n, ABSTAIN, dtype=np.int64)
        self.error: BaseException | None = None

    def result(self) -> np.ndarray:
        if self.error is not None:
            raise self.error
        return self.votes


def _vote_group(group: Sequence[SpacyLF], batch: Batch) -> dict[int, _Votes]:
    """The votes of LFs sharing a field and a pipeline, Docs built part by part and dropped after each part."""
    out = {id(lf): _Votes(batch.n) for lf in group}
    rows = batch.rows()
    first = group[0]
    for start, docs in first.pipeline.iter_docs(batch.values(first.field)):
        part = rows[start:start + len(docs)]
        for lf in group:
            votes = out[id(lf)]
            if votes.error is not None:
                continue
            try:
                votes.votes[start:start + len(docs)] = np.fromiter(
                    (lf._vote(row, doc) for row, doc in zip(part, docs)), dtype=np.int64, count=len(docs))
            except BaseException as exc:  # the LF's own error, raised when it asks (Application handles it there)
                votes.error = exc
        del docs
    return out


def share_docs(batch: Batch, lfs: Sequence[Any]) -> None:
    """Announce the spaCy LFs that will vote on a batch, so that those sharing a field and a pipeline share its Docs.

    :func:`~weaksup.apply_lfs` calls it for every batch. Each Doc is then built once for the group, read by each
    of its LFs, and dropped: the batch holds the Docs of about ``pipeline.batch_size`` rows at a time. An LF of a batch
    that was not announced builds its own Docs, the same way.

    Examples
    --------
    >>> import pandas as pd
    >>> from weaksup.lf.batch import Batch
    >>> @spacy_lf
    ... def long_doc(x):
    ...     return 0 if len(x.doc) > 2 else -1
    >>> @spacy_lf
    ... def has_digit(x):
    ...     return 1 if any(t.like_num for t in x.doc) else -1
    >>> batch = Batch(pd.DataFrame({"text": ["one two three", "4 you", None]}))
    >>> share_docs(batch, [long_doc, has_digit])
    >>> long_doc.vote_batch(batch).tolist(), has_digit.vote_batch(batch).tolist()
    ([0, -1, -1], [1, 1, -1])
    """
    groups: dict[tuple[str, str], list[SpacyLF]] = {}
    for lf in lfs:
        if isinstance(lf, SpacyLF):
            groups.setdefault((lf.field, lf.pipeline.key), []).append(lf)
    for key, members in groups.items():
        batch.cached(("spacy_group", *key), lambda members=members: members)  # type: ignore[misc]


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
