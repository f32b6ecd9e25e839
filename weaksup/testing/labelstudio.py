"""A real Label Studio server for tests and CI: started on 127.0.0.1 with a temp data dir and a known token.

Label Studio lives in its own venv (it pins ``pyarrow<25``; ``make labelstudio`` builds ``.venv-labelstudio``).
:func:`find_label_studio` locates its ``label-studio`` executable; :class:`LabelStudioServer` starts it on a
free loopback port with ``--internal-host 127.0.0.1``, a fresh ``--data-dir``, an admin user (``--username``,
``--password``) whose legacy API token is ``--user-token`` (``--enable-legacy-api-token``), with its PyPI version
check and analytics off (``LABEL_STUDIO_LATEST_VERSION_CHECK=false``, ``LABEL_STUDIO_COLLECT_ANALYTICS=false``:
nothing leaves the machine), waits for ``/health`` and stops it (SIGTERM to its process group, then SIGKILL).

A fresh database takes Label Studio's ~400 migrations (a minute or two on two busy cores), so the migrated empty
database is kept once per Label Studio venv (``<venv>/weaksup-db-template/``, made by ``make labelstudio`` or by the
first start) and each server starts from a copy of it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import NoReturn

from weaksup.errors import ReviewError

__all__ = ["LABEL_STUDIO_ENV", "LabelStudioServer", "find_label_studio", "migrated_template"]

#: The environment variable that names a ``label-studio`` executable (else ``.venv-labelstudio`` is looked for).
LABEL_STUDIO_ENV = "WEAKSUP_LABEL_STUDIO"
_REPO = Path(__file__).resolve().parents[2]
_STARTED = re.compile(r"Starting development server at (http://127\.0\.0\.1:\d+)/")
_DB = "label_studio.sqlite3"
#: Label Studio's environment: no PyPI version check, no analytics (nothing leaves the machine).
QUIET_ENV = {"LABEL_STUDIO_LATEST_VERSION_CHECK": "false", "LABEL_STUDIO_COLLECT_ANALYTICS": "false"}


def find_label_studio(root: str | os.PathLike[str] | None = None) -> Path | None:
    """The ``label-studio`` executable: ``$WEAKSUP_LABEL_STUDIO``, else ``ROOT/.venv-labelstudio/bin/label-studio``.

    ``root`` defaults to the weaksup checkout this module lives in. None when neither exists.

    Examples
    --------
    >>> find_label_studio("/nonexistent") is None or bool(os.environ.get(LABEL_STUDIO_ENV))
    True
    """
    named = os.environ.get(LABEL_STUDIO_ENV, "").strip()
    if named:
        path = Path(named)
        return path if path.is_file() else None
    path = Path(root or _REPO) / ".venv-labelstudio" / "bin" / "label-studio"
    return path if path.is_file() else None


def migrated_template(executable: str | os.PathLike[str], *, timeout: float = 900.0) -> Path:
    """The migrated empty database of this Label Studio, made once (``label-studio version`` migrates, then exits).

    Kept in ``<venv>/weaksup-db-template/label_studio.sqlite3`` beside the venv's ``bin/``; made in a temp folder and
    moved into place, so concurrent first starts are safe.
    """
    executable = Path(executable).absolute()
    folder = executable.parent.parent / "weaksup-db-template"
    target = folder / _DB
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="migrate-", dir=folder))
    try:
        done = subprocess.run([str(executable), "version", "--data-dir", str(work)], cwd=work, timeout=timeout,
                              env={**os.environ, **QUIET_ENV, "LABEL_STUDIO_BASE_DATA_DIR": str(work)},
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not (work / _DB).is_file():
            raise ReviewError(f"`{executable} version` could not create Label Studio's database (exit code "
                              f"{done.returncode}): {(done.stderr or done.stdout)[-1500:]}; rebuild the venv with "
                              "`make clean labelstudio`")
        os.replace(work / _DB, target)
    except subprocess.TimeoutExpired:
        raise ReviewError(f"Label Studio's database migrations took over {timeout:.0f} s ({executable})") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LabelStudioServer:
    """A Label Studio server on a free 127.0.0.1 port with a throw-away data dir; a context manager.

    Parameters
    ----------
    executable : path, optional
        The ``label-studio`` script; default :func:`find_label_studio`.
    username, password : str
        The admin user (an e-mail) created at start.
    token : str
        That user's legacy API token (``Authorization: Token <token>``); more than 5 characters.
    data_dir : path, optional
        Label Studio's database and media; a temp folder (removed at stop) by default.
    start_timeout : float, default 180
        Seconds to wait for ``/health`` (a first start runs the database migrations: ~20-40 s).

    Attributes
    ----------
    started_in : float
        Seconds from the start to the first answer of ``/health``.
    log_path : Path
        The server's stdout and stderr.

    Examples
    --------
    >>> with LabelStudioServer() as server:  # doctest: +SKIP
    ...     httpx.get(server.url + "/api/projects", headers=server.headers).status_code
    200
    """

    def __init__(self, executable: str | os.PathLike[str] | None = None, *,
                 username: str = "admin@weaksup.test", password: str = "weaksup-admin-pass",
                 token: str = "weaksup-test-token-0123456789", data_dir: str | os.PathLike[str] | None = None,
                 start_timeout: float = 180.0) -> None:
        found = Path(executable) if executable is not None else find_label_studio()
        if found is None or not found.is_file():
            raise ReviewError(f"no label-studio executable ({executable or 'not found'}); run `make labelstudio` "
                              f"(it builds .venv-labelstudio) or set ${LABEL_STUDIO_ENV} to a label-studio script")
        if len(token) <= 5:
            raise ReviewError(f"token {token!r} is too short; Label Studio ignores user tokens of 5 characters or less")
        self.executable = found.absolute()
        self.username, self.password, self.token = username, password, token
        self.start_timeout = float(start_timeout)
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir) if data_dir is not None else Path(tempfile.mkdtemp(prefix="weaksup-ls-"))
        self.log_path = self.data_dir / "label-studio.log"
        self._url = ""
        self._began = 0.0
        self.started_in = float("nan")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def headers(self) -> dict[str, str]:
        """The admin's ``Authorization`` header."""
        return {"Authorization": f"Token {self.token}"}

    def __enter__(self) -> LabelStudioServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``; waits for the server when it was started with ``start(wait=False)``."""
        return self._url or self.wait()

    def start(self, *, wait: bool = True) -> str:
        """Start the server; with ``wait``, wait until ``/health`` answers and return :attr:`url` (else ``""``).

        ``start(wait=False)`` lets the caller work while the server boots; :attr:`url` (or :meth:`wait`) waits.
        """
        port = _free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if not (self.data_dir / _DB).is_file():
            shutil.copyfile(migrated_template(self.executable), self.data_dir / _DB)
        env = {**os.environ, **QUIET_ENV, "LABEL_STUDIO_BASE_DATA_DIR": str(self.data_dir), "PYTHONUNBUFFERED": "1"}
        for name in ("LABEL_STUDIO_USERNAME", "LABEL_STUDIO_PASSWORD", "LABEL_STUDIO_USER_TOKEN", "DJANGO_DB"):
            env.pop(name, None)
        args = [str(self.executable), "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port),
                "--data-dir", str(self.data_dir), "--username", self.username, "--password", self.password,
                "--user-token", self.token, "--enable-legacy-api-token"]
        self._began = time.monotonic()
        with open(self.log_path, "wb") as log:
            # its own session: stop() signals the whole group; cwd = the data dir (it reads git info from its cwd)
            self._process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             cwd=self.data_dir, env=env, start_new_session=True)
        return self.wait() if wait else ""

    def wait(self) -> str:
        """Wait until the started server answers ``/health``; returns :attr:`url`."""
        import httpx

        if self._url:
            return self._url
        if self._process is None:
            raise ReviewError(f"the Label Studio server ({self.executable}) is not started; call start() first")
        deadline = self._began + self.start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._fail(f"label-studio exited with code {self._process.returncode} before it answered")
            found = _STARTED.search(self.log_path.read_text(encoding="utf-8", errors="replace"))
            if found:
                try:
                    if httpx.get(found.group(1) + "/health", timeout=5).status_code == 200:
                        self._url = found.group(1)
                        self.started_in = time.monotonic() - self._began
                        return self._url
                except httpx.HTTPError:
                    pass
            time.sleep(0.25)
        self._fail(f"label-studio did not answer /health within {self.start_timeout:.0f} s")

    def sign_up(self, email: str, password: str) -> str:
        """Sign a new user up through Label Studio's web form (as a person would) and return their API token."""
        import httpx

        with httpx.Client(base_url=self.url, timeout=30) as browser:
            form = browser.get("/user/signup/")
            csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
            if csrf is None:
                raise ReviewError(f"no sign-up form at {self.url}/user/signup/ (status {form.status_code})")
            done = browser.post("/user/signup/", data={"csrfmiddlewaretoken": csrf.group(1), "email": email,
                                                       "password": password})
            if done.status_code != 302:
                raise ReviewError(f"signing {email} up at {self.url} failed ({done.status_code}): {done.text[:300]}")
            return str(browser.get("/api/current-user/token").json()["token"])

    def _fail(self, what: str) -> NoReturn:
        tail = self.log_path.read_text(encoding="utf-8", errors="replace")[-2000:] if self.log_path.is_file() else ""
        self.stop(remove=False)
        raise ReviewError(f"{what} ({self.executable}); its log {self.log_path} ends:\n{tail}")

    def stop(self, *, remove: bool = True) -> None:
        """Stop the server (SIGTERM to its process group, SIGKILL after 15 s) and remove its temp data dir."""
        process, self._process, self._url = self._process, None, ""
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
            except ProcessLookupError:
                pass
        if remove and self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
