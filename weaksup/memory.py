"""Out of memory, told in one line: what the CLI prints when a command runs out of memory.

What a process that may use no more memory (``ulimit -v``, a container's or job's limit) sees depends on who asked:
a NumPy or Arrow allocation raises ``MemoryError``; a thread that cannot get its stack raises ``RuntimeError("can't
start new thread")``; a Rust library (polars) that cannot spawn a thread may panic (``PanicException``). These reach
the CLI and are told by :func:`out_of_memory`. A failed allocation inside Rust or C++ code (polars' ``memory
allocation of N bytes failed``, ``std::bad_alloc``) aborts the process at once (exit 134): no Python code runs, so
nothing can be told.

``ulimit -v`` caps address space, not memory in use: libraries and threads reserve far more than they touch (a run
of the shipped example reserves about 3.6 GB and uses 0.7 GB on one CPU; glibc's per-thread arenas grow the
reservation with the CPU count, and ``MALLOC_ARENA_MAX=2`` cuts it by about 0.9 GB).
"""

from __future__ import annotations

import re

#: The fix named by :func:`out_of_memory`.
FIX = ("give the command more memory (a higher `ulimit -v`, which counts reserved address space: several GB for a "
       "run's libraries and threads, less with MALLOC_ARENA_MAX=2; or the container's or job's limit), or make a "
       "run need less: a smaller input.chunk_rows (rows per chunk, e.g. --set input.chunk_rows=50000) or "
       "lfs.workers (chunks voted at once)")

#: Rust panics that mean the process could not get memory or a thread (``pyo3_runtime.PanicException`` messages).
_PANICS = re.compile(r"memory allocation of \d+ bytes failed|capacity overflow|Resource temporarily unavailable|"
                     r"Cannot allocate memory|failed to spawn thread|OutOfMemory", re.IGNORECASE)


#: A thread that could not start: memory, or a limit on processes and threads (EAGAIN from ``clone``).
_THREADS = re.compile(r"can't start new thread|Resource temporarily unavailable|failed to spawn thread|WouldBlock",
                      re.IGNORECASE)


def out_of_memory(exc: BaseException) -> str | None:
    """The one-line message for an exception that means the process ran out of memory or could not start a thread
    (None for any other).

    Examples
    --------
    >>> out_of_memory(MemoryError("Unable to allocate 8.00 GiB"))[:53]
    'out of memory (MemoryError: Unable to allocate 8.00 G'
    >>> out_of_memory(RuntimeError("can't start new thread"))[:56]
    "could not start a thread (RuntimeError: can't start new "
    >>> out_of_memory(ValueError("bad value")) is None
    True
    """
    text = str(exc).strip()
    panic = type(exc).__name__ == "PanicException" and _PANICS.search(text) is not None
    if not (isinstance(exc, MemoryError) or panic or (isinstance(exc, RuntimeError)
                                                      and text == "can't start new thread")):
        return None
    name = "MemoryError" if isinstance(exc, MemoryError) else type(exc).__name__
    cause = " ".join(text.split())[:200]
    if isinstance(exc, MemoryError) or not _THREADS.search(text):
        return f"out of memory ({name}{': ' + cause if cause else ''}): {FIX}"
    return (f"could not start a thread ({name}: {cause}): out of memory, or the process/thread limit (`ulimit -u`, "
            f"a container's pids limit); use fewer threads (lfs.workers, OMP_NUM_THREADS), or {FIX}")
