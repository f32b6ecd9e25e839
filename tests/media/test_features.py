"""Media features: content keys, the cached extract, the media preprocessor in pre=[...], the import guard."""

from __future__ import annotations

import pickle
import shutil

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from weaksup import apply_lfs
from weaksup.embed import EmbeddingCache
from weaksup.errors import DataError, ParameterError
from weaksup.labels import ABSTAIN
from weaksup.lf import labeling_function
from weaksup.media.columns import media_preprocessor
from weaksup.media.features import (
    FeatureExtractor,
    content_key,
    extract,
    extract_rows,
    require,
)


class Brightness:
    """A real image extractor (Pillow): mean and max grey level of a PNG file or an array; counts its calls."""

    names = ("mean", "max")

    def __init__(self, version: int = 1) -> None:
        self.id = f"test-brightness@{version}"
        self.calls = 0

    def __call__(self, item: object) -> np.ndarray:
        self.calls += 1
        pixels = np.asarray(item) if isinstance(item, np.ndarray) else np.asarray(Image.open(item).convert("L"))
        return np.array([pixels.mean() / 255, pixels.max() / 255], dtype=np.float32)


def _png(path, level: int) -> str:
    Image.fromarray(np.full((6, 6), level, dtype=np.uint8)).save(path)
    return str(path)


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / "img"
    folder.mkdir()
    return [_png(folder / f"{name}.png", level) for name, level in [("dark", 10), ("light", 240), ("mid", 128)]]


def test_the_key_hashes_content_not_the_path(tmp_path, images):
    moved = tmp_path / "elsewhere.png"
    shutil.copy(images[0], moved)
    assert content_key(images[0]) == content_key(moved) == content_key(moved.read_bytes())
    assert content_key(images[0]) != content_key(images[1])
    _png(moved, 11)  # edited: a new key
    assert content_key(moved) != content_key(images[0])
    a = np.arange(6, dtype=np.int16).reshape(2, 3)
    assert content_key(a) != content_key(a.reshape(3, 2)) and content_key(a) != content_key(a.astype(np.int32))
    assert content_key(a) == content_key(np.asfortranarray(a))  # same values, another memory layout


def test_missing_and_unreadable_items_name_the_field_the_item_and_the_fix(tmp_path):
    with pytest.raises(DataError, match=r"image_path 'nope.png': cannot read the file .*fix the path"):
        extract(["nope.png"], Brightness(), field="image_path", cache=False)
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    with pytest.raises(DataError, match=r"image_path '.*bad.png': test-brightness@1 cannot read it .*drop the row"):
        extract([str(bad)], Brightness(), field="image_path", cache=False)
    with pytest.raises(DataError, match="missing"):
        extract([None], Brightness(), cache=False)
    with pytest.raises(DataError, match="type dict"):
        content_key({"a": 1})


def test_extract_computes_each_content_once_and_reuses_the_disk_cache(tmp_path, images):
    db = tmp_path / "cache.sqlite"
    first = Brightness()
    items = [images[0], images[1], images[0], np.full((2, 2), 255, dtype=np.uint8)]
    out = extract(items, first, cache=EmbeddingCache(db), progress=False)
    assert out.dtype == np.float32 and out.shape == (4, 2) and first.calls == 3
    assert out[0, 0] == pytest.approx(10 / 255) and out[1, 1] == pytest.approx(240 / 255)
    again = Brightness()
    reopened = EmbeddingCache(db)  # another process would open the same file
    assert np.array_equal(extract(items, again, cache=reopened, progress=False), out) and again.calls == 0
    newer = Brightness(version=2)  # a new id (code version): computed again
    extract(items, newer, cache=reopened, progress=False)
    assert newer.calls == 3
    assert extract([], Brightness(), cache=False).shape == (0, 2)


def test_relative_paths_are_read_from_root(images, tmp_path):
    vectors, keys = extract_rows(["img/dark.png", None, ""], Brightness(), root=tmp_path, cache=False)
    assert vectors[0, 0] == pytest.approx(10 / 255) and np.isnan(vectors[1:]).all() and keys[1:] == [None, None]


def test_a_bad_extractor_is_a_parameter_error(images):
    class Wrong(Brightness):
        def __call__(self, item: object) -> np.ndarray:
            return np.zeros(3, dtype=np.float32)

    with pytest.raises(ParameterError, match="returned shape \\(3,\\).*2 values"):
        extract(images[:1], Wrong(), cache=False)
    with pytest.raises(ParameterError, match="needs an 'id'"):
        extract(images, lambda item: np.zeros(2), cache=False)  # type: ignore[arg-type]
    assert isinstance(Brightness(), FeatureExtractor)


