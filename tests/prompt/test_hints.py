"""What a refusal's message says, and the secrets it never shows."""

from __future__ import annotations

import base64

from weaksup.prompt.hints import redact, refused_hint

CONTEXT = ('{"error": {"message": "This model\'s maximum context length is 512 tokens. However, your messages '
           'resulted in 700 tokens.", "type": "invalid_request_error", "code": "context_length_exceeded"}}')


def test_a_basic_credential_echoed_by_the_server_is_redacted():
    basic = base64.b64encode(b"bob:sk-secret-pw").decode()
    text = redact(f'{{"error": "bad header Authorization: Basic {basic}"}}', ["sk-secret-pw"])
    assert basic not in text and "Basic ***" in text
    assert redact("Basically fine, basic stuff", []) == "Basically fine, basic stuff"


def test_a_context_length_error_gets_its_own_hint():
    hint = refused_hint(400, model="m", base_url="http://h/v1", api_key_env="K", key_set=False, answer=CONTEXT)
    assert "longer than the model's context" in hint and "shorten" in hint and "model name" not in hint
    other = refused_hint(400, model="m", base_url="http://h/v1", api_key_env="K", key_set=False,
                         answer='{"error": {"message": "The model `m` does not exist"}}')
    assert "check the model name 'm'" in other


def test_a_refusal_never_echoes_an_api_key_env_that_is_a_key():
    for value in ("sk-proj-SECRET123abc", "hf_SECRETabcdefGHIJ123456789"):  # set after construction, or unpickled
        hint = refused_hint(401, model="m", base_url="http://h/v1", api_key_env=value, key_set=False)
        assert "SECRET" not in hint and "api_key_env" in hint and "environment variable" in hint
    assert refused_hint(401, model="m", base_url="http://h/v1", api_key_env="MY_KEY", key_set=False) == \
        "; set the environment variable MY_KEY to the API key"
