"""Pushing a tasks file into Label Studio in bounded memory: the file read as a stream, one import request at a time.

``weaksup review push`` writes ``RUN_DIR/review/tasks.json`` and sends it: :func:`read_tasks` reads the JSON array a
piece at a time, :func:`request_batches` groups the encoded tasks into import requests by the one rule of
:func:`iter_batches` (at most ``max_tasks`` tasks and ``max_bytes`` bytes of JSON a request), and :func:`push_file`
sends the tasks whose row is not in the project yet. Memory holds one request's tasks and the project's row ids,
however long the queue.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from weaksup.errors import ReviewError

if TYPE_CHECKING:
    from weaksup.review.labelstudio_api import LabelStudioAPI

__all__ = ["count_fitting_tasks", "encode_task", "iter_batches", "push_file", "read_tasks", "request_batches"]

_SPACE = " \t\n\r"


def encode_task(task: dict[str, Any]) -> bytes:
    """A task as the import request carries it (compact UTF-8 JSON): its size is what the request limit counts.

    Examples
    --------
    >>> encode_task({"data": {"row_id": "r1", "text": "héllo"}})
    b'{"data":{"row_id":"r1","text":"h\\xc3\\xa9llo"}}'
    """
    return json.dumps(task, ensure_ascii=False, separators=(",", ":")).encode()


def iter_batches(sizes: Iterable[int], *, max_bytes: int, max_tasks: int) -> Iterator[range]:
    """The import requests of tasks whose JSON is ``sizes`` bytes, each yielded as soon as the next task does not fit:
    consecutive runs of at most ``max_tasks`` tasks and ``max_bytes`` bytes (the brackets and commas counted); a task
    over ``max_bytes`` goes alone (the size checks refuse it first).

    Examples
    --------
    >>> list(iter_batches([40, 40, 40, 10, 90], max_bytes=100, max_tasks=1000))
    [range(0, 2), range(2, 4), range(4, 5)]
    """
    start, held, at = 0, 2, -1  # "[" and "]"
    for at, size in enumerate(sizes):
        more = size + (at > start)  # its comma
        if at > start and (held + more > max_bytes or at - start >= max_tasks):
            yield range(start, at)
            start, held, more = at, 2, size
        held += more
    if at + 1 > start:
        yield range(start, at + 1)


def request_batches(tasks: Iterable[dict[str, Any]], *, max_bytes: int, max_tasks: int) -> Iterator[list[bytes]]:
    """The encoded tasks of each import request, in order; ``tasks`` is read lazily, so memory holds one request
    (and the task after it).

    Examples
    --------
    >>> tasks = ({"data": {"row_id": str(i)}} for i in range(5))
    >>> [len(b) for b in request_batches(tasks, max_bytes=10_000, max_tasks=2)]
    [2, 2, 1]
    """
    pending: list[bytes] = []

    def sizes() -> Iterator[int]:
        for task in tasks:
            pending.append(encode_task(task))
            yield len(pending[-1])

    for batch in iter_batches(sizes(), max_bytes=max_bytes, max_tasks=max_tasks):  # (pending: the batch, and
        out = pending[:len(batch)]  # the task whose size closed it)
        del pending[:len(batch)]
        yield out


def count_fitting_tasks(tasks: Iterable[dict[str, Any]], *, max_bytes: int, sizes: Iterable[int] | None = None,
                        outcome: str = "nothing was pushed") -> int:
    """The number of ``tasks``, read as a stream (one task in memory), when each fits in one import request; else
    a :class:`~weaksup.errors.ReviewError` naming the rows over it and the fix (what
    :func:`~weaksup.review.labelstudio_api.check_task_sizes` says).

    Examples
    --------
    >>> count_fitting_tasks(({"data": {"row_id": str(i)}} for i in range(3)), max_bytes=100)
    3
    """
    given = iter(sizes) if sizes is not None else None
    big: list[tuple[str, int]] = []
    count = 0
    for count, task in enumerate(tasks, 1):
        n = next(given) if given is not None else len(encode_task(task))
        if n + 2 > max_bytes:
            big.append((str((task.get("data") or {}).get("row_id", f"#{count - 1}")), n))
    if big:
        named = ", ".join(f"row {row!r} ({_amount(n)})" for row, n in big[:20])
        raise ReviewError(f"{len(big)} review task(s) are too large to import into Label Studio (over "
                          f"{_amount(max_bytes)} of JSON each): {named}{' ...' if len(big) > 20 else ''}. Their "
                          "media are inline data URLs: serve the files instead ([review] media_url = \"local-files\"), "
                          f"or shrink those files, or leave those rows out (--budget); {outcome}")
    return count


def _amount(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def read_tasks(path: str | Path, *, piece: int = 1 << 20) -> Iterator[dict[str, Any]]:
    """The tasks of a tasks file (a JSON array of objects), one at a time: the file is read ``piece`` characters at a
    time, so memory holds one task and one piece however long the file.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = Path(tmp) / "tasks.json"
    ...     _ = file.write_text('[\\n {"data": {"row_id": "a"}},\\n {"data": {"row_id": "b"}}\\n]\\n')
    ...     [t["data"]["row_id"] for t in read_tasks(file, piece=4)]
    ['a', 'b']
    """
    decoder = json.JSONDecoder()
    with open(path, encoding="utf-8") as file:
        text, at = "", 0

        def upcoming() -> str:
            """The next character that is not a space, reading on as needed (empty at the end of the file)."""
            nonlocal text, at
            while True:
                while at < len(text) and text[at] in _SPACE:
                    at += 1
                if at < len(text):
                    return text[at]
                text, at = file.read(piece), 0
                if not text:
                    return ""

        def refuse(what: str) -> ReviewError:
            return ReviewError(f"{path} is not a tasks file ({what}); write it again with `weaksup review export` "
                               "or `weaksup review push`")

        if upcoming() != "[":
            raise refuse("it does not start with '['")
        at += 1
        if upcoming() == "]":
            return
        while upcoming():
            while True:  # one task: read on until it is whole and something follows it
                try:
                    task, end = decoder.raw_decode(text, at)
                except json.JSONDecodeError:
                    task, end = None, -1
                if end != -1 and end < len(text):
                    break
                more = file.read(max(piece, len(text) - at))  # a long task: the piece doubles, not re-read often
                if not more:
                    if end == -1:
                        raise refuse("it ends inside a task, or an item is not JSON")
                    break
                text, at = text[at:] + more, 0
            if not isinstance(task, dict):
                raise refuse(f"an item is a {type(task).__name__}, not a task object")
            at = end
            yield task
            after = upcoming()
            if after == "]":
                return
            if after != ",":
                raise refuse(f"{after!r} where ',' or ']' should follow a task" if after else "it ends without ']'")
            at += 1
        raise refuse("it ends without ']'")


def push_file(api: LabelStudioAPI, project_id: int, path: str | Path) -> tuple[int, int]:
    """Import the tasks of a tasks file whose row is not in the project yet, the file streamed (:func:`read_tasks`)
    in requests of bounded size (:meth:`~weaksup.review.labelstudio_api.LabelStudioAPI.import_tasks`); returns
    ``(tasks imported, tasks already there)``. Check the file's task sizes first (``review push`` does, before it
    creates the project): a task too large for a request stops the import at it.
    """
    there = {str(data.get("row_id")) for data in api.iter_task_data(project_id)}
    skipped = 0

    def fresh() -> Iterator[dict[str, Any]]:
        nonlocal skipped
        for task in read_tasks(path):
            if str((task.get("data") or {}).get("row_id")) in there:
                skipped += 1
            else:
                yield task

    sent = api.import_tasks(project_id, fresh())
    return sent, skipped