def test_the_preprocessor_adds_feature_columns_once_per_batch_for_every_lf(tmp_path, images):
    extractor = Brightness()
    pre = media_preprocessor(extractor, "path", cache=EmbeddingCache(tmp_path / "c.sqlite"))

    @labeling_function(pre=[pre])
    def light(x):
        return 1 if x.test_brightness_mean > 0.5 else ABSTAIN

    @labeling_function(pre=[pre])
    def dark(x):
        return 0 if x.test_brightness_max < 0.2 else ABSTAIN

    @labeling_function(pre=[pre])
    def has_vector(x):
        return 1 if x.test_brightness.shape == (2,) else 0

    data = pd.DataFrame({"id": range(5), "path": [images[0], images[1], images[2], None, images[1]]})
    votes = apply_lfs([light, dark, has_vector], data, id_column="id", progress=False).values
    assert votes[:, 0].tolist() == [ABSTAIN, 1, 1, ABSTAIN, 1]
    assert votes[:, 1].tolist() == [0, ABSTAIN, ABSTAIN, ABSTAIN, ABSTAIN]  # the missing row's features are NaN
    assert votes[:, 2].tolist() == [1] * 5
    assert extractor.calls == 3  # three distinct files, three LFs, one batch
    assert light({"path": images[1]}) == 1  # row by row, too
    other = media_preprocessor(Brightness(version=2), "path", cache=False)

    @labeling_function(name="light", pre=[other])
    def light2(x):
        return 1 if x.test_brightness_mean > 0.5 else ABSTAIN

    assert light2.version != light.version  # the extractor id is part of the LFs' versions
    assert pickle.loads(pickle.dumps(pre)).name == pre.name == "test_brightness:test-brightness@1"


def test_lfs_over_the_preprocessor_are_recomputed_each_run_and_keep_their_version_in_a_moved_project(
        tmp_path, monkeypatch):
    def rule_lf(project):
        pre = media_preprocessor(Brightness(), "path", cache=False, root=project / "img")

        @labeling_function(name="light", pre=[pre])
        def light(x):
            return 1 if x.test_brightness_mean > 0.5 else ABSTAIN

        return light

    versions = []
    for project in (tmp_path / "a", tmp_path / "b"):  # the same project cloned in two places
        project.mkdir()
        monkeypatch.chdir(project)
        lf = rule_lf(project)
        # a row holds the file's path, not its content: saved votes could outlive an edited file
        assert not lf.cacheable and "recomputed on every run" in lf.cache_note and "'path'" in lf.cache_note
        versions.append(lf.version)
    monkeypatch.chdir(tmp_path)
    versions.append(rule_lf(tmp_path / "a").version)  # run from another folder
    assert len(set(versions)) == 1


def test_the_preprocessor_checks_its_arguments(images):
    with pytest.raises(ParameterError, match="prefix must be an identifier"):
        media_preprocessor(Brightness(), "path", prefix="1 bad")
    pre = media_preprocessor(Brightness(), "image", cache=False)
    with pytest.raises(DataError, match="no column 'image'"):
        pre.new_columns(pd.DataFrame({"path": images}))


def test_require_names_the_extra_to_install():
    with pytest.raises(ImportError, match=r'pip install "weaksup\[audio\]"'):
        require("no_such_audio_module", "audio")
    assert require("numpy", "image") is np


class NeedsExtra(Brightness):
    """An extractor whose optional package is not installed: each call raises require()'s ImportError."""

    def __call__(self, item: object) -> np.ndarray:
        self.calls += 1
        require("weaksup_test_no_such_package", "image")
        return super().__call__(item)


def test_a_missing_extra_is_raised_as_it_is_and_stops_a_fault_tolerant_apply():
    with pytest.raises(ImportError, match=r'pip install "weaksup\[image\]"') as info:
        extract([np.zeros((2, 2))], NeedsExtra(), cache=False, progress=False)
    assert not isinstance(info.value, DataError) and "cannot read it" not in str(info.value)
    assert getattr(info.value, "stops_run", False)  # a run stops on it, fault-tolerant or not
    from weaksup.lf.affinity import affinity_lf

    near = affinity_lf("near", {0: [np.zeros((2, 2))], 1: [np.ones((2, 2))]}, features=NeedsExtra(), field="pixels",
                       cache=False)
    rows = pd.DataFrame({"pixels": [np.zeros((2, 2)), np.ones((2, 2))]})
    with pytest.raises(ImportError, match=r'pip install "weaksup\[image\]"'):  # not every row abstained
        apply_lfs([near], rows, fault_tolerant=True)


def test_a_missing_extra_in_a_preprocessor_stops_a_fault_tolerant_apply():
    # a third-party extractor importing its package lazily, read through media_preprocessor: the ImportError is
    # not a fault of each row (every row abstained, exit 0)
    from weaksup import labeling_function
    from weaksup.media.columns import media_preprocessor

    pixels = media_preprocessor(NeedsExtra(), "pixels", prefix="img")

    @labeling_function(pre=[pixels])
    def bright(x):
        return 1 if x.img_0 > 0.5 else -1

    rows = pd.DataFrame({"pixels": [np.zeros((2, 2)), np.ones((2, 2))]})
    with pytest.raises(ImportError, match=r'pip install "weaksup\[image\]"'):
        apply_lfs([bright], rows, fault_tolerant=True)


