"""The review loop against a REAL Label Studio server (``make labelstudio``; one server for the session).

weaksup's tasks (with predictions) from a real run of the shipped example go into a project made from weaksup's
labeling config; two users (the admin and one who signs up through the web form) answer through the API: one
prediction accepted unchanged, one disagreement, one skip; every export format the server offers, direct and through
the snapshot API, is imported into gold v2. Then ``weaksup review push`` / ``pull`` do the round trip over the API.
"""

from __future__ import annotations

import json
import shutil
import socket

import httpx
import pytest

from tests.review.helpers import cli, repoint_gold
from weaksup.cli import main
from weaksup.gold import load_gold
from weaksup.review.labelstudio import labeling_config, read_export
from weaksup.review.labelstudio_api import TOKEN_ENV, LabelStudioAPI

pytestmark = pytest.mark.slow

BO, BO_PASSWORD = "bo@weaksup.test", "bo-weaksup-pass"
SUFFIX = {"JSON": ".json", "JSON_MIN": ".json", "CSV": ".csv", "TSV": ".tsv"}
FORMAT = {"JSON": "labelstudio", "JSON_MIN": "labelstudio-min", "CSV": "labelstudio-csv", "TSV": "labelstudio-csv"}


def _cli_quiet(*args) -> None:
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    assert info.value.code == 0


def _choice(label: str, origin: str = "manual") -> list[dict]:
    return [{"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": [label]},
             "origin": origin}]


def _other(label: str) -> str:
    return {"ham": "spam", "spam": "ham"}[label]


@pytest.fixture(scope="module")
def bo_token(label_studio):
    """A second user, signed up through Label Studio's web form."""
    return label_studio.sign_up(BO, BO_PASSWORD)


@pytest.fixture(scope="module")
def annotated(label_studio, shipped_run, bo_token, tmp_path_factory, youtube):
    """A project from weaksup's exported tasks and labeling config, answered by two users through the API.

    Returns the project id, the row ids of the answered tasks and the answers expected in the gold set.
    """
    base = tmp_path_factory.mktemp("ls_export")
    _cli_quiet("review", "export", shipped_run / "run", "--budget", 8, "--out", base / "tasks.json")
    tasks = json.loads((base / "tasks.json").read_text(encoding="utf-8"))
    config = (base / "tasks.labeling_config.xml").read_text(encoding="utf-8")
    admin = httpx.Client(base_url=label_studio.url, headers=label_studio.headers, timeout=60)
    bo = httpx.Client(base_url=label_studio.url, headers={"Authorization": f"Token {bo_token}"}, timeout=60)
    project = admin.post("/api/projects", json={"title": "weaksup export", "label_config": config})
    assert project.status_code == 201, project.text
    pid = project.json()["id"]
    imported = admin.post(f"/api/projects/{pid}/import", json=tasks).json()
    with_prediction = sum(bool(t.get("predictions")) for t in tasks)
    assert imported["task_count"] == 8 and imported["prediction_count"] == with_prediction >= 4
    listed = admin.get("/api/tasks", params={"project": pid, "page_size": 100}).json()["tasks"]
    full = [admin.get(f"/api/tasks/{t['id']}").json() for t in listed]
    full = [t for t in full if t["predictions"]]
    truth = youtube.set_index("row_id")["label"]
    t0, t1, t2, t3 = full[:4]
    row = [t["data"]["row_id"] for t in (t0, t1, t2, t3)]

    def answer(client, task, result, **extra):
        reply = client.post(f"/api/tasks/{task['id']}/annotations", json={"result": result, "lead_time": 3.5,
                                                                           **extra})
        assert reply.status_code == 201, reply.text

    prediction = t0["predictions"][0]
    accepted = prediction["result"][0]["value"]["choices"][0]
    answer(admin, t0, [{**r, "origin": "prediction"} for r in prediction["result"]],
           parent_prediction=prediction["id"])                       # a pre-fill accepted unchanged
    answer(bo, t0, _choice(accepted))
    answer(admin, t1, _choice(truth[row[1]]))                          # the two annotators disagree
    answer(bo, t1, _choice(_other(truth[row[1]])))
    answer(admin, t2, _choice(truth[row[2]]))
    answer(bo, t2, [], was_cancelled=True)                             # bo skips the task
    answer(bo, t3, _choice(truth[row[3]]))
    # an export names an annotator by user id: ask the server (other test files sign up users of their own)
    one, two = (f"user-{client.get('/api/current-user/whoami').json()['id']}" for client in (admin, bo))
    expected = {(row[0], one, accepted), (row[0], two, accepted),
                (row[1], one, truth[row[1]]), (row[1], two, _other(truth[row[1]])),
                (row[2], one, truth[row[2]]), (row[3], two, truth[row[3]])}
    return {"project": pid, "rows": row, "expected": expected, "base": base, "users": (one, two)}


