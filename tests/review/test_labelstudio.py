"""weaksup.review.labelstudio: review tasks and the labeling config out to Label Studio."""

import json
import xml.etree.ElementTree as ET


from tests.review.helpers import queue
from weaksup.review import export_queue, labeling_config
from weaksup.review.labelstudio import to_tasks

SPACE = ["ham", "spam"]


def test_labeling_config_matches_the_tasks():
    root = ET.fromstring(labeling_config(["ham", "spam", "A&B \"q\""]))
    text = root.find("Text")
    choices = root.find("Choices")
    assert text.get("name") == "text" and text.get("value") == "$text"
    assert choices.get("name") == "label" and choices.get("toName") == "text" and choices.get("choice") == "single"
    assert [c.get("value") for c in choices.findall("Choice")] == ["ham", "spam", "A&B \"q\""]
    # every $variable of the config is in every task's data (Label Studio rejects imports otherwise)
    variables = {v[1:] for el in root.iter() for v in el.attrib.values() if v.startswith("$")}
    header = root.find("Header").get("value")
    variables |= {w.strip("$(),:") for w in header.split() if w.startswith("$") or w.startswith("($")}
    for task in to_tasks(queue(), model_version="v1"):
        assert variables <= set(task["data"])


def test_tasks_shape():
    tasks = to_tasks(queue(), model_version="rules-abc", extra_fields=["author"])
    first = tasks[0]
    assert first["data"]["row_id"] == "r1" and first["data"]["text"] == "sub to my channel"
    assert first["data"]["author"] == "Ann" and first["data"]["priority"] == 1
    pred = first["predictions"][0]
    assert pred["model_version"] == "rules-abc" and pred["score"] == 0.61
    assert pred["result"] == [{"id": "ws0", "from_name": "label", "to_name": "text", "type": "choices",
                               "value": {"choices": ["spam"]}}]
    assert "predictions" not in tasks[2] and tasks[2]["data"]["text"] == ""  # abstained: no draft
    json.dumps(tasks)  # JSON-safe


def test_export_writes_tasks_and_config_atomically_and_masks_sensitive(tmp_path):
    out = export_queue(queue(), tmp_path / "review.json", label_space=SPACE, model_version="v1",
                       fields=["author"], sensitive_fields=["text", "author"])
    tasks = json.loads((tmp_path / "review.json").read_text())
    assert out.n_tasks == 3 and out.config_path == tmp_path / "review.labeling_config.xml"
    assert ET.fromstring(out.config_path.read_text()).tag == "View"
    assert tasks[1]["data"]["text"] == "mail me at <EMAIL>" and tasks[0]["data"]["author"] == "<REDACTED>"
    assert out.masked == {"text": 1, "author": 3}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review.json", "review.labeling_config.xml"]


def test_export_unmasked_when_not_sensitive_and_forced_mask(tmp_path):
    export_queue(queue(), tmp_path / "a.json", label_space=SPACE, fields=["author"])
    assert json.loads((tmp_path / "a.json").read_text())[1]["data"]["text"] == "mail me at jo@example.com"
    export_queue(queue(), tmp_path / "b.json", label_space=SPACE, mask=True)
    assert json.loads((tmp_path / "b.json").read_text())[1]["data"]["text"] == "mail me at <EMAIL>"
    export_queue(queue(), tmp_path / "c.json", label_space=SPACE, sensitive_fields=["text"], mask=False)
    assert json.loads((tmp_path / "c.json").read_text())[1]["data"]["text"] == "mail me at jo@example.com"
