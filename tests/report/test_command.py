"""``weaksup report`` reads the data as ``weaksup run`` does, and never writes over a run's own report."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO
from tests.pipeline_project import make_project, write_config
from weaksup.cli import main

SHIPPED_CONFIG = REPO / "configs" / "youtube_spam.toml"


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


def _html_params(path) -> dict[str, str]:
    page = path.read_text(encoding="utf-8")
    return dict(re.findall(r"<th>(\w+)</th>\s*<td>([^<]*)</td>", page))


def test_the_report_reads_and_cleans_the_data_as_the_shipped_run_config_does():
    """The config `weaksup report` builds keys the data as `weaksup run configs/youtube_spam.toml` does: the
    same cleaning, chunking and files, so the same identity (the report's data_hash). It was
    clean.normalize = false, duplicates = "off": another data_hash and other figures than the run's."""
    from weaksup.config import load_config
    from weaksup.pipeline.inputs import input_identity
    from weaksup.report.command import report_config

    run_config = load_config(SHIPPED_CONFIG)
    report = report_config(out="reports/youtube_spam.html", tracking=False)
    assert report.clean == run_config.clean and report.clean.normalize
    assert input_identity(report)[1] == input_identity(run_config)[1]
    for table in ("label_model", "end_model"):  # what else decides the figures
        assert getattr(report, table) == getattr(run_config, table), table
    assert report.gold.split == run_config.gold.split  # (the gold set: the shipped copy of gold_sets/youtube_spam)
    # --no-normalize is the one flag that reads the data otherwise
    raw = report_config(out="reports/youtube_spam.html", tracking=False, normalize=False)
    assert not raw.clean.normalize and input_identity(raw)[1] != input_identity(run_config)[1]


def test_the_report_of_the_shipped_example_masks_its_authors_as_a_run_does(tmp_path):
    # before: a report run of the shipped example had review.sensitive_fields = [], so `weaksup review export` of its
    # run folder showed the commenters' names in clear, where the shipped config's run masks them
    from weaksup.config import load_config
    from weaksup.report.command import report_config

    report = report_config(out="reports/youtube_spam.html", tracking=False)
    assert report.review.sensitive_fields == load_config(SHIPPED_CONFIG).review.sensitive_fields == ["author"]
    data = tmp_path / "mine.csv"
    data.write_text("row_id,text\na,hello\n", encoding="utf-8")
    assert report_config(out="reports/mine.html", tracking=False, data=str(data)).review.sensitive_fields == []


@pytest.mark.slow  # (three runs on the shipped example: about 40 s)
def test_report_and_run_give_the_same_verdict_and_data_hash_and_no_normalize_says_it_differs(tmp_path, monkeypatch,
                                                                                            capsys):
    monkeypatch.chdir(REPO)  # as the README runs it (its gold_sets/), writing into tmp_path
    code, run_out, err = _cli(capsys, "run", str(SHIPPED_CONFIG), "--no-tracking", "--no-progress",
                              "--set", f"output.path={tmp_path / 'runs' / 'youtube_spam' / 'labels.parquet'}")
    assert code == 0, err
    monkeypatch.chdir(tmp_path)
    code, report_out, err = _cli(capsys, "report", "--no-tracking")
    assert code == 0, err
    verdict = re.compile(r"on the gold test split: weak supervision .*")
    assert verdict.search(report_out).group(0) == verdict.search(run_out).group(0)  # was "+0.7" vs "does not beat"
    table = report_out[report_out.index("                     accuracy  acc. voted"):report_out.index("\n\nreport:")]
    assert table in run_out  # the references on the test rows, figure for figure
    cleaning = re.search(r"text cleaning \(Unicode NFKC, zero-width characters, whitespace\) changed ([0-9,]+) of",
                         report_out)
    assert cleaning and f"changed {cleaning.group(1)} of 1,956 rows" in run_out
    assert "--no-normalize turns it off" in report_out and "differ from `weaksup run`" not in report_out
    run_params = _html_params(tmp_path / "runs" / "youtube_spam" / "report.html")
    report_html = tmp_path / "reports" / "youtube_spam.html"
    report_params = _html_params(report_html)
    assert report_params["data_hash"] == run_params["data_hash"]
    for key in ("rule_version", "gold_hash", "n_rows"):
        assert report_params[key] == run_params[key], key

    # --no-normalize: the figures of the text as in the file, and the printout says they are not a run's;
    # the report replaces its own earlier report (whole: written atomically)
    before = report_html.read_bytes()
    code, raw_out, err = _cli(capsys, "report", "--no-tracking", "--no-normalize")
    assert code == 0, err
    assert "text cleaning: off (--no-normalize): the LFs see the text as in the file" in raw_out
    assert "these figures differ from `weaksup run`'s on the same data" in raw_out
    assert _html_params(report_html)["data_hash"] != run_params["data_hash"]
    assert report_html.read_bytes() != before and report_html.read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert not list(report_html.parent.glob(".weaksup-tmp-*"))


@pytest.fixture
def finished_run(tmp_path, youtube, monkeypatch):
    """A real run (quick LFs, 400 comments) with its report.html in its run folder ``out/``."""
    from weaksup.pipeline import run
    from weaksup.config import load_config

    make_project(tmp_path, youtube.iloc[:400])
    monkeypatch.chdir(tmp_path)
    result = run(load_config(write_config(tmp_path, output={"path": "out/labels.parquet", "report": True})),
                 progress=False)
    assert result.report_path == tmp_path / "out" / "report.html" and result.report_path.is_file()
    return tmp_path / "out"


def _untouched(run_dir, before: dict[str, bytes]) -> None:
    from weaksup.pipeline import load_run

    assert {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()} == before
    assert not (run_dir / "report").exists()  # no run folder of the report inside the run's
    load_run(run_dir)  # its parts still agree with its run.json


def test_report_out_on_a_runs_own_report_exits_2_naming_it_and_writes_nothing(finished_run, capsys):
    before = {p.name: p.read_bytes() for p in finished_run.iterdir() if p.is_file()}
    target = finished_run / "report.html"
    for command in ("report", "demo"):
        code, out, err = _cli(capsys, command, "--no-tracking", "--out", str(target))
        assert code == 2, (out, err)
        assert (f"--out {target} is the report the run in {finished_run} wrote (its run.json lists it as "
                "outputs.report)") in err
        assert "pick another --out path (e.g. reports/youtube_spam.html, the default)" in err
        _untouched(finished_run, before)
    (finished_run.parent / "link.html").symlink_to(target)  # a link to it is it
    code, _, err = _cli(capsys, "report", "--no-tracking", "--out", "link.html")
    assert code == 2 and "--out link.html is the report the run in" in err
    _untouched(finished_run, before)


def test_report_out_whose_run_folder_is_a_runs_folder_exits_2_and_writes_nothing(finished_run, capsys):
    """``--out out.html`` would put the report's run folder at ``out/``: the run's labels, votes and report."""
    before = {p.name: p.read_bytes() for p in finished_run.iterdir() if p.is_file()}
    code, _, err = _cli(capsys, "report", "--no-tracking", "--out", "out.html")
    assert code == 2
    assert f"--out out.html puts the report's run folder at {finished_run}, which holds the run of " in err
    assert "run.toml (its labels, votes and report): the report would replace that run" in err
    assert "pick another --out path" in err and not (finished_run.parent / "out.html").exists()
    _untouched(finished_run, before)


def _page_text(path) -> str:
    """The HTML page as a reader sees it: tags dropped, entities unescaped, whitespace runs as one space."""
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))).split())


