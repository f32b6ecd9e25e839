"""Out of memory at the CLI boundary: one line naming the cause and the fix, exit 2, no traceback.

The failures are real: each case runs ``weaksup.cli.main`` in a subprocess whose address space is capped
(``RLIMIT_AS``, what ``ulimit -v`` sets) a few MB above what it already uses, with a command added to the public
Typer app that then needs more (an array; a thread's stack). A Rust allocation failure (polars: "memory allocation
of N bytes failed") aborts the process (exit 134) before Python sees it: that one cannot be caught here.
"""

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import resource, sys, threading
    import numpy as np
    from weaksup.cli import app, main

    @app.command("needs-memory")
    def needs_memory(what: str) -> None:
        if what == "array":
            np.ones(64 * 2**20, dtype=np.uint8)  # 64 MB
        elif what == "thread":
            worker = threading.Thread(target=lambda: None)
            worker.start()  # an 8 MB stack
            worker.join()
        elif what == "bug":
            raise ValueError("a plain bug")

    def used():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))

    try:  # the command's imports first, uncapped
        main(["needs-memory", "nothing"])
    except SystemExit:
        pass
    limit = used() + 4 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    main(["needs-memory", sys.argv[1]])
""")


def capped(what):
    return subprocess.run([sys.executable, "-c", SCRIPT, what], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})


@pytest.mark.parametrize("what, cause", [("array", "MemoryError: Unable to allocate 64.0 MiB"),
                                         ("thread", "RuntimeError: can't start new thread")])
def test_running_out_of_memory_is_one_line_with_the_fix_and_exit_2(what, cause):
    done = capped(what)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    line = done.stderr.strip()
    start = "error: out of memory" if what == "array" else "error: could not start a thread"
    assert line.startswith(start) and cause in line
    assert "input.chunk_rows" in line and "lfs.workers" in line and "ulimit -v" in line  # the fixes
    assert ("ulimit -u" in line) == (what == "thread")  # a thread may fail on a process limit, not memory


def test_any_other_failure_still_shows_its_traceback():
    done = capped("bug")
    assert done.returncode == 1 and "ValueError: a plain bug" in done.stderr and "out of memory" not in done.stderr


def test_a_rust_panic_naming_memory_is_out_of_memory_and_other_panics_are_not():
    from polars.exceptions import PanicException

    from weaksup.memory import out_of_memory

    thread = PanicException('called `Result::unwrap()` on an `Err` value: Os { code: 11, kind: WouldBlock, '
                            'message: "Resource temporarily unavailable" }')
    assert out_of_memory(PanicException("memory allocation of 16 bytes failed")).startswith("out of memory (")
    assert "Resource temporarily unavailable" in out_of_memory(thread) and "ulimit -u" in out_of_memory(thread)
    assert out_of_memory(PanicException("index out of bounds")) is None
    assert out_of_memory(ValueError("memory allocation of 16 bytes failed")) is None  # only panics are read
