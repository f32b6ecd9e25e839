"""An engine run's ``report.html`` has the streaming run's references section (majority vote, the label model,
``supervised_on_dev`` and the final labels on the gold test rows, with the verdict and the coverage split),
rendered by the same code from the same figures: on the shipped example the section of ``--engine local`` (and
``--engine dask``) is the streaming run's, character for character. Before, an engine's page had none."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from pathlib import Path

import pytest

from tests.engines.engine_data import youtube_config
from weaksup.engines.config import EngineConfig
from weaksup.engines.driver import run_engine
from weaksup.report.html import REFERENCES_ID, WRITTEN_ID


def section(page: str, start: str, end: str = "</section>") -> str:
    """The part of ``page`` from ``start`` to the first ``end`` after it (both kept); fails when ``start`` is absent."""
    begin = page.find(start)
    assert begin >= 0, f"{start!r} is not in the page"
    return page[begin:page.index(end, begin) + len(end)]


def references_section(page: str) -> str:
    return section(page, f'<section id="{REFERENCES_ID}">')


def evaluation_verdict(page: str) -> str:
    """The label model vs majority vote line (with the most-common-class note when it applies)."""
    found = re.search(r'<p class="verdict[^"]*">[^<]*majority vote on the[^<]*</p>', page)
    assert found is not None
    return found.group(0)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The shipped example's report.html as the streaming run, ``--engine local`` and ``--engine dask`` (a
    LocalCluster of 2 workers, when distributed is installed) write it; the end model on, so the final labels are
    not the label model's."""
    from weaksup.config import RunConfig
    from weaksup.pipeline import run

    folder = tmp_path_factory.mktemp("engine_report")
    config = youtube_config(folder, end_model={"enabled": True}, output={"report": True})

    def to(name: str) -> RunConfig:
        return dataclasses.replace(config, output=dataclasses.replace(
            config.output, path=str(folder / name / "labels.parquet")))

    plain = run(to("plain"), progress=False)
    assert plain.report_path is not None
    paths: dict[str, Path] = {"plain": plain.report_path,
                              "local": run_engine(config, engine="local").run_dir / "report.html"}
    if importlib.util.find_spec("distributed") is not None:
        dask = dataclasses.replace(to("dask"), engine=EngineConfig(name="dask", workers=2))
        paths["dask"] = run_engine(dask).run_dir / "report.html"
    return {name: path.read_text(encoding="utf-8") for name, path in paths.items()}


def engines(pages: dict[str, str]) -> list[str]:
    return [name for name in ("local", "dask") if name in pages]


@pytest.mark.slow  # the shipped example (1,956 rows, the end model on) as the streaming run and on two engines
def test_the_engines_report_has_the_streaming_runs_references_section(pages: dict[str, str]) -> None:
    plain = references_section(pages["plain"])
    assert "Does weak supervision earn its keep? (290 test gold rows)" in plain
    assert "weak supervision " in plain and "supervised_on_dev" in plain and "majority_vote" in plain
    for engine in engines(pages):
        assert references_section(pages[engine]) == plain, engine


@pytest.mark.slow
def test_the_engines_label_model_line_is_the_streaming_runs(pages: dict[str, str]) -> None:
    # (the most-common-class note, when it applies, ends this line: weaksup.evaluate.majority_class_note)
    for engine in engines(pages):
        assert evaluation_verdict(pages[engine]) == evaluation_verdict(pages["plain"]), engine


def written_section(page: str) -> str:
    return section(page, f'<section id="{WRITTEN_ID}">')


def setting(page: str, name: str) -> str:
    """The provenance table's row of a setting (its value as shown)."""
    found = re.search(rf"<th>{re.escape(name)}</th>\s*<td>([^<]*)</td>", page)
    assert found is not None, f"{name} is not in the settings table"
    return found.group(1)


@pytest.mark.slow
def test_the_engines_report_has_the_streaming_runs_written_labels_section(pages: dict[str, str]) -> None:
    """The engine's page had no "Written labels" section (the engine did not pass written= to the report stage);
    its labels are the streaming run's, so the section is the streaming run's, character for character: the rows
    and shares per class, the rows per label_source, the scores and confusion matrix on the gold test rows."""
    plain = written_section(pages["plain"])
    assert "Written labels on the 290 test gold rows" in plain and "<code>label_source</code>: " in plain
    assert "end_model " in plain and "human 286" in plain
    for engine in engines(pages):
        assert written_section(pages[engine]) == plain, engine
        assert setting(pages[engine], "end_model.enabled") == setting(pages["plain"], "end_model.enabled") == "true"
        # (the engine's report reads no text for its error examples, but the run cleaned the text it labeled)
        assert setting(pages[engine], "clean.normalize") == setting(pages["plain"], "clean.normalize") == "true"


@pytest.mark.slow
def test_the_engines_settings_say_that_the_end_model_was_skipped_as_the_streaming_runs(tmp_path: Path) -> None:
    """With [end_model] on but nothing to learn from (no text column, every other column excluded), the streaming
    page said "true, but skipped: ..." and the engine's only "true": it did not pass end_model= to the report."""
    from weaksup.pipeline import run

    excluded = ["author", "date", "video", "n_chars", "n_words", "n_upper", "hour"]
    config = youtube_config(tmp_path, input={"text_column": ""}, output={"report": True},
                            end_model={"enabled": True, "exclude_columns": excluded})
    plain = run(dataclasses.replace(config, output=dataclasses.replace(
        config.output, path=str(tmp_path / "plain" / "labels.parquet"))), progress=False)
    assert plain.report_path is not None and "skipped" in plain.end_model
    page = plain.report_path.read_text(encoding="utf-8")
    engine = (run_engine(config, engine="local").run_dir / "report.html").read_text(encoding="utf-8")
    said = setting(page, "end_model.enabled")
    assert said.startswith("true, but skipped: the input has no text column") and setting(engine, "end_model.enabled") == said
    assert written_section(engine) == written_section(page)
