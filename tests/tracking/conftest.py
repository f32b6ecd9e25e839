"""Fixtures of the MLflow tests: a real ``mlflow server`` on 127.0.0.1; a check that no artefact folder is
orphaned."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

SERVER_START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def mlflow_server_folder(tmp_path_factory) -> Path:
    """The folder of :func:`mlflow_server`: ``server.db``, ``artifacts/<experiment id>/``, ``server.log``."""
    return tmp_path_factory.mktemp("mlflow_server")


@pytest.fixture(scope="session")
def mlflow_server(mlflow_server_folder):
    """A real ``mlflow server`` on 127.0.0.1 with a SQLite backend and its own artifact folder (proxied artifact
    access); stopped (with its children) afterwards."""
    folder = mlflow_server_folder
    port = free_port()
    log = open(folder / "server.log", "w")
    command = [str(Path(sys.executable).parent / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
               "--backend-store-uri", f"sqlite:///{folder / 'server.db'}", "--artifacts-destination",
               str(folder / "artifacts"), "--workers", "1"]
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mlflow server did not start (exit {proc.poll()}):\n{(folder / 'server.log').read_text()}")
            time.sleep(0.25)
        yield uri
    finally:
        proc.terminate()  # SIGTERM to the server stops its uvicorn and job-runner children too
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # any child left in the group this fixture started
        except ProcessLookupError:
            pass
        log.close()


def orphan_folders(client, artifacts: Path) -> list[str]:
    """Folders under an experiment's artifact folder that no run and no logged model of the store owns."""
    orphans = []
    for folder in sorted(artifacts.iterdir()) if artifacts.is_dir() else []:
        if folder.name == "models" and folder.is_dir():
            for model in sorted(folder.iterdir()):
                try:
                    client.get_logged_model(model.name)
                except Exception:  # MlflowException: not in the store
                    orphans.append(f"models/{model.name}")
        elif re.fullmatch(r"[0-9a-f]{32}", folder.name):
            try:
                client.get_run(folder.name)
            except Exception:
                orphans.append(folder.name)
        else:
            orphans.append(folder.name)
    return orphans
