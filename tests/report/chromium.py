"""Open a page in headless Chromium and report what a reader would see: console errors, images that did not
load, the page's size, a full-page screenshot.

Talks the DevTools protocol over ``--remote-debugging-pipe`` (JSON messages ended by NUL on file descriptors 3
and 4 of the browser): the standard library only, no websocket client, no port. The browser is Debian's
``chromium`` (or ``chromium-browser``/``google-chrome``); :func:`find_chromium` returns None where none is.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: What the page reports about its images once loaded (complete, natural and shown sizes).
_IMAGES_JS = """JSON.stringify({
  images: Array.from(document.images).map(img => ({
    alt: img.alt, complete: img.complete, natural: [img.naturalWidth, img.naturalHeight],
    shown: [img.getBoundingClientRect().width, img.getBoundingClientRect().height]})),
  body: [document.body.scrollWidth, document.body.scrollHeight],
  viewport: [document.documentElement.clientWidth, document.documentElement.clientHeight],
  scripts: document.scripts.length})"""


def find_chromium() -> str | None:
    """The path of a Chromium (or Chrome) executable on ``PATH``, or None."""
    return next((path for name in ("chromium", "chromium-browser", "google-chrome")
                 if (path := shutil.which(name))), None)


@dataclass
class PageCheck:
    """What the browser saw: console messages at warning or error level, uncaught exceptions, log entries
    (failed loads, security errors), every image's load state and sizes, and the page's size."""

    console: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    body: tuple[int, int] = (0, 0)
    viewport: tuple[int, int] = (0, 0)
    scripts: int = 0
    screenshot: Path | None = None


class _Pipe:
    """One DevTools session over the browser's pipe: commands in order, events kept."""

    def __init__(self, process: subprocess.Popen[bytes], to_browser: int, from_browser: int) -> None:
        self.process, self.to_browser, self.from_browser = process, to_browser, from_browser
        self.next_id, self.buffer, self.events = 0, b"", []  # type: ignore[var-annotated]

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium closed the pipe (exit {self.process.poll()})")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)  # type: ignore[no-any-return]

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 60) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})  # type: ignore[no-any-return]
            self.events.append(answer)

    def wait_for(self, method: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read(deadline))


def _problems(events: list[dict[str, Any]]) -> list[str]:
    """The console messages at warning/error level, uncaught exceptions and log entries of ``events``."""
    out = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
            out.append(f"console.{params['type']}: " + " ".join(str(a.get("value", a.get("description")))
                                                                for a in params.get("args", [])))
        elif method == "Runtime.exceptionThrown":
            out.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
            entry = params["entry"]
            out.append(f"{entry['level']} ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}")
    return out


def check_page(path: Path, screenshot: Path | None = None, width: int = 1280, timeout: float = 120) -> PageCheck:
    """Load ``path`` in headless Chromium at ``width`` CSS pixels and report what it saw (see :class:`PageCheck`);
    with ``screenshot``, save a full-page PNG there."""
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError("no chromium on PATH")
    commands_r, commands_w = os.pipe()
    answers_r, answers_w = os.pipe()

    def fds() -> None:  # the browser reads commands on fd 3 and writes answers on fd 4
        os.dup2(commands_r, 3)
        os.dup2(answers_w, 4)

    profile = tempfile.mkdtemp(prefix="weaksup-chromium-")
    process = subprocess.Popen(
        [browser, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions",
         "--hide-scrollbars", f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
        preexec_fn=fds, pass_fds=(3, 4),  # kept open after fds() (close_fds runs after it)
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(commands_r)
    os.close(answers_w)
    pipe = _Pipe(process, commands_w, answers_r)
    try:
        target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            pipe.send(f"{domain}.enable", session=session)
        pipe.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
        pipe.events.clear()
        pipe.send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
        pipe.wait_for("Page.loadEventFired", timeout)
        state = json.loads(pipe.send("Runtime.evaluate", {"expression": _IMAGES_JS, "returnByValue": True},
                                     session=session)["result"]["value"])
        check = PageCheck(images=state["images"], body=tuple(state["body"]), viewport=tuple(state["viewport"]),
                          scripts=state["scripts"])
        if screenshot is not None:
            shot = pipe.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True},
                             session=session, timeout=timeout)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            check.screenshot = screenshot
        check.console = _problems(pipe.events)
        try:
            pipe.send("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError):
            pass
        return check
    finally:
        os.close(commands_w)
        os.close(answers_r)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)
