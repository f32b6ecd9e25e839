"""Helpers of the run tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from weaksup.config import load_config
from weaksup.pipeline import RunResult, run

#: An LF module with one slow generic LF (0.004 s a row).
SLOW_LF = '''
import time
from weaksup import ABSTAIN, labeling_function

@labeling_function(fields=["text"])
def slow_question(x):
    time.sleep(0.004)
    return 0 if x.text is not None and "?" in x.text else ABSTAIN
'''


def run_config(path: Path, *overrides: str, **kwargs: Any) -> RunResult:
    """Run the config at ``path`` with ``section.key=value`` overrides, without progress bars."""
    return run(load_config(path, list(overrides)), progress=False, **kwargs)
