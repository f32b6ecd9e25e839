"""Fixtures of the review tests: a real run of the shipped example, and a real Label Studio server (one a session)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="session")
def shipped_run(tmp_path_factory):
    """One run of the shipped YouTube config (MLflow off) on a copy of its gold set: ``BASE/run``, ``BASE/gold``.

    Tests copy what they change (``shutil.copytree``): the session shares this folder.
    """
    from weaksup.config import load_config
    from weaksup.pipeline import run

    base = tmp_path_factory.mktemp("shipped")
    shutil.copytree(REPO / "gold_sets" / "youtube_spam", base / "gold")
    config = load_config(REPO / "configs" / "youtube_spam.toml",
                         [f"output.path={base / 'run' / 'labels.parquet'}", f"gold.path={base / 'gold'}",
                          "mlflow.enabled=false"], project=REPO)
    run(config, progress=False)
    return base


@pytest.fixture(scope="session")
def label_studio():
    """A real Label Studio server (the ``make labelstudio`` venv) on 127.0.0.1 for the session, stopped at its end.

    Skips when Label Studio is not installed, except on CI (``CI`` set), where ``make test`` builds it: fails there.
    """
    from weaksup.testing.labelstudio import LABEL_STUDIO_ENV, LabelStudioServer, find_label_studio

    executable = find_label_studio()
    if executable is None:
        reason = (f"Label Studio is not installed: run `make labelstudio` (it builds .venv-labelstudio; `make test` "
                  f"does it first) or set ${LABEL_STUDIO_ENV} to a label-studio script")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    server = LabelStudioServer(executable)
    server.start(wait=False)  # it boots (~15 s) while the first test prepares its run; .url waits for it
    try:
        yield server
    finally:
        server.stop()
