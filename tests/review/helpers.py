"""Simulated Label Studio: turn imported tasks and annotators' answers into its JSON, JSON-MIN and CSV exports; and
:func:`cli`, the ``weaksup`` command as a test calls it."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest


def ls_export(tasks: list[dict[str, Any]], answers: dict[str, list[tuple[int, str | None]]], *,
              from_name: str = "label", to_name: str = "text", first_id: int = 1) -> list[dict[str, Any]]:
    """Label Studio's JSON export of ``tasks`` after annotation.

    ``answers[row_id]`` lists ``(user id, class name)``; a class of None is a cancelled (skipped) annotation.
    Tasks without answers are exported with ``annotations: []`` (as with "download all tasks").
    """
    out = []
    ann_id = 100
    for i, task in enumerate(tasks):
        task_id = first_id + i
        annotations = []
        for j, (user, label) in enumerate(answers.get(task["data"]["row_id"], [])):
            ann_id += 1
            stamp = f"2024-05-0{1 + j % 9}T10:{i % 60:02d}:00.123456Z"
            annotations.append({
                "id": ann_id, "completed_by": user, "was_cancelled": label is None, "ground_truth": False,
                "created_at": stamp, "updated_at": stamp, "lead_time": 4.2, "task": task_id, "project": 7,
                "result": [] if label is None else [{
                    "id": f"r{ann_id}", "from_name": from_name, "to_name": to_name, "type": "choices",
                    "value": {"choices": [label]}, "origin": "manual"}],
            })
        out.append({"id": task_id, "data": task["data"], "annotations": annotations,
                    "predictions": task.get("predictions", []), "project": 7,
                    "created_at": "2024-05-01T09:00:00Z", "updated_at": "2024-05-01T09:00:00Z"})
    return out


def json_min(export: list[dict[str, Any]], from_name: str = "label") -> list[dict[str, Any]]:
    """Label Studio's JSON-MIN of a JSON export: one record per non-cancelled annotation."""
    records = []
    for task in export:
        for ann in task["annotations"]:
            if ann.get("was_cancelled"):
                continue
            record = dict(task["data"])
            record["id"] = task["id"]
            choices = [r["value"]["choices"] for r in ann["result"] if r["from_name"] == from_name]
            if choices:
                record[from_name] = choices[0][0] if len(choices[0]) == 1 else [{"choices": choices[0]}]
            record.update({"annotator": ann["completed_by"], "annotation_id": ann["id"],
                           "created_at": ann["created_at"], "updated_at": ann["updated_at"],
                           "lead_time": ann["lead_time"]})
            records.append(record)
    return records


def write_json(obj: Any, path: Path) -> Path:
    path.write_text(json.dumps(obj, indent=1), encoding="utf-8")
    return path