@pytest.mark.slow  # (two reports on the shipped example, without the end model: about 15 s)
def test_the_html_report_of_no_normalize_says_near_its_top_that_the_text_was_not_cleaned(tmp_path, monkeypatch, capsys):
    """The console said the --no-normalize figures differ from a run's; the HTML report itself did not."""
    from weaksup.report.html import NOT_CLEANED_NOTE

    monkeypatch.chdir(tmp_path)
    pages = {}
    for name, flags in (("raw", ["--no-normalize"]), ("cleaned", [])):
        code, out, err = _cli(capsys, "report", "--no-tracking", "--no-end-model", "--out", f"{name}.html", *flags)
        assert code == 0, err
        pages[name] = _page_text(tmp_path / f"{name}.html")
    raw = pages["raw"]
    assert "was not cleaned" in NOT_CLEANED_NOTE and "can differ" in NOT_CLEANED_NOTE
    assert NOT_CLEANED_NOTE in raw
    # near the top: under the summary line (rows, LFs, label model, gold set), before the first section
    summary = re.search(r"[0-9]+ rows, [0-9]+ LFs \(rule version", raw)
    assert summary and summary.start() < raw.index(NOT_CLEANED_NOTE) < raw.index("Does weak supervision earn its keep?")
    assert _html_params(tmp_path / "raw.html")["data_hash"] != _html_params(tmp_path / "cleaned.html")["data_hash"]
    assert NOT_CLEANED_NOTE not in pages["cleaned"] and "was not cleaned" not in pages["cleaned"]
