"""The report in a browser: a real run's ``report.html`` and a nine-class report with long class names, opened in
headless Chromium (Debian's ``chromium``), show every figure, whole, with no console error, no failed load and
no horizontal scrolling. Skipped where no Chromium is installed (``apt-get install chromium``; CI installs it).

Set ``WEAKSUP_SCREENSHOTS=<folder>`` to keep the full-page screenshots for a look.
"""

from __future__ import annotations

import base64
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.report.chromium import check_page, find_chromium

pytestmark = pytest.mark.skipif(find_chromium() is None, reason="headless Chromium is not installed "
                                "(apt-get install chromium); the report's browser check needs it")

FIGURES = ["lf_rates", "lf_conflicts", "votes_per_row", "label_distribution", "confusion_matrix", "calibration"]
WIDTH = 1280  # CSS pixels: a laptop window


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("WEAKSUP_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _png_sizes(page: str) -> dict[str, tuple[int, int]]:
    """The pixel size of every PNG the page embeds, by its ``alt`` (read from the PNG header)."""
    sizes = {}
    for alt, data in re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([^"]+)"', page):
        header = base64.b64decode(data[:64])
        sizes[alt] = struct.unpack(">II", header[16:24])
    return sizes


def _assert_readable(path: Path, screenshot: Path) -> None:
    """Every figure loaded at its own size and shown whole; nothing logged; no sideways scrolling."""
    page = path.read_text(encoding="utf-8")
    sizes = _png_sizes(page)
    assert list(sizes) == FIGURES
    check = check_page(path, screenshot, width=WIDTH)
    assert check.console == []
    assert check.scripts == 0  # the report runs no code
    assert [image["alt"] for image in check.images] == FIGURES
    for image in check.images:
        assert image["complete"] and tuple(image["natural"]) == sizes[image["alt"]], image
        width, height = image["shown"]
        assert 0 < width <= check.viewport[0] and height > 0, image
    assert check.body[0] <= check.viewport[0]  # nothing wider than the window
    shot = screenshot.read_bytes()
    assert shot[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", shot[16:20])[0] == WIDTH


@pytest.mark.slow
def test_a_runs_report_shows_every_figure_in_chromium(tmp_path_factory, tmp_path):
    """``weaksup init`` + ``weaksup run``: the report.html the run wrote, as a reader opens it."""
    from weaksup.scaffold import init_project

    root = init_project(tmp_path_factory.mktemp("browser") / "spam").root
    out = subprocess.run([sys.executable, "-m", "weaksup", "run", "configs/youtube_spam.toml", "--no-tracking",
                          "--no-progress"], cwd=root, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    report = root / "runs" / "youtube_spam" / "report.html"
    _assert_readable(report, _shots(tmp_path) / "youtube_spam_report.png")
    page = report.read_text(encoding="utf-8")  # the comments' HTML is shown as text, not as escaped markup
    assert "error examples" in page and "&amp;#39;" not in page and "&lt;br" not in page


@pytest.mark.slow
def test_a_nine_class_report_with_long_class_names_in_chromium(tmp_path):
    from tests.report.layout import assert_text_fits, long_names, many_class_votes
    from weaksup.models import MajorityVote
    from weaksup.report import build_report

    names = long_names(9)
    votes, gold = many_class_votes(tmp_path, names, n=600, splits=("dev", "test"))
    report = build_report(votes, gold=gold, model=MajorityVote(cardinality=9).fit(votes), title="Nine long classes")
    for fig in report.build_figures().values():
        assert_text_fits(fig)
    path = report.write_html(tmp_path / "nine_classes.html")
    _assert_readable(path, _shots(tmp_path) / "nine_classes_report.png")


def test_the_check_sees_console_errors_failed_loads_and_broken_images(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<!doctype html><html><body><img alt="gone" src="missing.png">'
                    '<img alt="bad" src="data:image/png;base64,AAAA"><div style="width:3000px">wide</div>'
                    '<script>console.error("boom")</script></body></html>')
    check = check_page(page, width=WIDTH)
    assert any("boom" in line for line in check.console)
    assert any("missing.png" in line for line in check.console)  # the failed load
    assert [image["natural"] for image in check.images] == [[0, 0], [0, 0]]
    assert check.body[0] > check.viewport[0] and check.scripts == 1
