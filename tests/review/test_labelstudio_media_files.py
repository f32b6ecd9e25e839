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


@pytest.mark.parametrize("media_url", ["data", "local-files"])
def test_empty_and_truncated_images_stop_the_export_naming_each_row(tmp_path, media_url):
    png = _png()
    for name, payload in {"ok.png": png, "trunc.png": png[:34], "empty.png": b"", "text.png": b"not an image"}.items():
        (tmp_path / name).write_bytes(payload)
    out = tmp_path / "review" / "tasks.json"
    queue = _queue({"a": "ok.png", "b": "trunc.png", "c": "empty.png", "d": "text.png"})
    with pytest.raises(ReviewError) as info:
        export_media_queue(queue, out, kind="image", media_column="path", label_space=["a", "b"], roots=[tmp_path],
                           media_url=media_url, document_root=tmp_path)
    message = str(info.value)
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
