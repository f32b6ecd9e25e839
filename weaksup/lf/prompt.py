"""Prompted LFs: a chat model asked a question about each row (:func:`prompt_lf`).

The model is reached through :class:`~weaksup.prompt.client.ChatClient` (the OpenAI-compatible chat-completions
protocol); answers are cached by prompt, so a second run, or a rerun after a kill or a budget stop, asks only the
prompts that have no answer yet.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from weaksup.errors import LFDefinitionError, NotFoundError, WeakSupError
from weaksup.labels import ABSTAIN, LabelSpace
from weaksup.lf.batch import Batch
from weaksup.lf.core import LabelingFunction
from weaksup.lf.identity import check_label, check_name
from weaksup.lf.rows import field_value, is_missing
from weaksup.lf.source import Code, LFSource, call_source, label_code
from weaksup.prompt.cache import cache_key, default_cache_path, normalise_base_url, without_user_info
from weaksup.prompt.client import ChatClient, Reply, estimate_tokens, stops_run
from weaksup.prompt.hints import refuse_key_options
from weaksup.prompt.parse import (PARSER_VERSION, ROW_IDS_KEY, UNSURE_WORDS, Parsed, choice_prefix,
                                   note_unparseable, parse_answer)

__all__ = ["PromptLF", "PromptPlan", "plan_prompts", "prompt_lf"]


@dataclass(frozen=True)
class PromptPlan:
    """What running a prompted LF over some rows would send, before anything is sent (:meth:`PromptLF.plan`).

    ``rows`` rows give ``prompts`` distinct prompts (rows with a missing field abstain unasked), ``cached`` of
    them answered already by ``model`` at ``server`` (the normalised base URL: answers cached for another server,
    e.g. ``localhost`` for ``127.0.0.1``, do not count); ``uncached`` would be sent, about ``tokens`` tokens
    (:func:`estimate_tokens`).
    """

    lf: str
    rows: int
    prompts: int
    cached: int
    uncached: int
    tokens: int
    model: str = ""
    server: str = ""

    def __str__(self) -> str:
        where = f" to {self.model} at {self.server}" if self.server else ""
        return (f"{self.lf}: {self.rows:,} rows, {self.prompts:,} distinct prompts, {self.cached:,} cached, "
                f"{self.uncached:,} to send{where} (~{self.tokens:,} tokens)")


def _template_fields(template: str, name: str) -> tuple[str, ...]:
    if not isinstance(template, str) or not template.strip():
        raise LFDefinitionError(f"LF {name!r}: template must be a non-empty string such as 'Is this spam? {{text}}'")
    fields: list[str] = []
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise LFDefinitionError(f"LF {name!r}: template {template[:60]!r} is not a format string ({exc}); "
                                "write literal braces as {{ and }}") from exc
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise LFDefinitionError(f"LF {name!r}: template field {{{field}}} must be a plain column name such as "
                                    "{text} (no positions, attributes, conversions or format specs)")
        fields.append(field)
    if not fields:
        raise LFDefinitionError(f"LF {name!r}: template {template[:60]!r} names no column; put one in braces, "
                                "e.g. {text}")
    return tuple(dict.fromkeys(fields))


def _choices(labels: Mapping[str, int | str] | Sequence[str], name: str,
             label_space: LabelSpace | None) -> dict[str, int]:
    if isinstance(labels, str) or not isinstance(labels, (Mapping, Sequence)) or not labels:
        raise LFDefinitionError(f"LF {name!r}: labels must map each answer to a label, e.g. "
                                f"{{'spam': 1, 'ham': 0}}, or list class names; got {labels!r}")
    pairs = labels.items() if isinstance(labels, Mapping) else [(str(x), x) for x in labels]
    choices: dict[str, int] = {}
    for answer, label in pairs:
        word = " ".join(str(answer).lower().split())
        if not word or word in choices:
            raise LFDefinitionError(f"LF {name!r}: answers must be distinct non-blank words; {answer!r} is not")
        choices[word] = check_label(label, name, label_space)
    return choices


def _default_system(choices: Mapping[str, int], json_mode: bool) -> str:
    words = ", ".join(repr(c) for c in choices)
    return (f'Answer with a JSON object {{"label": <one of {words}, or "unsure">}} and nothing else.'
            if json_mode else f"Answer with exactly one of {words}, or 'unsure' if you cannot tell.")


def _client_source(client: ChatClient) -> str:
    """``ChatClient(...)`` rebuilding the client (the key stays in the environment, and so must a password that was
    in the base URL, which is not written; the cache file is named only when it is not the default one)."""
    refuse_key_options(None, client.api_key_env)  # a key set on the client after it was made: never written
    defaults = {"api_key_env": "OPENAI_API_KEY", "concurrency": 8, "max_retries": 6, "backoff": 0.5,
                "max_backoff": 30.0, "max_calls": None, "max_tokens": None, "timeout": 60.0}
    values = {"api_key_env": client.api_key_env, "concurrency": client.concurrency,
              "max_retries": client.max_retries, "backoff": client.backoff, "max_backoff": client.max_backoff,
              "max_calls": client.max_calls, "max_tokens": client.max_tokens, "timeout": client.timeout}
    options = [f"{k}={v!r}" for k, v in values.items() if v != defaults[k]]
    if client.cache.path != default_cache_path():
        options.append(f"cache={str(client.cache.path)!r}")
    return f"ChatClient({', '.join([repr(without_user_info(client.base_url)), repr(client.model), *options])})"


class PromptLF(LabelingFunction):
    """A labeling function that asks a chat model about each row and reads its answer as a label.

    Built by :func:`prompt_lf`; see there for the parameters.
    """

    kind = "prompt"
    vectorised = True
    thread_safe = True
    template: str
    choices: dict[str, int]
    client: ChatClient
    system: str
    sampling: dict[str, Any]
    min_margin: float

    def __init__(self, name: str, template: str, *, labels: Mapping[str, int | str] | Sequence[str],
                 client: ChatClient, system: str | None = None, temperature: float = 0.0, max_tokens: int = 16,
                 json_mode: bool = False, logprobs: bool = False, min_margin: float = 0.0,
                 label_space: LabelSpace | None = None, tags: Iterable[str] = (), description: str = "",
                 version: str | None = None) -> None:
        check_name(name)
        if not isinstance(client, ChatClient):
            raise LFDefinitionError(f"LF {name!r}: client must be a weaksup.prompt.ChatClient(base_url, model); "
                                    f"got {type(client).__name__}")
        fields = _template_fields(template, name)
        choices = _choices(labels, name, label_space)
        if not 0.0 <= float(min_margin) < 1.0 or not 0.0 <= float(temperature) <= 2.0 or int(max_tokens) < 1:
            raise LFDefinitionError(f"LF {name!r}: need 0 <= min_margin < 1, 0 <= temperature <= 2 and "
                                    f"max_tokens >= 1; got {min_margin!r}, {temperature!r}, {max_tokens!r}")
        if system is None:
            system = _default_system(choices, json_mode)
        sampling: dict[str, Any] = {"temperature": float(temperature), "max_tokens": int(max_tokens)}
        if json_mode:
            sampling["response_format"] = {"type": "json_object"}
        if logprobs:
            sampling.update(logprobs=True, top_logprobs=5)
        self._set(template=template, choices=choices, client=client, system=system, sampling=sampling,
                  min_margin=float(min_margin))
        super().__init__(
            name,
            params={"template": template, "labels": choices, "model": client.model,
                    # the server, as the prompt cache keys its answers: another server, another version
                    "base_url": normalise_base_url(client.base_url), "system": system,
                    "sampling": sampling, "min_margin": float(min_margin), "parser": PARSER_VERSION,
                    # answers like "none" read as the choice since stop 37: such LFs get a new version (votes redone)
                    **({"choice_words": "before unsure"} if set(choices) & UNSURE_WORDS else {})},
            fields=fields, labels=choices.values(), tags=tags, version=version,
            description=description or f"asks {client.model} ({len(choices)} answers) about {', '.join(fields)}",
        )

    def default_description(self) -> str:
        return f"asks {self.client.model} ({len(self.choices)} answers) about {', '.join(self.fields)}"

    def to_source(self, label_space: LabelSpace | None = None) -> LFSource:
        """A ``prompt_lf(...)`` call with its ``ChatClient(...)`` (same prompts, same version)."""
        json_mode = "response_format" in self.sampling
        options: dict[str, Any] = {
            "labels": Code("{" + ", ".join(f"{w!r}: {label_code(i, label_space)}" for w, i in self.choices.items())
                           + "}"),
            "client": Code(_client_source(self.client)),
            "temperature": self.sampling["temperature"], "max_tokens": self.sampling["max_tokens"],
            "json_mode": json_mode, "logprobs": bool(self.sampling.get("logprobs")), "min_margin": self.min_margin}
        if self.system != _default_system(self.choices, json_mode):
            options["system"] = self.system
        return call_source(self, "prompt_lf", [repr(self.name), repr(self.template)], options,
                           imports=("from weaksup.prompt import ChatClient",))

    def manifest(self) -> dict[str, Any]:
        """The LF's description, with the server's base URL as given but without user info (``user:password@``,
        a secret; its normalised form is in the version)."""
        return {**super().manifest(), "base_url": without_user_info(self.client.base_url)}

    def messages(self, values: Mapping[str, Any]) -> list[dict[str, str]]:
        """The chat messages for one row's field values."""
        return [{"role": "system", "content": self.system},
                {"role": "user", "content": self.template.format(**{f: str(values[f]) for f in self.fields})}]

    def _requests(self, columns: Mapping[str, Sequence[Any]], n: int) -> tuple[list[str | None], dict[str, Any]]:
        """Each row's cache key (``None`` when a field is missing) and ``{key: (messages, tokens)}``."""
        keys: list[str | None] = []
        bodies: dict[str, Any] = {}
        for i in range(n):
            values = {f: columns[f][i] for f in self.fields}
            if any(is_missing(v) for v in values.values()):
                keys.append(None)
                continue
            messages = self.messages(values)
            # min_margin only reads answers: not in the key (in the version, so votes are reread from the cache)
            key = cache_key(self.params["base_url"], self.client.model, messages, self.sampling, PARSER_VERSION)
            keys.append(key)
            if key not in bodies:
                bodies[key] = (messages, estimate_tokens(messages, int(self.sampling["max_tokens"])))
        return keys, bodies

    def _answers(self, keys: list[str | None], bodies: dict[str, Any],
                 where: Any) -> dict[str, tuple[str, list[dict[str, Any]] | None]]:
        found = self.client.cache.get_many(bodies)
        missing = [k for k in bodies if k not in found]
        self.client.count(self.name, cached=len(found))
        if not missing:
            return found
        if self.client.replay:
            first = keys.index(missing[0])
            label = where[first] if where is not None else first
            user = bodies[missing[0]][0][-1]["content"]
            error = stops_run(NotFoundError(
                f"prompt LF {self.name!r} (defined at {self.source}) is in replay-only mode and the cache "
                f"{str(self.client.cache.path)!r} has no answer for the row at index {label!r} (position {first} of "
                f"this batch, prompt {user[:80] + ('...' if len(user) > 80 else '')!r}; "
                f"{len(missing)} prompt(s) of the batch missing). Run once without WEAKSUP_PROMPT_REPLAY (or "
                "replay=False) to ask the model, or use the cache file that run wrote"))
            error.batch_position = first  # type: ignore[attr-defined]  # apply_lfs adds the row id
            raise error

        def keep(key: str, reply: Reply) -> None:
            self.client.cache.put(key, self.client.model, reply.text, reply.logprobs)
            found[key] = (reply.text, reply.logprobs)

        try:
            self.client.ask_many([(k, {"messages": bodies[k][0], **self.sampling}, bodies[k][1]) for k in missing],
                                 keep, who=f"prompt LF {self.name!r}", lf=self.name)
        except WeakSupError as exc:  # a prompt too long for the model: apply_lfs names its row
            if getattr(exc, "prompt_key", None) in keys:
                exc.batch_position = keys.index(exc.prompt_key)  # type: ignore[attr-defined]
            raise
        return found

    def parse(self, text: str, logprobs: list[dict[str, Any]] | None = None) -> Parsed:
        """Read an answer as this LF does (its choices and ``min_margin``)."""
        top = None
        for token in logprobs or []:  # the first answer token whose alternatives name a choice
            alternatives = token.get("top_logprobs") or []
            if any(choice_prefix(str(a.get("token", "")), self.choices) for a in alternatives):
                top = alternatives
                break
        return parse_answer(text, self.choices, logprobs=top, min_margin=self.min_margin)

    def _votes(self, columns: Mapping[str, Sequence[Any]], n: int, where: Any,
               row_ids: Sequence[Any] | None = None) -> np.ndarray:
        keys, bodies = self._requests(columns, n)
        answers = self._answers(keys, bodies, where)
        read = {k: self.parse(*answers[k]) for k in bodies}
        # one warning per LF at the end of apply_lfs or of a run (unparseable_summary), not one per batch
        note_unparseable(self.name, [None if k is None else read[k] for k in keys], row_ids, self.choices)
        return np.fromiter((ABSTAIN if k is None else read[k].label for k in keys), dtype=np.int64, count=n)

    def answers(self, data: pd.DataFrame) -> pd.DataFrame:
        """The cached answers for the rows of ``data`` (nothing is sent), as read by the LF: columns ``answer``
        (the model's text; missing when not cached or a field is missing), ``label``, ``confidence`` (from
        the logprobs, when asked) and ``reason`` (see :class:`~weaksup.prompt.Parsed`), indexed as ``data``.
        Sorting by ``confidence`` puts the answers to review first.

        Examples
        --------
        >>> import tempfile
        >>> from weaksup.prompt import ChatClient
        >>> client = ChatClient("http://127.0.0.1:9/v1", "m", cache=tempfile.mkdtemp() + "/c.sqlite3")
        >>> lf = prompt_lf("llm", "Spam? {text}", labels={"spam": 1, "ham": 0}, client=client)
        >>> lf.answers(pd.DataFrame({"text": ["buy now"]}))["reason"].tolist()
        ['not cached']
        """
        batch = Batch(data)
        keys, bodies = self._requests({f: batch.values(f) for f in self.fields}, batch.n)
        found = self.client.cache.get_many(bodies)
        records: list[tuple[Any, int, float | None, str]] = []
        for key in keys:
            if key is None or key not in found:
                records.append((None, ABSTAIN, None, "missing field" if key is None else "not cached"))
                continue
            parsed = self.parse(*found[key])
            records.append((found[key][0], parsed.label, parsed.confidence, parsed.reason))
        return pd.DataFrame(records, columns=["answer", "label", "confidence", "reason"], index=data.index)

    def vote_batch(self, batch: Batch) -> np.ndarray:
        """Votes on a batch: its uncached prompts are sent at once (``client.concurrency`` in flight)."""
        where = list(batch.frame.index)
        return self._votes({f: batch.values(f) for f in self.fields}, batch.n, where,
                           batch.cached(ROW_IDS_KEY, lambda: where))  # (apply_lfs leaves the row ids there)

    def __call__(self, x: Any) -> int:
        return int(self._votes({f: [field_value(x, f)] for f in self.fields}, 1, None)[0])

    def plan(self, data: pd.DataFrame) -> PromptPlan:
        """How many prompts running over ``data`` would send, and their estimated tokens; sends nothing.

        Examples
        --------
        >>> import tempfile
        >>> from weaksup.prompt import ChatClient
        >>> client = ChatClient("http://127.0.0.1:9/v1", "m", cache=tempfile.mkdtemp() + "/c.sqlite3")
        >>> lf = prompt_lf("llm", "Spam? {text}", labels={"spam": 1, "ham": 0}, client=client)
        >>> print(lf.plan(pd.DataFrame({"text": ["buy now", "nice song", "buy now", None]})))
        llm: 4 rows, 2 distinct prompts, 0 cached, 2 to send to m at http://127.0.0.1:9/v1 (~90 tokens)
        """
        return plan_prompts([self], [data])[0]


