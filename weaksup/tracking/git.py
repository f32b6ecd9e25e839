"""The project folder's git commit and dirty flag, as MLflow run tags.

MLflow records ``mlflow.source.git.commit`` from the entry point's folder, and skips it when the entry point
is the ``weaksup`` command in a virtual environment (``.venv`` is ignored by git): a run sets it from its
project folder instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

logger = logging.getLogger(__name__)

#: Seconds a git command may take before the tags are left out.
GIT_TIMEOUT = 10.0
#: The tag that says whether the project folder had changes that are not committed (``"true"``/``"false"``).
DIRTY_TAG = "weaksup.git.dirty"
COMMIT_TAG = "mlflow.source.git.commit"


def _git(folder: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run([git, "-C", str(folder), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT,
                              check=False, env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"})
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.debug("git %s in %s failed: %s", args[0], folder, exc)
        return None
    if done.returncode != 0:
        logger.debug("git %s in %s: %s", args[0], folder, done.stderr.strip())
        return None
    return done.stdout


def git_tags(folder: str | os.PathLike[str]) -> dict[str, str]:
    """``mlflow.source.git.commit`` (the commit checked out) and ``weaksup.git.dirty`` (``"true"`` when a file
    under ``folder`` is modified, staged, deleted or untracked and not ignored) of the git work tree holding
    ``folder``; ``{}`` when it is not in one or git is missing (no error).

    Examples
    --------
    >>> import tempfile
    >>> git_tags(tempfile.mkdtemp())
    {}
    """
    folder = Path(folder)
    commit = _git(folder, "rev-parse", "--verify", "HEAD")
    if not commit:
        return {}
    status = _git(folder, "status", "--porcelain", "--untracked-files=normal", "--", ".")
    tags = {COMMIT_TAG: commit.strip()}
    if status is not None:
        tags[DIRTY_TAG] = "true" if status.strip() else "false"
    return tags
