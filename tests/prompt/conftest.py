"""CI may run in replay-only mode (WEAKSUP_PROMPT_REPLAY=1): these tests ask a local server unless they say so."""

import pytest


@pytest.fixture(autouse=True)
def not_replaying(monkeypatch):
    monkeypatch.delenv("WEAKSUP_PROMPT_REPLAY", raising=False)
