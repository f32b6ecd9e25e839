"""Image features: load_image from paths, bytes, arrays and Pillow images; ImageFeatures' groups, ids and errors."""

from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from skimage.feature import hog

from weaksup import apply_lfs
from weaksup.embed import EmbeddingCache
from weaksup.errors import DataError, ParameterError
from weaksup.lf import labeling_function
from weaksup.media import ImageFeatures as Exported
from weaksup.media.columns import media_preprocessor
from weaksup.media.features import FeatureExtractor, content_key, extract
from weaksup.media.image import IMAGE_KINDS, ImageFeatures, load_image


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WEAKSUP_EMBED_CACHE", str(tmp_path / "cache.sqlite"))


def _png(path, array, mode=None):
    Image.fromarray(array, mode=mode).save(path)
    return path


def test_load_image_reads_grey_and_colour_files_bytes_arrays_and_pil_images(tmp_path):
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    rgb = np.zeros((2, 2, 3), dtype=np.uint8)
    rgb[..., 0] = 255
    a = load_image(_png(tmp_path / "g.png", grey))
    assert a.dtype == np.float32 and a.shape == (3, 4) and np.allclose(a, grey / 255)
    c = load_image(str(_png(tmp_path / "c.png", rgb)))
    assert c.shape == (2, 2, 3) and np.allclose(c[..., 0], 1) and np.allclose(c[..., 1:], 0)
    assert np.allclose(load_image((tmp_path / "c.png").read_bytes()), c)  # the file's bytes
    assert np.allclose(load_image(Image.open(tmp_path / "c.png")), c)  # a PIL image
    assert np.allclose(load_image("c.png", root=tmp_path), c)  # a path relative to root
    rgba = np.dstack([rgb, np.full((2, 2), 7, dtype=np.uint8)])
    assert load_image(_png(tmp_path / "a.png", rgba)).shape == (2, 2, 3)  # alpha dropped
    deep = np.full((2, 2), 65535, dtype=np.uint16)
    Image.fromarray(deep).save(tmp_path / "d.png")
    assert np.allclose(load_image(tmp_path / "d.png"), 1.0)  # 16-bit PNG scaled by 65535
    assert load_image(rgb, grey=True).shape == (2, 2)
    assert np.allclose(load_image(np.ones((2, 2), dtype=bool)), 1.0)
    assert np.allclose(load_image(np.full((2, 2, 1), 0.5)), 0.5)


def test_load_image_names_what_is_wrong_and_the_fix(tmp_path):
    with pytest.raises(DataError, match=r"'nope.png' \(under .*\) does not exist.*root="):
        load_image("nope.png", root=tmp_path)
    (tmp_path / "text.png").write_text("not an image")
    with pytest.raises(DataError, match=r"text.png' cannot be read as an image.*replace or remove"):
        load_image(tmp_path / "text.png")
    with pytest.raises(DataError, match=r"bytes are not an image"):
        load_image(b"\x00\x01")
    with pytest.raises(DataError, match=r"float image array .* \[0, 1\].*array / 255"):
        load_image(np.full((2, 2), 200.0))
    with pytest.raises(DataError, match=r"shape \(2, 2, 5\) is not an image"):
        load_image(np.zeros((2, 2, 5), dtype=np.uint8))
    with pytest.raises(DataError, match=r"cannot read an image from dict"):
        load_image({"path": "x.png"})


def test_image_features_is_a_feature_extractor_with_one_name_per_value():
    features = ImageFeatures(list(IMAGE_KINDS), size=(16, 24))
    assert isinstance(features, FeatureExtractor) and Exported is ImageFeatures
    vector = features(np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8))
    assert vector.dtype == np.float32 and vector.shape == (len(features.names),) and np.isfinite(vector).all()
    assert len(set(features.names)) == len(features.names)
    assert features.names[:4] == ("height", "width", "aspect", "channels")
    assert np.allclose(vector[:4], [30, 40, 40 / 30, 3])  # the original size, before resizing


