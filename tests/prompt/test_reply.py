"""Reading a chat-completions answer."""

from __future__ import annotations

import pytest

from weaksup.errors import LFApplyError
from weaksup.prompt.reply import read_reply


def test_content_as_a_list_of_text_parts_is_joined():
    data = {"choices": [{"message": {"content": [{"type": "text", "text": "sp"}, {"type": "image_url"},
                                                 {"type": "text", "text": "am"}]}}]}
    assert read_reply(data, "http://h/v1/chat/completions").text == "spam"


def test_content_parts_without_text_are_no_text():
    data = {"choices": [{"message": {"content": [{"type": "image_url"}]}, "finish_reason": "stop"}]}
    with pytest.raises(LFApplyError, match="answered with no text"):
        read_reply(data, "http://h/v1/chat/completions")
