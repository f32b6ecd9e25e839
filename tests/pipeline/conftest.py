"""Fixtures of the run tests: a small project folder (real YouTube comments, quick LFs) as the working folder."""

from __future__ import annotations

import pytest

from tests.pipeline_project import make_project


@pytest.fixture
def project(tmp_path, youtube, monkeypatch):
    make_project(tmp_path, youtube)
    monkeypatch.chdir(tmp_path)
    return tmp_path
