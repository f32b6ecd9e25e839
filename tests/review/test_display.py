"""Display text in review tasks: YouTube's HTML (entities, <br />, links, scripts) shown as plain text."""

import json

import pandas as pd

from tests.review.helpers import LS_EXPORT, ls_export, write_json
from weaksup.review import export_queue, import_answers, read_export
from weaksup.review.display import display_text

SPACE = ["ham", "spam"]


def test_display_text_of_youtube_comments():
    assert display_text("i&#39;m here &amp; there<br />next<BR>line") == "i'm here & there\nnext\nline"
    assert display_text('visit <a href="http://x.io">http://x.io</a> &quot;now&quot;') == 'visit http://x.io "now"'
    assert display_text("ok<script type='text/javascript'>steal()</script> <style>b{}</style>fine") == "ok fine"
    assert display_text("&lt;script&gt;alert(1)&lt;/script&gt;safe") == "safe"  # escaped script stays out
    assert display_text("<img src=x onerror=alert(1)>pic") == "pic"
    assert display_text("I <3 this, 2 < 3 > 1") == "I <3 this, 2 < 3 > 1"  # not tags
    assert display_text("plain text") == "plain text" and display_text(None) == ""
    assert display_text("a<br /><br /><br /><br />b") == "a\n\nb"


def test_exported_tasks_show_display_text_and_import_back(tmp_path):
    tasks = json.loads(LS_EXPORT.read_text())
    queue = pd.DataFrame({"row_id": [t["data"]["row_id"] for t in tasks],
                          "text": [t["data"]["text"] for t in tasks], "label": "spam", "confidence": 0.6,
                          "author": "Jo &amp; Bo"})
    export_queue(queue, tmp_path / "tasks.json", label_space=SPACE, fields=["author"])
    out = json.loads((tmp_path / "tasks.json").read_text())
    shown = [t["data"]["text"] for t in out]
    assert shown[0] == "Check out my channel!\nSubscribe & win" and shown[1].startswith("i'm giving")
    assert out[0]["data"]["author"] == "Jo & Bo"
    for text in shown:
        assert "&#" not in text and "&amp;" not in text and "<br" not in text and "<script" not in text.lower()
        assert "alert(" not in text
    export_queue(queue, tmp_path / "review.csv", format="csv", label_space=SPACE)
    assert "i'm giving away" in (tmp_path / "review.csv").read_text()
    # the answers come back by row_id: the display text changes nothing in the gold set
    answers = read_export(write_json(ls_export(out, {"yt-001": [(4, "spam")]}), tmp_path / "e.json"), SPACE)
    result = import_answers(answers, tmp_path / "gold", task="yt", label_space=SPACE)
    assert result.gold.labels().to_dict() == {"yt-001": "spam"}


def test_masking_sees_the_unescaped_text(tmp_path):
    queue = pd.DataFrame({"row_id": ["a"], "text": ["mail jo&#64;example.com<br/>thanks"], "label": "ham",
                          "confidence": 0.6})
    exported = export_queue(queue, tmp_path / "t.json", label_space=SPACE, sensitive_fields=["text"])
    assert json.loads((tmp_path / "t.json").read_text())[0]["data"]["text"] == "mail <EMAIL>\nthanks"
    assert exported.masked == {"text": 1}