def plan_prompts(lfs: Iterable[LabelingFunction], frames: Iterable[pd.DataFrame]) -> list[PromptPlan]:
    """A :class:`PromptPlan` for each prompted LF among ``lfs`` over the rows of ``frames`` (e.g. a run's chunks);
    prompts repeated across frames count once. Nothing is sent.

    Examples
    --------
    >>> import tempfile
    >>> from weaksup.prompt import ChatClient
    >>> from weaksup.lf import keyword_lf
    >>> client = ChatClient("http://127.0.0.1:9/v1", "m", cache=tempfile.mkdtemp() + "/c.sqlite3")
    >>> lfs = [keyword_lf("kw", "buy", 1), prompt_lf("llm", "Spam? {text}", labels=["ham", "spam"],
    ...                                             label_space=LabelSpace(["ham", "spam"]), client=client)]
    >>> frames = [pd.DataFrame({"text": ["buy now", "hi"]}), pd.DataFrame({"text": ["hi", "yo"]})]
    >>> [(p.lf, p.rows, p.prompts, p.uncached) for p in plan_prompts(lfs, frames)]
    [('llm', 4, 3, 3)]
    """
    prompted = [lf for lf in lfs if isinstance(lf, PromptLF)]
    rows = dict.fromkeys((lf.name for lf in prompted), 0)
    bodies: dict[str, dict[str, Any]] = {lf.name: {} for lf in prompted}
    for frame in frames:
        batch = Batch(frame)
        for lf in prompted:
            _, found = lf._requests({f: batch.values(f) for f in lf.fields}, batch.n)
            rows[lf.name] += batch.n
            bodies[lf.name].update(found)
    plans = []
    for lf in prompted:
        wanted = bodies[lf.name]
        cached = lf.client.cache.get_many(wanted)
        todo = [k for k in wanted if k not in cached]
        plans.append(PromptPlan(lf.name, rows[lf.name], len(wanted), len(cached), len(todo),
                                sum(int(wanted[k][1]) for k in todo), lf.client.model, lf.params["base_url"]))
    return plans