@pytest.fixture(scope="module")
def exports(label_studio, annotated):
    """Every export format the server offers for the project: direct (GET export) and through a snapshot."""
    pid, base = annotated["project"], annotated["base"]
    with LabelStudioAPI(label_studio.url, token=label_studio.token) as api:
        offered = api.export_formats(pid)
        files = {}
        for kind in offered:
            files[f"direct-{kind}"] = base / f"direct-{kind.lower()}{SUFFIX[kind]}"
            files[f"direct-{kind}"].write_bytes(api.export(pid, kind))
        for kind, body in api.snapshot(pid, offered).items():
            files[f"snapshot-{kind}"] = base / f"snapshot-{kind.lower()}{SUFFIX[kind]}"
            files[f"snapshot-{kind}"].write_bytes(body)
    return offered, files


def test_the_server_offers_the_formats_weaksup_reads(exports):
    offered, files = exports
    assert sorted(offered) == ["CSV", "JSON", "JSON_MIN", "TSV"]
    assert len(files) == 8


@pytest.mark.parametrize("source", ["direct", "snapshot"])
@pytest.mark.parametrize("kind", ["JSON", "JSON_MIN", "CSV", "TSV"])
def test_every_export_imports_into_gold_v2(source, kind, exports, annotated, shipped_run, tmp_path, capsys):
    file = exports[1][f"{source}-{kind}"]
    gold_dir = shutil.copytree(shipped_run / "gold", tmp_path / "gold")
    run_dir = repoint_gold(shutil.copytree(shipped_run / "run", tmp_path / "run"), gold_dir)  # the run reads the copy
    answers = read_export(file, ["ham", "spam"], format=FORMAT[kind])
    assert answers.cancelled == (1 if kind == "JSON" else 0)  # only JSON carries the skipped annotation
    origin = dict(zip(zip(answers.frame["row_id"], answers.frame["annotator"]), answers.frame["origin"]))
    one, two = annotated["users"]
    if kind == "JSON":  # the accepted pre-fill is told apart from typed answers
        assert "prediction" in origin[(annotated["rows"][0], one)]
        assert "prediction" not in origin[(annotated["rows"][0], two)]
    code, out, err = cli(capsys, "review", "import", file, "--task", "youtube_spam", "--gold-dir", gold_dir, "--run",
                         run_dir)
    assert code == 0, err
    assert "v1 -> v2" in out and "4 new row(s)" in out and "1 row(s) with disagreeing labels" in out
    gold = load_gold(gold_dir)
    new = gold.frame[gold.frame["row_id"].isin(annotated["rows"])]
    assert gold.version == 2 and set(zip(new["row_id"], new["annotator"], new["label"])) == annotated["expected"]
    # the counts are the rows the labels use: row 1's two annotators tie, so 3 of the 4 new dev rows
    assert (new["split"] == "dev").all() and gold.counts() == {"dev": 286 + 3, "test": 290}
    if kind == "JSON":  # the gold set keeps which answer was the accepted pre-fill
        kept = dict(zip(zip(new["row_id"], new["annotator"]), new["origin"]))
        assert kept[(annotated["rows"][0], one)] == "prediction"
        assert kept[(annotated["rows"][1], one)] != "prediction"


def test_import_with_url_records_annotators_by_email(label_studio, exports, annotated, shipped_run, tmp_path, capsys,
                                                     monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, label_studio.token)
    gold_dir = shutil.copytree(shipped_run / "gold", tmp_path / "gold")
    code, out, err = cli(capsys, "review", "import", exports[1]["snapshot-CSV"], "--task", "youtube_spam",
                         "--gold-dir", gold_dir, "--url", label_studio.url)
    assert code == 0, err
    by_user = dict(zip(annotated["users"], (label_studio.username, BO)))
    expected = {(r, by_user[a], lab) for r, a, lab in annotated["expected"]}
    new = load_gold(gold_dir).frame
    new = new[new["row_id"].isin(annotated["rows"])]
    assert set(zip(new["row_id"], new["annotator"], new["label"])) == expected


def test_skip_policy_leaves_the_disagreement_out(exports, annotated, shipped_run, tmp_path, capsys):
    gold_dir = shutil.copytree(shipped_run / "gold", tmp_path / "gold")
    code, out, err = cli(capsys, "review", "import", exports[1]["direct-JSON"], "--task", "youtube_spam",
                         "--gold-dir", gold_dir, "--on-conflict", "skip")
    assert code == 0, err
    kept = set(load_gold(gold_dir).frame["row_id"]) & set(annotated["rows"])
    assert kept == set(annotated["rows"]) - {annotated["rows"][1]}


