"""Media review tasks never carry an empty, corrupt or truncated file: the export stops (exit 2) naming each row
and file, and writes nothing. (It used to inline them as data URLs, e.g. ``data:image/png;base64,`` for 0 bytes.)"""

from __future__ import annotations

import io
import textwrap

import numpy as np
import pandas as pd
import pytest
import soundfile
from PIL import Image

from weaksup.errors import ReviewError
from weaksup.review.labelstudio_media import export_media_queue


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((8, 8), 200, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _wav(n: int = 800) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, np.sin(np.arange(n) / 5).astype(np.float32), 8000, format="WAV")
    return buffer.getvalue()


def _queue(paths: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({"row_id": list(paths), "path": list(paths.values()), "label": ["a"] * len(paths),
                         "confidence": [0.5] * len(paths)})


def _refusal(queue, folder, media_url):
    """The message of the ReviewError an image export of ``queue`` (files in ``folder``) stops with."""
    with pytest.raises(ReviewError) as info:
        export_media_queue(queue, folder / "review" / "tasks.json", kind="image", media_column="path",
                           label_space=["a", "b"], roots=[folder], media_url=media_url, document_root=folder)
    return str(info.value)


@pytest.mark.parametrize("media_url", ["data", "local-files"])
def test_empty_and_truncated_images_stop_the_export_naming_each_row(tmp_path, media_url):
    png = _png()
    for name, payload in {"ok.png": png, "trunc.png": png[:34], "empty.png": b"", "text.png": b"not an image"}.items():
        (tmp_path / name).write_bytes(payload)
    out, queue = tmp_path / "review" / "tasks.json", _queue({"a": "ok.png", "b": "trunc.png", "c": "empty.png",
                                                             "d": "text.png"})
    message = _refusal(queue, tmp_path, media_url)
    assert message.startswith("3 queued row(s) have a file (path) that cannot be shown as image: ")
    assert f"row 'b': {tmp_path / 'trunc.png'} (not an image Pillow can read" in message
    assert f"row 'c': {tmp_path / 'empty.png'} (the file is empty (0 bytes))" in message
    assert f"row 'd': {tmp_path / 'text.png'} (not an image Pillow can read" in message
    assert "row 'a'" not in message
    assert "Replace each file with a readable one, or drop the row" in message
    assert not out.parent.exists()
    done = export_media_queue(queue.head(1), out, kind="image", media_column="path", label_space=["a", "b"],
                              roots=[tmp_path])
    assert done.n_tasks == 1


def test_unreadable_and_empty_recordings_stop_the_export(tmp_path):
    wav = _wav()
    for name, payload in {"ok.wav": wav, "junk.wav": b"RIFF....WAVEjunk", "empty.wav": b"", "silent.wav": _wav(0),
                          "cut.wav": wav[:-1000]}.items():
        (tmp_path / name).write_bytes(payload)
    queue = _queue({"a": "ok.wav", "b": "junk.wav", "c": "empty.wav", "d": "silent.wav", "e": "cut.wav"})
    with pytest.raises(ReviewError) as info:
        export_media_queue(queue, tmp_path / "tasks.json", kind="audio", media_column="path", label_space=["a", "b"],
                           roots=[tmp_path])
    message = str(info.value)
    assert "row 'b'" in message and "not a recording soundfile can read" in message
    assert f"row 'c': {tmp_path / 'empty.wav'} (the file is empty (0 bytes))" in message
    assert f"row 'd': {tmp_path / 'silent.wav'} (a recording without samples)" in message
    # a WAV cut short played up to the cut, so it passed (soundfile reads it without an error)
    assert 0 < len(soundfile.read(io.BytesIO(wav[:-1000]))[0]) < 800
    assert (f"row 'e': {tmp_path / 'cut.wav'} (a truncated WAV: its header declares 1,600 bytes of samples but "
            "the file holds 600)") in message
    assert "row 'a'" not in message and not (tmp_path / "tasks.json").exists()
    from weaksup.review.labelstudio_media import media_problem

    assert media_problem(wav, "audio") == ""


def test_review_export_of_a_run_with_a_broken_image_exits_2_and_writes_nothing(tmp_path, monkeypatch, capsys):
    from weaksup.cli import main

    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "ok.png").write_bytes(_png())
    (tmp_path / "pics" / "trunc.png").write_bytes(_png()[:34])
    (tmp_path / "pics" / "empty.png").write_bytes(b"")
    pd.DataFrame({"row_id": ["a", "b", "c"], "path": ["pics/ok.png", "pics/trunc.png", "pics/empty.png"],
                  "score": [0.5] * 3}).to_csv(tmp_path / "rows.csv", index=False)
    (tmp_path / "media_check_lfs.py").write_text(textwrap.dedent('''
        from weaksup.lf import threshold_lf
        mid = threshold_lf("mid", "score > 0.4 and score < 0.6", 0)
        low = threshold_lf("low", "score < 0.6", 1)
    '''))
    (tmp_path / "cfg.toml").write_text(textwrap.dedent('''
        [task]
        name = "r1"
        labels = ["a", "b"]
        [input]
        path = "rows.csv"
        id_column = "row_id"
        text_column = ""
        [lfs]
        modules = ["media_check_lfs"]
        [end_model]
        enabled = false
        [review]
        media = "image"
        media_column = "path"
        [output]
        path = "runs/r1/labels.csv"
        [mlflow]
        enabled = false
    '''))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(SystemExit) as info:
        main(["run", "cfg.toml"])
    assert info.value.code == 0, capsys.readouterr().err
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(["review", "export", "runs/r1"])
    err = capsys.readouterr().err
    assert info.value.code == 2, err
    assert "2 queued row(s) have a file (path) that cannot be shown as image" in err
    assert "row 'b':" in err and "trunc.png" in err and "row 'c':" in err and "empty.png" in err
    assert not (tmp_path / "runs" / "r1" / "review").exists()