def test_intensity_colour_and_edges_measure_what_they_say():
    features = ImageFeatures(["intensity", "colour", "edges"])
    value = dict(zip(features.names, features(np.zeros((20, 20), dtype=np.uint8)).tolist()))
    assert value["mean"] == value["std"] == value["edge_density"] == value["gradient_mean"] == 0.0
    assert value["dark_fraction"] == 1.0 and value["entropy"] == 0.0 and value["saturation_mean"] == 0.0
    board = ((np.indices((16, 16)) // 4).sum(axis=0) % 2 * 255).astype(np.uint8)  # 4-pixel checkerboard
    value = dict(zip(features.names, features(board).tolist()))
    assert value["mean"] == pytest.approx(0.5) and value["contrast"] == pytest.approx(1.0)
    assert value["entropy"] == pytest.approx(1.0) and value["edge_density"] > 0.2 and value["gradient_mean"] > 0.1
    red = np.zeros((8, 8, 3), dtype=np.uint8)
    red[..., 0] = 255
    value = dict(zip(features.names, features(red).tolist()))
    assert (value["red_mean"], value["green_mean"], value["blue_mean"]) == (1.0, 0.0, 0.0)
    assert value["saturation_mean"] == 1.0 and value["colourfulness"] == pytest.approx(0.3 * np.hypot(1, 0.5))


def test_hog_matches_scikit_image_and_its_length_is_known_before_any_image():
    image = np.random.default_rng(1).random((25, 25)).astype(np.float32)
    for cell, block in ((5, 1), (5, 2), (8, 2)):
        features = ImageFeatures(["hog"], size=25, hog_cell=cell, hog_block=block)
        expected = hog(image, orientations=9, pixels_per_cell=(cell, cell), cells_per_block=(block, block),
                       block_norm="L2-Hys", feature_vector=True)
        assert len(features.names) == len(expected)
        assert np.allclose(features(image), expected, atol=1e-6)
    resized = ImageFeatures(["hog"], size=25, hog_cell=5)(np.random.default_rng(2).random((50, 60)))
    assert resized.shape == (576,)  # any input size: resized first


def test_the_id_changes_with_every_parameter_and_never_with_the_image_location():
    base = ImageFeatures(["edges", "hog"], size=32)
    ids = {base.id, ImageFeatures(["edges", "hog"], size=33).id, ImageFeatures(["edges", "hog"], size=32, hog_cell=4).id,
           ImageFeatures(["edges", "hog"], size=32, hog_block=1).id, ImageFeatures(["edges", "hog"], size=32,
                                                                              hog_orientations=8).id,
           ImageFeatures(["edges", "hog"], size=32, edge_sigma=2).id, ImageFeatures(["hog"], size=32).id}
    assert len(ids) == 7 and base.id.startswith("image@2:")
    assert ImageFeatures(["hog", "edges"], size=32).id == base.id  # kinds in one canonical order


@pytest.mark.parametrize("kwargs, message", [
    ({"kinds": ["edges", "shape"]}, r"\['shape'\] unknown"),
    ({"kinds": []}, r"give distinct kinds"),
    ({"kinds": ["hog"]}, r"needs size=\(height, width\)"),
    ({"kinds": ["hog"], "size": 8, "hog_cell": 8}, r"1x1 cells, fewer than a 2x2 block"),
    ({"kinds": ["edges"], "size": (0, 4)}, r"size=\(0, 4\).*positive"),
    ({"kinds": ["edges"], "edge_sigma": 0}, r"edge_sigma=0"),
])
def test_bad_parameters_are_parameter_errors(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        ImageFeatures(**kwargs)


def test_extract_computes_each_image_once_and_keys_by_content(tmp_path):
    pixels = np.random.default_rng(3).integers(0, 256, (10, 10), dtype=np.uint8)
    _png(tmp_path / "a.png", pixels)
    _png(tmp_path / "copy.png", pixels)
    _png(tmp_path / "other.png", 255 - pixels)
    assert content_key(tmp_path / "a.png") == content_key(tmp_path / "copy.png")
    cache = EmbeddingCache(tmp_path / "features.sqlite")
    features = ImageFeatures(["intensity", "edges"])
    vectors = extract(["a.png", "copy.png", "other.png"], features, cache=cache, root=tmp_path, progress=False)
    assert np.array_equal(vectors[0], vectors[1]) and not np.array_equal(vectors[0], vectors[2])
    assert np.allclose(vectors[0], features(tmp_path / "a.png"))
    (tmp_path / "a.png").unlink()  # a second call reads the cached vectors of copy.png's content
    again = extract(["copy.png"], features, cache=cache, root=tmp_path, progress=False)
    assert np.array_equal(again[0], vectors[0])


def test_threshold_rules_read_image_features_through_a_media_preprocessor(tmp_path):
    _png(tmp_path / "flat.png", np.full((12, 12), 128, dtype=np.uint8))
    _png(tmp_path / "busy.png", (np.indices((12, 12)).sum(axis=0) % 2 * 255).astype(np.uint8))
    pre = media_preprocessor(ImageFeatures(["intensity", "edges"]), field="file", prefix="img", root=tmp_path)

    @labeling_function(pre=[pre])
    def flat(x):
        return 1 if x.img_std < 0.05 else -1

    rows = pd.DataFrame({"file": ["flat.png", "busy.png"]})
    assert np.asarray(apply_lfs([flat], rows)).ravel().tolist() == [1, -1]


def test_a_missing_scikit_image_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "skimage.feature", None)  # import skimage.feature now fails
    with pytest.raises(ImportError, match=r'pip install "weaksup\[image\]"'):
        ImageFeatures(["edges"])(np.zeros((4, 4), dtype=np.uint8))


def test_without_scikit_image_the_extractor_is_refused_when_made_and_extract_never_blames_the_row(hide):
    made = ImageFeatures(["edges"])
    hide("skimage")
    with pytest.raises(ImportError, match=r'pip install "weaksup\[image\]"'):
        ImageFeatures(["size"])  # an LF module making it fails to import: the run stops before any row
    with pytest.raises(ImportError, match=r'pip install "weaksup\[image\]"') as info:
        extract([np.zeros((4, 4), dtype=np.uint8)], made, cache=False, progress=False)
    assert not isinstance(info.value, DataError) and getattr(info.value, "stops_run", False)


def test_a_folder_is_named_a_folder_not_a_missing_file(tmp_path):
    (tmp_path / "images").mkdir()
    with pytest.raises(DataError, match="is a folder, not a file"):
        load_image("images", root=tmp_path)


def test_a_photo_is_read_upright_and_grey_with_alpha_stays_grey(tmp_path):
    pixels = np.zeros((4, 6, 3), dtype=np.uint8)
    pixels[0, :, 0] = 255  # a red top row
    photo = Image.fromarray(pixels)
    exif = photo.getexif()
    exif[0x0112] = 6  # EXIF orientation: the camera was turned; viewers rotate 90 degrees clockwise
    photo.save(tmp_path / "turned.jpg", exif=exif, quality=100)
    upright = load_image(tmp_path / "turned.jpg")
    assert upright.shape == (6, 4, 3)  # the red row is now the right column (blurred by JPEG's chroma)
    assert upright[:, -1, 0].mean() > upright[:, 0, 0].mean() + 0.3
    grey_alpha = Image.fromarray(np.full((3, 3, 2), 128, dtype=np.uint8), mode="LA")
    assert load_image(grey_alpha).shape == (3, 3)


def test_a_jpeg_in_memory_is_read_like_its_file(tmp_path):
    rgb = np.random.default_rng(4).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG")
    (tmp_path / "x.jpg").write_bytes(buffer.getvalue())
    assert np.array_equal(load_image(buffer.getvalue()), load_image(tmp_path / "x.jpg"))


def _smooth_photo(height: int, width: int) -> np.ndarray:
    """A photo-like RGB image: smooth colour waves and a little noise (JPEG compresses it as it does photos)."""
    yy, xx = np.mgrid[0:height, 0:width]
    waves = np.stack([128 + 100 * np.sin(xx / 37) * np.cos(yy / 53), 128 + 80 * np.sin((xx + yy) / 71),
                      128 + 60 * np.cos(xx / 23)], axis=-1)
    return np.clip(waves + np.random.default_rng(0).normal(0, 8, waves.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("suffix", ["jpg", "png"])
def test_a_large_file_is_decoded_at_a_reduced_scale_with_nearly_the_same_features(tmp_path, suffix):
    path = tmp_path / f"big.{suffix}"
    Image.fromarray(_smooth_photo(1200, 1600)).save(path)
    reduced = load_image(path, min_size=(64, 64))
    assert reduced.shape[0] < 1200 / 2 and min(reduced.shape[:2]) >= 128  # still twice the size it is resized to
    assert load_image(path).shape == (1200, 1600, 3)  # without min_size: every pixel, as before
    features = ImageFeatures(["size", "intensity", "colour", "edges"], size=64)
    from_file, full = features(path), features(load_image(path))  # the array: decoded at full resolution
    assert from_file[:4].tolist() == [1200, 1600, np.float32(1600 / 1200), 3]  # the original's size, from the header
    np.testing.assert_allclose(from_file, full, rtol=0.05, atol=0.01)


def test_a_small_file_has_exactly_the_features_of_its_pixels(tmp_path):
    path = tmp_path / "small.png"
    Image.fromarray(_smooth_photo(100, 90)).save(path)
    features = ImageFeatures(["size", "intensity", "edges"], size=64)
    assert np.array_equal(features(path), features(load_image(path)))


def test_size_features_are_the_original_channels_read_from_the_header(tmp_path):
    rgb = _smooth_photo(20, 30)
    originals = {"L": (rgb[..., 0], 1), "LA": (np.dstack([rgb[..., 0], rgb[..., 1]]), 2), "RGB": (rgb, 3),
                 "RGBA": (np.dstack([rgb, rgb[..., :1]]), 4)}
    size = ImageFeatures(["size"])
    for mode, (array, channels) in originals.items():
        path = tmp_path / f"{mode}.png"
        Image.fromarray(array).save(path)
        assert Image.open(path).mode == mode
        assert size(path).tolist() == [20, 30, 1.5, channels], mode
        assert size(path.read_bytes()).tolist() == [20, 30, 1.5, channels], mode
        if mode != "LA":  # (an array is grey, RGB or RGBA)
            assert size(array).tolist() == [20, 30, 1.5, channels], mode
    Image.fromarray(rgb).convert("P").save(tmp_path / "palette.png")
    assert size(tmp_path / "palette.png")[3] == 3
    turned = tmp_path / "turned.jpg"
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x0112] = 6  # stored 30 wide, shown 20 wide: rotated a quarter turn
    Image.fromarray(rgb).save(turned, exif=exif)
    assert size(turned)[:2].tolist() == [30, 20] and load_image(turned).shape[:2] == (30, 20)


def test_an_image_over_the_decompression_bomb_limit_is_named_valid_with_the_fix(tmp_path, monkeypatch):
    path = tmp_path / "huge.png"
    _png(path, np.zeros((100, 100), dtype=np.uint8))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)  # the real limit, lowered: 10,000 pixels is over twice
    for features in (ImageFeatures(["intensity"]), ImageFeatures(["size"])):
        with pytest.raises(DataError, match="huge.png") as info:
            extract([path], features, cache=False, progress=False)
        message = str(info.value)
        assert "MAX_IMAGE_PIXELS" in message and "downscale" in message and "valid file" not in message