def test_push_then_pull_round_trip(label_studio, bo_token, shipped_run, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, label_studio.token)
    gold_dir = shutil.copytree(shipped_run / "gold", tmp_path / "gold")
    run_dir = repoint_gold(shutil.copytree(shipped_run / "run", tmp_path / "run"), gold_dir)  # the run reads the copy
    url = label_studio.url
    code, out, err = cli(capsys, "review", "push", run_dir, "--url", url, "--project", "yt round trip",
                         "--budget", 6)
    assert code == 0, err
    assert "6 row(s) in the review queue" in out and "6 task(s) pushed, 0 already there" in out
    assert (run_dir / "review" / "tasks.json").is_file()
    code, out, err = cli(capsys, "review", "push", run_dir, "--url", url, "--project", "yt round trip",
                         "--budget", 6)
    assert code == 0 and "0 task(s) pushed, 6 already there" in out  # pushing again adds nothing
    with LabelStudioAPI(url) as api:
        project = api.project("yt round trip")
        assert api.task_data(project["id"]) and len(api.task_data(project["id"])) == 6
    admin = httpx.Client(base_url=url, headers=label_studio.headers, timeout=60)
    bo = httpx.Client(base_url=url, headers={"Authorization": f"Token {bo_token}"}, timeout=60)
    tasks = admin.get("/api/tasks", params={"project": project["id"], "page_size": 100}).json()["tasks"]
    for client, task, label in ((admin, tasks[0], "spam"), (bo, tasks[0], "spam"), (bo, tasks[1], "ham")):
        reply = client.post(f"/api/tasks/{task['id']}/annotations", json={"result": _choice(label)})
        assert reply.status_code == 201, reply.text
    pat = admin.post("/api/token/").json()["token"]  # a personal access token (a JWT refresh token) works too
    monkeypatch.setenv(TOKEN_ENV, pat)
    code, out, err = cli(capsys, "review", "pull", "yt round trip", "--url", url, "--gold-dir", gold_dir, "--run",
                         run_dir, "--save", tmp_path / "pulled.json")
    assert code == 0, err
    assert "v1 -> v2" in out and "2 new row(s)" in out
    gold = load_gold(gold_dir)
    new = gold.frame[gold.frame["row_id"].isin([tasks[0]["data"]["row_id"], tasks[1]["data"]["row_id"]])]
    assert set(zip(new["row_id"], new["annotator"], new["label"])) == {
        (tasks[0]["data"]["row_id"], label_studio.username, "spam"), (tasks[0]["data"]["row_id"], BO, "spam"),
        (tasks[1]["data"]["row_id"], BO, "ham")}
    assert json.loads((tmp_path / "pulled.json").read_text())  # the export pulled, kept on request
    code, out, err = cli(capsys, "review", "pull", str(project["id"]), "--url", url, "--gold-dir", gold_dir)
    assert code == 0, err
    assert "unchanged at v2" in out and load_gold(gold_dir).version == 2  # the same answers again: no new version


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_api_errors_exit_2_naming_the_url_and_the_fix(label_studio, shipped_run, tmp_path, capsys, monkeypatch):
    url = label_studio.url
    gold_dir = shutil.copytree(shipped_run / "gold", tmp_path / "gold")
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    code, _, err = cli(capsys, "review", "pull", "1", "--url", url, "--gold-dir", gold_dir)
    assert code == 2 and f"set ${TOKEN_ENV}" in err and "Traceback" not in err
    monkeypatch.setenv(TOKEN_ENV, "not-the-token-0000")
    code, _, err = cli(capsys, "review", "push", shipped_run / "run", "--url", url)
    assert code == 2 and f"Label Studio at {url} refused the token in ${TOKEN_ENV} (401" in err
    monkeypatch.setenv(TOKEN_ENV, label_studio.token)
    down = f"http://127.0.0.1:{_free_port()}"
    code, _, err = cli(capsys, "review", "pull", "1", "--url", down, "--gold-dir", gold_dir)
    assert code == 2 and f"cannot reach Label Studio at {down}" in err and "pass the address" in err
    for ref in ("no such project", "99999"):
        code, _, err = cli(capsys, "review", "pull", ref, "--url", url, "--gold-dir", gold_dir)
        assert code == 2 and f"no project {ref!r} at {url}" in err
    with LabelStudioAPI(url) as api:
        api.create_project("three classes", labeling_config(["ham", "spam", "other"]))
    code, _, err = cli(capsys, "review", "push", shipped_run / "run", "--url", url, "--project", "three classes")
    assert code == 2 and "labels ['ham', 'spam', 'other'], but the run's classes are ['ham', 'spam']" in err
    code, _, err = cli(capsys, "review", "pull", "three classes", "--url", url, "--gold-dir", gold_dir)
    assert code == 2 and "pass --task TASK" in err
    code, _, err = cli(capsys, "review", "pull", "1", "--url", "localhost:8080", "--gold-dir", gold_dir)
    assert code == 2 and "give it as http://HOST:PORT" in err
    assert load_gold(gold_dir).version == 1


def test_tsv_export_under_the_name_the_server_gives_it(label_studio, annotated, shipped_run, tmp_path, capsys):
    reply = httpx.get(f"{label_studio.url}/api/projects/{annotated['project']}/export", params={"exportType": "TSV"},
                      headers=label_studio.headers, timeout=60)
    name = reply.headers["content-disposition"].split("filename=")[1].strip('"')
    assert name.endswith(".csv")  # the server's own name for a tab-separated file
    (tmp_path / name).write_bytes(reply.content)
    gold_dir = shutil.copytree(shipped_run / "gold", tmp_path / "gold")
    code, out, err = cli(capsys, "review", "import", tmp_path / name, "--task", "youtube_spam", "--gold-dir", gold_dir)
    assert code == 0, err
    assert load_gold(gold_dir).version == 2