@pytest.mark.parametrize("tolerant", ["false", "true"])
def test_a_run_without_the_image_extra_stops_with_the_install_hint(tmp_path, monkeypatch, capsys, hide, tolerant):
    from weaksup.cli import main

    monkeypatch.chdir(tmp_path)
    _png(tmp_path / "a.png", 10)
    pd.DataFrame({"row_id": ["a"], "path": ["a.png"]}).to_csv("rows.csv", index=False)
    (tmp_path / f"no_extra_lfs_{tolerant}.py").write_text(
        "from weaksup import labeling_function\n"
        "from weaksup.media.columns import media_preprocessor\n"
        "from weaksup.media.image import ImageFeatures\n"
        "img = media_preprocessor(ImageFeatures(['intensity', 'edges']), 'path', prefix='img', root='.')\n"
        "@labeling_function(pre=[img])\n"
        "def flat(x):\n"
        "    return 0 if x.img_std < 0.05 else -1\n", encoding="utf-8")
    (tmp_path / "run.toml").write_text(
        '[task]\nname = "media"\nlabels = ["dark", "light"]\n[input]\npath = "rows.csv"\ntext_column = ""\n'
        f'[lfs]\nmodules = ["no_extra_lfs_{tolerant}.py"]\nfault_tolerant = {tolerant}\n[label_model]\n'
        'name = "MajorityVote"\n[end_model]\nenabled = false\n[output]\npath = "out/labels.csv"\nreport = false\n'
        '[mlflow]\nenabled = false\n', encoding="utf-8")
    hide("skimage")
    with pytest.raises(SystemExit) as info:
        main(["run", "run.toml"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and 'pip install "weaksup[image]"' in err, err  # not a run of abstains
    assert not (tmp_path / "out" / "labels.csv").exists()


def test_the_package_exports_every_modalitys_public_names():
    import importlib

    import weaksup.media as media

    for module in ("weaksup.media.image", "weaksup.media.audio", "weaksup.media.series"):
        for name in importlib.import_module(module).__all__:
            assert name in media.__all__ and getattr(media, name) is getattr(importlib.import_module(module), name)
    assert media.affinity_lf.__name__ == "AffinityLF" and media.extract is extract
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        media.nothing_here  # noqa: B018


@pytest.mark.slow
def test_a_run_votes_again_on_an_edited_file_with_the_same_path(tmp_path, monkeypatch):
    from weaksup.config import load_config
    from weaksup.pipeline import run

    monkeypatch.chdir(tmp_path)
    (tmp_path / "img").mkdir()
    for i, level in enumerate([10, 240, 20]):
        _png(tmp_path / "img" / f"{i}.png", level)
    protos = [_png(tmp_path / f"proto{i}.png", level) for i, level in enumerate([0, 255])]  # not rows
    pd.DataFrame({"row_id": ["a", "b", "c"], "path": [f"img/{i}.png" for i in range(3)]}).to_csv("rows.csv",
                                                                                                 index=False)
    (tmp_path / "media_lfs.py").write_text(
        "from tests.media.test_features import Brightness\n"
        "from weaksup import LabelSpace, labeling_function\n"
        "from weaksup.lf.affinity import affinity_lf\n"
        "from weaksup.media.columns import media_preprocessor\n"
        "LABELS = LabelSpace(['dark', 'light'])\n"
        "img = media_preprocessor(Brightness(), 'path', root='.')\n"
        "@labeling_function(pre=[img])\n"
        "def bright(x):\n"
        "    return LABELS['light'] if x.test_brightness_mean > 0.5 else LABELS['dark']\n"
        f"near = affinity_lf('near', {{0: [{protos[0]!r}], 1: [{protos[1]!r}]}}, features=Brightness(), root='.',\n"
        "                   metric='euclidean', standardize=False, margin=0.0)\n", encoding="utf-8")
    (tmp_path / "run.toml").write_text(
        '[task]\nname = "media"\nlabels = ["dark", "light"]\n[input]\npath = "rows.csv"\ntext_column = ""\n'
        '[lfs]\nmodules = ["media_lfs.py"]\n[label_model]\nname = "MajorityVote"\n[end_model]\nenabled = false\n'
        '[output]\npath = "out/labels.csv"\nreport = false\n[mlflow]\nenabled = false\n', encoding="utf-8")
    first = run(load_config("run.toml"), progress=False)
    assert pd.read_csv("out/labels.csv")["label"].tolist() == ["dark", "light", "dark"]
    assert set(first.not_cacheable) == {"bright", "near"}
    _png(tmp_path / "img" / "2.png", 250)  # the same path, another picture
    run(load_config("run.toml"), progress=False)
    assert pd.read_csv("out/labels.csv")["label"].tolist() == ["dark", "light", "light"]  # no stale votes


def test_the_progress_bar_names_the_field_and_the_extractor(capsys):
    class Mean:
        id, names = "mean@1:scale=2", ("mean",)

        def __call__(self, item):
            return np.array([np.mean(item)], dtype=np.float32)

    extract([np.ones(3), np.zeros(2)], Mean(), cache=False, progress=True, field="pixels")
    err = capsys.readouterr().err
    assert "pixels features (mean@1:scale=2)" in err  # not "features (mean)" for every extractor of a kind