def write_ls_csv(records: list[dict[str, Any]], path: Path) -> Path:
    """Label Studio's CSV export: JSON-MIN records as rows, sorted columns, non-strings as JSON."""
    keys = sorted({k for r in records for k in r} | {"annotator", "annotation_id", "created_at", "updated_at",
                                                      "lead_time"})
    with open(path, "w", encoding="utf8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=keys, quoting=csv.QUOTE_NONNUMERIC)
        writer.writeheader()
        for r in records:
            writer.writerow({k: (json.dumps(v) if isinstance(v, list | dict) else v) for k, v in r.items()})
    return path


def queue() -> pd.DataFrame:
    """A review queue of three rows, as review_queue gives it."""
    return pd.DataFrame({
        "priority": [1, 2, 3], "row_id": ["r1", "r2", "r3"],
        "text": ["sub to my channel", "mail me at jo@example.com", None],
        "label": ["spam", "ham", ""], "confidence": [0.61, 0.55, 0.5],
        "review_reason": ["low_confidence", "conflict", "no_votes"], "author": ["Ann", "Bob", "Cy"],
    })


#: A Label Studio 1.23-shaped JSON export (numeric user ids, ``origin`` per result, predictions as ids, drafts,
#: the task's HTML text as YouTube gives it): 10 tasks answered by users 4 and 5 (2 disagreements: raw agreement
#: 0.800, Cohen's kappa 0.600), one answered by user 4 and skipped by user 5, one unanswered. User 4 submits
#: every pre-fill unchanged; user 5 edits two (``prediction-changed``), picks two by hand (``manual``).
LS_EXPORT = Path(__file__).with_name("data") / "labelstudio_export.json"


def ls_flat(path: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The JSON-MIN and CSV exports of a JSON export (as Label Studio writes them: user ids as strings)."""
    tasks = json.loads(path.read_text(encoding="utf-8"))
    for task in tasks:
        for ann in task["annotations"]:
            ann["completed_by"] = str(ann["completed_by"])
    records = json_min(tasks)
    return write_json(records, tmp_path / "export-min.json"), write_ls_csv(records, tmp_path / "export.csv")


#: The classes of the tiny tickets project (:func:`tickets_project`).
TICKETS = ["billing", "bug", "feature", "other"]
_TICKET_TEXTS = {"billing": "refund my invoice", "bug": "app crashes on login", "feature": "please add dark mode",
                 "other": "what are your hours"}
_TICKET_LFS = '''from weaksup import LabelSpace, keyword_lf

LABELS = LabelSpace(["billing", "bug", "feature", "other"])
kw_bill = keyword_lf("kw_bill", ["invoice", "refund"], LABELS["billing"])
kw_bug = keyword_lf("kw_bug", ["crashes"], LABELS["bug"])
kw_feat = keyword_lf("kw_feat", ["add"], LABELS["feature"])
kw_other = keyword_lf("kw_other", ["hours"], LABELS["other"])
'''


def tickets_project(folder: Path, *, gold: str | None = "gold/tickets") -> Path:
    """A tiny ticket-routing project in ``folder``: 40 rows ``T0000``..``T0039`` (four classes in turn), keyword LFs,
    ``config.toml`` (output ``runs/tix``; ``[gold] path = gold`` unless None) and, at ``gold``, a gold set v1 of
    ``T0000``..``T0007`` (dev) and ``T0008``..``T0015`` (test), answered by ``lead``."""
    from weaksup.gold import write_gold

    (folder / "data").mkdir(parents=True)
    rows = [{"id": f"T{i:04d}", "text": _TICKET_TEXTS[TICKETS[i % 4]], "truth": TICKETS[i % 4]} for i in range(40)]
    pd.DataFrame(rows)[["id", "text"]].to_csv(folder / "data" / "tickets.csv", index=False)
    (folder / "tix_lfs.py").write_text(_TICKET_LFS, encoding="utf-8")
    config = ['[task]', 'name = "tickets"', f"labels = {json.dumps(TICKETS)}", "[input]",
              'path = "data/tickets.csv"', 'id_column = "id"', 'text_column = "text"', "[lfs]",
              'modules = ["tix_lfs.py"]', "[label_model]", 'name = "MajorityVote"', "[end_model]", "enabled = false",
              "[output]", 'path = "runs/tix/labels.csv"', "[mlflow]", "enabled = false"]
    if gold is not None:
        config += ["[gold]", f"path = {json.dumps(gold)}"]
        frame = pd.DataFrame({"row_id": [r["id"] for r in rows[:16]], "label": [r["truth"] for r in rows[:16]],
                              "split": ["dev"] * 8 + ["test"] * 8, "annotator": "lead"})
        write_gold(frame, folder / gold, task="tickets", label_space=TICKETS)
    (folder / "config.toml").write_text("\n".join(config) + "\n", encoding="utf-8")
    return folder


def repoint_gold(run_dir: Path, gold_dir: Path) -> Path:
    """A copied run folder whose run.json names ``gold_dir`` (a copy of its gold set) as gold.path, as if the run had
    read it: ``review import --run`` then writes the copy (and refuses another ``--gold-dir``)."""
    path = run_dir / "run.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["config"]["gold"]["path"] = str(Path(gold_dir).resolve())
    path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return run_dir


def cli(capsys, *args):
    """``weaksup`` with ``args`` (each made a string): its exit code, stdout and stderr."""
    from weaksup.cli import main

    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err