@pytest.mark.parametrize("media_url", ["data", "local-files"])
def test_missing_files_are_named_with_every_other_bad_row_not_just_the_first(tmp_path, media_url):
    (tmp_path / "ok.png").write_bytes(_png())
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "corrupt.png").write_bytes(_png()[:30])
    (tmp_path / "folder.png").mkdir()
    queue = _queue({"ok": "ok.png", "missing": "nope.png", "empty": "empty.png", "text": "text.png",
                    "corrupt": "corrupt.png", "gone": "also-gone.png", "folder": "folder.png"})
    message, out = _refusal(queue, tmp_path, media_url), tmp_path / "review" / "tasks.json"
    assert message.startswith("6 queued row(s) have a file (path) that cannot be shown as image: ")
    assert f"row 'missing': {tmp_path / 'nope.png'} (cannot read the file: No such file or directory)" in message
    assert f"row 'gone': {tmp_path / 'also-gone.png'} (cannot read the file: " in message
    assert f"row 'folder': {tmp_path / 'folder.png'} (cannot read the file: " in message
    for row in ("empty", "text", "corrupt"):
        assert f"row '{row}': {tmp_path / (row + '.png')} (" in message
    assert "row 'ok'" not in message
    assert not out.parent.exists()


def _tiff(tmp_path, name: str = "scan.tif") -> np.ndarray:
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, (9, 7, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / name, format="TIFF")
    return pixels


def test_a_tiff_is_sent_as_a_png_data_url_with_the_same_pixels(tmp_path):
    import base64
    import json

    pixels = _tiff(tmp_path)
    Image.fromarray(pixels[:, :, 0]).save(tmp_path / "plain.png")
    out = tmp_path / "review" / "tasks.json"
    export_media_queue(_queue({"t": "scan.tif", "p": "plain.png"}), out, kind="image", media_column="path",
                       label_space=["a", "b"], roots=[tmp_path])
    shown = {t["data"]["row_id"]: t["data"]["image"] for t in json.loads(out.read_text())}
    assert shown["t"].startswith("data:image/png;base64,")  # browsers (but Safari) show no image/tiff
    decoded = Image.open(io.BytesIO(base64.b64decode(shown["t"].split(",", 1)[1])))
    assert decoded.format == "PNG"
    assert np.array_equal(np.asarray(decoded), pixels)
    assert shown["p"] == "data:image/png;base64," + base64.b64encode((tmp_path / "plain.png").read_bytes()).decode()


def test_local_files_tasks_refuse_a_tiff_saying_how_to_show_it(tmp_path):
    _tiff(tmp_path)
    (tmp_path / "ok.png").write_bytes(_png())
    with pytest.raises(ReviewError) as info:
        export_media_queue(_queue({"t": "scan.tif", "ok": "ok.png"}), tmp_path / "review" / "tasks.json",
                           kind="image", media_column="path", label_space=["a", "b"], roots=[tmp_path],
                           media_url="local-files", document_root=tmp_path)
    message = str(info.value)
    assert message.startswith("1 queued row(s) have a file (path) that cannot be shown as image: ")
    assert f"row 't': {tmp_path / 'scan.tif'} (a TIFF image, which browsers cannot show in Label Studio; convert it " \
           "to PNG or JPEG, or use [review] media_url = \"data\"" in message
    assert "row 'ok'" not in message


def test_a_large_tasks_file_is_exported_with_a_warning_naming_the_way_out(tmp_path, monkeypatch, caplog):
    from weaksup.review import labelstudio_media

    (tmp_path / "a.png").write_bytes(_png())
    out = tmp_path / "review" / "tasks.json"
    export_media_queue(_queue({"a": "a.png"}), out, kind="image", media_column="path", label_space=["a", "b"],
                       roots=[tmp_path])
    assert "MB of tasks" not in caplog.text  # ~1 KB: no warning at the 100 MB default
    monkeypatch.setattr(labelstudio_media, "LARGE_TASKS_BYTES", out.stat().st_size - 1)
    with caplog.at_level("WARNING", logger="weaksup.review.labelstudio_media"):
        export_media_queue(_queue({"a": "a.png"}), out, kind="image", media_column="path", label_space=["a", "b"],
                           roots=[tmp_path])
    assert f"{out} holds 0 MB of tasks (media inline as data URLs)" in caplog.text
    assert 'media_url = "local-files") or export fewer rows (--budget)' in caplog.text


@pytest.mark.parametrize("mode, values", [("I", [[0, 70000], [35000, 0]]), ("F", [[0.0, 1.0], [0.5, 0.0]]),
                                          ("I;16B", [[0, 1000], [500, 0]])])
def test_deep_grey_tiffs_go_out_as_8_bit_png_scaled_to_their_range(mode, values):
    # Pillow writes no PNG of mode I (a traceback once), and converting F to L made [0, 1] floats black
    import io

    from PIL import Image

    from weaksup.review.labelstudio_images import browser_image

    array = np.array(values, dtype={"I": np.int32, "F": np.float32, "I;16B": ">u2"}[mode])
    image = Image.fromarray(array.astype(np.int32) if mode == "I" else array.astype(np.float32)) if mode != "I;16B" \
        else Image.frombytes("I;16B", (2, 2), array.tobytes())
    buffer = io.BytesIO()
    image.save(buffer, format="TIFF")
    png, mime = browser_image(buffer.getvalue())
    shown = np.asarray(Image.open(io.BytesIO(png)))
    assert mime == "image/png" and shown.tolist() == [[0, 255], [127, 0]]
