"""Label Studio over its HTTP API: push a run's review tasks into a project, pull the answers back, no file shuffling.

:class:`LabelStudioAPI` speaks to a Label Studio server (1.x: ``/api/projects``, ``/api/projects/<id>/import``,
``/api/tasks``, ``/api/users``, ``/api/projects/<id>/export``, the snapshot ``/api/projects/<id>/exports/``) with
``httpx``. The token comes from the environment, :data:`TOKEN_ENV` (``LABEL_STUDIO_API_KEY``, as Label Studio's own
SDK reads it), never from the command line: a legacy token (``Authorization: Token <key>``) or a personal access
token (a JWT, exchanged at ``/api/token/refresh/`` for a short-lived ``Bearer`` access token).

Every failure is a :class:`~weaksup.errors.ReviewError` naming the URL and the fix: the server down, a refused
token, an unknown project.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from weaksup.errors import ReviewError, WeakSupError
from weaksup.review.labelstudio_push import count_fitting_tasks, iter_batches, request_batches

if TYPE_CHECKING:
    import httpx

__all__ = ["EXPORT_TYPES", "MAX_REQUEST_BYTES", "TOKEN_ENV", "LabelStudioAPI", "check_project_classes",
           "check_task_sizes", "import_project_export", "project_labels", "task_batches", "task_of_project", "user_emails"]

#: The environment variable holding the Label Studio API token.
TOKEN_ENV = "LABEL_STUDIO_API_KEY"
#: The export types weaksup reads (Label Studio's names), in the order tried.
EXPORT_TYPES = ("JSON", "JSON_MIN", "CSV", "TSV")
#: The most bytes of task JSON sent in one import request: well below Label Studio's DATA_UPLOAD_MAX_MEMORY_SIZE
#: (250 MB by default), over which the server answers 500 ("You cannot access body after reading ...").
MAX_REQUEST_BYTES = 50_000_000
logger = logging.getLogger(__name__)
_TASK_MARK = re.compile(r"weaksup task: ([^\s;]+)")


class LabelStudioAPI:
    """A Label Studio server at ``url``, authenticated with a token (default: ``$LABEL_STUDIO_API_KEY``).

    Examples
    --------
    >>> api = LabelStudioAPI("http://127.0.0.1:8080", token="0123456789abcdef")
    >>> api.url
    'http://127.0.0.1:8080'
    """

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 60.0) -> None:
        url = url.strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", url):
            raise ReviewError(f"--url {url!r} is not a Label Studio address; give it as http://HOST:PORT (e.g. "
                              "http://localhost:8080)")
        self.url = url
        token = (token if token is not None else os.environ.get(TOKEN_ENV, "")).strip()
        if not token:
            raise ReviewError(f"no Label Studio token: set ${TOKEN_ENV} to your API token (Label Studio at {url}: "
                              "Account & Settings > Personal Access Token, or the legacy token)")
        try:
            import httpx
        except ImportError:
            raise ReviewError("talking to Label Studio needs httpx: pip install 'weaksup[labelstudio]' "
                              "(or pip install httpx)") from None
        self._httpx = httpx
        self._token = token
        self._client = httpx.Client(base_url=url, timeout=timeout)
        self._auth = ""

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> LabelStudioAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ----------------------------------------------------------------------------------------------
    def _authorization(self) -> str:
        if self._auth:
            return self._auth
        if self._token.count(".") == 2:  # a personal access token (JWT refresh token): exchange it
            reply = self._send("POST", "/api/token/refresh/", json={"refresh": self._token}, auth=False)
            access = reply.json().get("access") if reply.headers.get("content-type", "").startswith(
                "application/json") else None
            if not access:
                raise ReviewError(f"Label Studio at {self.url} gave no access token for the personal access token in "
                                  f"${TOKEN_ENV}; create a new one (Account & Settings)")
            self._auth = f"Bearer {access}"
        else:
            self._auth = f"Token {self._token}"
        return self._auth

    def _send(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), **({"Authorization": self._authorization()} if auth else {})}
        try:
            reply = self._client.request(method, path, headers=headers, **kwargs)
        except self._httpx.TimeoutException:
            raise ReviewError(f"Label Studio at {self.url} did not answer {method} {path} in time; is the server "
                              "overloaded? Try again, or check its log") from None
        except self._httpx.HTTPError as exc:
            raise ReviewError(f"cannot reach Label Studio at {self.url} ({type(exc).__name__}: {exc}); start it "
                              "(`label-studio start`) or pass the address it serves on as --url") from None
        if reply.status_code in (401, 403):
            raise ReviewError(f"Label Studio at {self.url} refused the token in ${TOKEN_ENV} ({reply.status_code}: "
                              f"{_detail(reply)}); set ${TOKEN_ENV} to a valid token of that server (Account & "
                              "Settings; a legacy token needs legacy tokens enabled in Organization > API Tokens)")
        return reply

    def request(self, method: str, path: str, *, what: str, **kwargs: Any) -> Any:
        """Send one request; return the JSON (or the bytes of a non-JSON body); a ReviewError on any failure."""
        reply = self._send(method, path, **kwargs)
        if reply.status_code >= 400:
            raise ReviewError(f"Label Studio at {self.url} could not {what} ({method} {path}: {reply.status_code} "
                              f"{_detail(reply)})")
        if reply.headers.get("content-type", "").startswith("application/json") and "attachment" not in \
                reply.headers.get("content-disposition", ""):
            return reply.json() if reply.content else None
        return reply.content

    # -- projects ----------------------------------------------------------------------------------------------
    def projects(self) -> list[dict[str, Any]]:
        """Every project the token can see (id, title, ...)."""
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.request("GET", "/api/projects", params={"page": page, "page_size": 100},
                                what="list the projects")
            items = body.get("results", []) if isinstance(body, dict) else list(body or [])
            out.extend(items)
            if not isinstance(body, dict) or not body.get("next"):
                return out
            page += 1

    def find_project(self, ref: str | int) -> dict[str, Any] | None:
        """The project with id ``ref`` (digits) or the title ``ref``; None when there is none."""
        ref = str(ref).strip()
        if ref.isdigit():
            reply = self._send("GET", f"/api/projects/{ref}")
            if reply.status_code == 404:
                return None
            if reply.status_code != 200:
                raise ReviewError(f"Label Studio at {self.url} could not read project {ref} ({reply.status_code} "
                                  f"{_detail(reply)})")
            return dict(reply.json())
        found = [p for p in self.projects() if str(p.get("title", "")) == ref]
        if len(found) > 1:
            raise ReviewError(f"{len(found)} projects at {self.url} are titled {ref!r} (ids "
                              f"{sorted(p['id'] for p in found)}); pass the project id instead")
        return self.find_project(int(found[0]["id"])) if found else None

    def project(self, ref: str | int) -> dict[str, Any]:
        """The project with id ``ref`` (digits) or the title ``ref``; a ReviewError naming the known ones otherwise."""
        found = self.find_project(ref)
        if found is None:
            known = ", ".join(f"{p['id']} {p.get('title', '')!r}" for p in self.projects()[:20]) or "none"
            raise ReviewError(f"no project {str(ref).strip()!r} at {self.url} (its projects: {known}); pass a project "
                              "id or title, or push the tasks first (`weaksup review push RUN_DIR --url ...`)")
        return found

    def create_project(self, title: str, label_config: str, *, description: str = "") -> dict[str, Any]:
        """A new project with ``label_config``."""
        body = self.request("POST", "/api/projects", what=f"create project {title!r}",
                            json={"title": title, "label_config": label_config, "description": description})
        return dict(body)

    def import_tasks(self, project_id: int, tasks: Iterable[dict[str, Any]], *, chunk: int = 1000,
                     max_bytes: int | None = None) -> int:
        """Import ``tasks`` (with their predictions) into the project, in requests of at most ``chunk`` tasks and
        ``max_bytes`` of JSON (:func:`task_batches`); returns the number imported. ``tasks`` is read as a stream:
        memory holds one request. A task over ``max_bytes`` (default :data:`MAX_REQUEST_BYTES`) is refused
        (:func:`check_task_sizes`): in a list, before anything is sent; in a stream, when it comes (check a stream
        first, as :func:`~weaksup.review.labelstudio_push.push_file`'s caller does)."""
        max_bytes = max_bytes or MAX_REQUEST_BYTES
        if isinstance(tasks, Sequence):
            count_fitting_tasks(tasks, max_bytes=max_bytes)

        done = 0

        def checked(stream: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            for task in stream:
                count_fitting_tasks([task], max_bytes=max_bytes, outcome=f"the {done} task(s) before it were imported")
                yield task

        stream = tasks if isinstance(tasks, Sequence) else checked(tasks)
        for batch in request_batches(stream, max_bytes=max_bytes, max_tasks=chunk):
            body = self.request("POST", f"/api/projects/{project_id}/import", what=f"import tasks into project "
                                f"{project_id}", content=b"[" + b",".join(batch) + b"]",
                                headers={"Content-Type": "application/json"})
            done += int(body.get("task_count", 0)) if isinstance(body, dict) else 0
        return done

    def task_data(self, project_id: int) -> list[dict[str, Any]]:
        """The ``data`` of every task of the project."""
        return list(self.iter_task_data(project_id))

    def iter_task_data(self, project_id: int) -> Iterator[dict[str, Any]]:
        """The ``data`` of every task of the project, a page (500 tasks) at a time."""
        page, seen = 1, 0
        while True:
            reply = self._send("GET", "/api/tasks", params={"project": project_id, "page": page, "page_size": 500,
                                                            "fields": "task_only"})
            if reply.status_code == 404:  # past the last page
                return
            if reply.status_code >= 400:
                raise ReviewError(f"Label Studio at {self.url} could not list the tasks of project {project_id} "
                                  f"({reply.status_code} {_detail(reply)})")
            body = reply.json()
            tasks = body.get("tasks", []) if isinstance(body, dict) else body
            yield from (t.get("data", {}) for t in tasks)
            seen += len(tasks)
            total = body.get("total", seen) if isinstance(body, dict) else seen
            if not tasks or seen >= int(total):
                return
            page += 1

    def users(self) -> dict[int, str]:
        """``{user id: e-mail}`` of the organization's users."""
        body = self.request("GET", "/api/users", what="list the users")
        return {int(u["id"]): str(u.get("email") or "") for u in body or [] if isinstance(u, dict) and "id" in u}

    # -- exports -----------------------------------------------------------------------------------------------
    def export_formats(self, project_id: int) -> list[str]:
        """The export types the server offers for this project (its labeling config), e.g. JSON, JSON_MIN, CSV."""
        body = self.request("GET", f"/api/projects/{project_id}/export/formats", what="list the export formats")
        return [str(f["name"]) for f in body or [] if isinstance(f, dict) and not f.get("disabled")]

    def export(self, project_id: int, export_type: str = "JSON") -> bytes:
        """The project's annotated tasks in ``export_type`` (``GET /api/projects/<id>/export``)."""
        body = self.request("GET", f"/api/projects/{project_id}/export", params={"exportType": export_type},
                            what=f"export project {project_id} as {export_type}")
        return body if isinstance(body, bytes) else str(body).encode()

    def snapshot(self, project_id: int, export_types: Sequence[str] = ("JSON",), *,
                 timeout: float = 120.0) -> dict[str, bytes]:
        """A snapshot export (``POST /api/projects/<id>/exports/``), converted to each type and downloaded."""
        base = f"/api/projects/{project_id}/exports"
        snap = self.request("POST", f"{base}/", json={}, what=f"make a snapshot export of project {project_id}")
        sid = snap["id"]
        for kind in export_types:
            if kind != "JSON":
                self.request("POST", f"{base}/{sid}/convert", json={"export_type": kind},
                             what=f"convert snapshot {sid} to {kind}")
        deadline = time.monotonic() + timeout
        while True:
            state = self.request("GET", f"{base}/{sid}", what=f"read snapshot {sid}")
            statuses = [state.get("status")] + [f.get("status") for f in state.get("converted_formats", [])]
            if "failed" in statuses:
                raise ReviewError(f"Label Studio at {self.url}: snapshot export {sid} of project {project_id} "
                                  f"failed: {state}")
            converted = {f.get("export_type") for f in state.get("converted_formats", [])
                         if f.get("status") == "completed"}
            if state.get("status") == "completed" and set(export_types) - {"JSON"} <= converted:
                break
            if time.monotonic() > deadline:
                raise ReviewError(f"Label Studio at {self.url}: snapshot export {sid} not ready after {timeout:.0f} s")
            time.sleep(0.2)
        out = {}
        for kind in export_types:
            body = self.request("GET", f"{base}/{sid}/download", params={"exportType": kind},
                                what=f"download snapshot {sid} as {kind}")
            out[kind] = body if isinstance(body, bytes) else str(body).encode()
        return out


def task_batches(sizes: Sequence[int], *, max_bytes: int = MAX_REQUEST_BYTES, max_tasks: int = 1000) -> list[range]:
    """The import requests of tasks whose JSON is ``sizes`` bytes (the rule of
    :func:`~weaksup.review.labelstudio_push.iter_batches`: at most ``max_tasks`` tasks and ``max_bytes`` bytes, the
    brackets and commas counted; a task over ``max_bytes`` goes alone, and :func:`check_task_sizes` refuses it first).

    Examples
    --------
    >>> task_batches([40, 40, 40, 10, 90], max_bytes=100)
    [range(0, 2), range(2, 4), range(4, 5)]
    >>> task_batches([1] * 5, max_tasks=2)
    [range(0, 2), range(2, 4), range(4, 5)]
    """
    return list(iter_batches(sizes, max_bytes=max_bytes, max_tasks=max_tasks))


def check_task_sizes(tasks: Iterable[dict[str, Any]], *, max_bytes: int | None = None,
                     sizes: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """``tasks`` (a list) when each fits in one import request (``max_bytes`` of JSON, default
    :data:`MAX_REQUEST_BYTES`); else a :class:`~weaksup.errors.ReviewError` naming the rows over it and the fix
    (``review push`` checks first). :func:`~weaksup.review.labelstudio_push.count_fitting_tasks` checks a stream
    without holding it.

    Examples
    --------
    >>> tasks = [{"data": {"row_id": "a", "image": "data:image/png;base64,AAAA"}},
    ...          {"data": {"row_id": "b", "image": "data:image/png;base64," + "A" * 400}}]
    >>> len(check_task_sizes(tasks, max_bytes=300))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    weaksup.errors.ReviewError: 1 review task(s) are too large to import into Label Studio (over 300 bytes of JSON \
each): row 'b' (4... bytes). ...
    """
    tasks = list(tasks)
    count_fitting_tasks(tasks, max_bytes=max_bytes or MAX_REQUEST_BYTES, sizes=sizes)
    return tasks


def _detail(reply: httpx.Response) -> str:
    try:
        body = reply.json()
    except ValueError:
        return reply.text[:200]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("validation_errors") or body)[:300]
    return str(body)[:300]


def project_labels(project: dict[str, Any], from_name: str = "label") -> list[str]:
    """The class names of the project's ``<Choices name=from_name>`` tag, in order.

    Examples
    --------
    >>> project_labels({"parsed_label_config": {"label": {"type": "Choices", "labels": ["ham", "spam"]}}})
    ['ham', 'spam']
    """
    tag = (project.get("parsed_label_config") or {}).get(from_name)
    if not isinstance(tag, dict) or not tag.get("labels"):
        names = sorted((project.get("parsed_label_config") or {}).keys())
        raise ReviewError(f"project {project.get('id')} {project.get('title', '')!r} has no <Choices "
                          f"name={from_name!r}> tag in its labeling config (its control tags: {names}); pass the "
                          "<Choices> name as --from-name, or push the tasks with `weaksup review push`")
    return [str(x) for x in tag["labels"]]


def check_project_classes(project: dict[str, Any], classes: Sequence[str], url: str, *, fix: str,
                          from_name: str = "label") -> None:
    """The project's ``<Choices>`` classes are ``classes`` (the run's or task's), in order; else a
    :class:`~weaksup.errors.ReviewError` naming the project (id, title, URL), both lists and ``fix``
    (``weaksup review push`` and ``pull`` check the same way).

    Examples
    --------
    >>> project = {"id": 1, "title": "spam", "parsed_label_config": {"label": {"type": "Choices",
    ...                                                                        "labels": ["ham", "spam"]}}}
    >>> check_project_classes(project, ["ham", "spam"], "http://127.0.0.1:8080", fix="use another project")
    >>> check_project_classes(project, ["bug", "other"], "http://127.0.0.1:8080", fix="use another project")
    Traceback (most recent call last):
    weaksup.errors.ReviewError: project 1 'spam' at http://127.0.0.1:8080 labels ['ham', 'spam'], but the run's \
classes are ['bug', 'other']; use another project
    """
    labels = project_labels(project, from_name)
    if labels != list(classes):
        raise ReviewError(f"project {project.get('id')} {project.get('title')!r} at {url} labels {labels}, but the "
                          f"run's classes are {list(classes)}; {fix}")


def user_emails(api: LabelStudioAPI) -> dict[int, str]:
    """The server's ``{user id: e-mail}``; empty (annotators stay ``user-<id>``) when the token may not list users."""
    try:
        return api.users()
    except ReviewError as exc:
        logger.warning("annotators recorded as user-<id>: %s", exc)
        return {}


def task_of_project(project: dict[str, Any]) -> str:
    """The weaksup task a pushed project is for (``weaksup task: NAME`` in its description), or ``""``.

    Examples
    --------
    >>> task_of_project({"description": "weaksup task: youtube_spam; rules 1a2b"})
    'youtube_spam'
    """
    found = _TASK_MARK.search(str(project.get("description") or ""))
    return found.group(1) if found else ""


def import_project_export(api: LabelStudioAPI, project_id: int, save: Path | None, read: Callable[[Path], str]) -> str:
    """Pull the project's JSON export into a file (``save``, else a temporary one) and return ``read(file)`` (an
    import of it: what to print); messages about the export, and errors raised, name ``project N at URL``, not the
    temporary file (``weaksup review pull`` of a classification, multi-label or span project)."""
    export, where = api.export(project_id, "JSON"), f"project {project_id} at {api.url}"
    with tempfile.TemporaryDirectory(prefix="weaksup-pull-") as tmp:
        file = save or Path(tmp) / f"labelstudio-project-{project_id}.json"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(export)
        name = str(file) if save is not None else where  # the project, not the temporary file; --save as given
        try:
            said = read(file)
        except WeakSupError as exc:
            exc.args = tuple(a.replace(str(file), name) if isinstance(a, str) else a for a in exc.args)
            raise
        return said.replace(str(file), name)