def prompt_lf(name: str, template: str, *, labels: Mapping[str, int | str] | Sequence[str], client: ChatClient,
              system: str | None = None, temperature: float = 0.0, max_tokens: int = 16, json_mode: bool = False,
              logprobs: bool = False, min_margin: float = 0.0, label_space: LabelSpace | None = None,
              tags: Iterable[str] = (), description: str = "", version: str | None = None) -> PromptLF:
    """A labeling function asking a chat model (OpenAI-compatible) about each row.

    Parameters
    ----------
    name : str
        The LF's name.
    template : str
        The user message, with the row's columns in braces: ``"Is this comment spam? {text}"``.
    labels : mapping or sequence
        ``{answer: label}`` (labels as class ids or names of the label space in use), or class names that are
        also the answers. The model is told the answers (in ``system``); ``"unsure"`` abstains.
    client : ChatClient
        The server, model, cache, concurrency, retries and budget.
    system : str, optional
        The system message; by default it lists the answers.
    temperature : float, default 0
        Sampling temperature (0: the most likely answer, so reruns agree).
    max_tokens : int, default 16
        Answer length cap.
    json_mode : bool, default False
        Ask for ``{"label": ...}`` with ``response_format={"type": "json_object"}`` (for servers offering it).
    logprobs : bool, default False
        Ask for the answer tokens' logprobs: the confidence of the answer is its share of the probability over
        the answers, and the LF abstains when the best leads the runner-up by less than ``min_margin``.
    min_margin : float, default 0
        See ``logprobs``.
    label_space : LabelSpace, optional
        Resolves class names in ``labels``.
    tags, description, version : optional
        Metadata; by default the version hashes the template, the answers, the model, the server (its normalised
        base URL, as the prompt cache does), the system message, the sampling parameters and the parser version,
        so editing a prompt recomputes only this LF's column.

    Examples
    --------
    >>> import tempfile
    >>> from weaksup.prompt import ChatClient
    >>> client = ChatClient("http://127.0.0.1:9/v1", "m", cache=tempfile.mkdtemp() + "/c.sqlite3")
    >>> lf = prompt_lf("llm_spam", "Is this comment spam? {text}", labels={"spam": 1, "ham": 0}, client=client)
    >>> lf.kind, lf.fields, lf.labels
    ('prompt', ('text',), (0, 1))
    >>> lf.version != prompt_lf("llm_spam", "Spam? {text}", labels={"spam": 1, "ham": 0}, client=client).version
    True
    """
    return PromptLF(name, template, labels=labels, client=client, system=system, temperature=temperature,
                    max_tokens=max_tokens, json_mode=json_mode, logprobs=logprobs, min_margin=min_margin,
                    label_space=label_space, tags=tags, description=description, version=version)
