"""A media path that is not found: the message says where it was looked for (with root= applied when given) and
the fix; it never tells a caller who gave root= to give root=."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from weaksup.errors import DataError


def _no_give_root(message: str) -> None:
    assert "give root=" not in message and "pass root=" not in message, message


def test_load_audio_with_root_names_the_folder_searched(tmp_path, monkeypatch):
    from weaksup.media.audio import load_audio

    monkeypatch.chdir(tmp_path)
    (tmp_path / "snd").mkdir()
    with pytest.raises(DataError) as info:
        load_audio("nothere.wav", root="snd")
    message = str(info.value)
    assert message == (f"audio file 'nothere.wav' (under root= '{tmp_path / 'snd'}', as "
                       f"'{tmp_path / 'snd' / 'nothere.wav'}') does not exist; fix the path in the row, or change "
                       "root= if the files are in another folder")
    with pytest.raises(DataError, match=r"no root= given\) does not exist; .*or give root="):
        load_audio("nothere.wav")


def test_extract_with_root_names_the_folder_searched(tmp_path, monkeypatch):
    from weaksup.media import AudioFeatures, extract

    monkeypatch.chdir(tmp_path)
    (tmp_path / "snd").mkdir()
    with pytest.raises(DataError) as info:
        extract(["nothere.wav"], AudioFeatures(["duration"]), root="snd", cache=False, progress=False)
    message = str(info.value)
    _no_give_root(message)
    assert f"item 'nothere.wav': cannot read the file (under root= '{tmp_path / 'snd'}', as " in message
    assert message.endswith("fix the path in the row, or change root= if the files are in another folder, or drop "
                            "the row")


def test_load_image_with_root_names_the_folder_searched(tmp_path):
    from weaksup.media.image import load_image

    Image.fromarray(np.zeros((2, 2), np.uint8)).save(tmp_path / "ok.png")
    with pytest.raises(DataError) as info:
        load_image("nope.png", root=tmp_path)
    _no_give_root(str(info.value))
    assert f"(under root= '{tmp_path}', as '{tmp_path / 'nope.png'}') does not exist" in str(info.value)
