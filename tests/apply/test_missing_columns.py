"""An LF reading a column its row lacks is told the fields its row HAD after its preprocessors (not only the
data's columns), with a did-you-mean when one is close."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from weaksup import ABSTAIN, labeling_function, preprocessor
from weaksup.apply import apply_lfs
from weaksup.errors import MissingColumnError


def test_a_typo_in_a_media_feature_names_the_preprocessors_columns(tmp_path, monkeypatch):
    from weaksup.media import ImageFeatures, media_preprocessor

    monkeypatch.setenv("WEAKSUP_EMBED_CACHE", str(tmp_path / "cache.sqlite"))
    Image.fromarray(np.full((8, 8), 30, np.uint8)).save(tmp_path / "ok.png")
    img = media_preprocessor(ImageFeatures(["intensity"]), field="path", prefix="img", root=tmp_path)

    @labeling_function(pre=[img])
    def dark(x):
        return 1 if x.img_grey_mean < 0.2 else ABSTAIN  # the column is img_mean

    with pytest.raises(MissingColumnError) as info:
        apply_lfs([dark], pd.DataFrame({"row_id": ["a"], "path": ["ok.png"]}), id_column="row_id")
    message = str(info.value)
    assert "reads column 'img_grey_mean', which neither the data nor its preprocessors have" in message
    assert ("its row had the data's columns ['row_id', 'path'] and the ones its preprocessors added, "
            "['img_mean'" in message)
    assert message.endswith("did you mean 'img_mean'?")


def test_a_row_preprocessors_field_is_listed_and_suggested_for_item_access():
    @preprocessor()
    def words(x):
        x.n_words = len(x.text.split())
        return x

    @labeling_function(pre=[words])
    def long(x):
        return 1 if x["n_word"] > 3 else ABSTAIN

    with pytest.raises(MissingColumnError) as info:
        apply_lfs([long], pd.DataFrame({"text": ["a b c d e"]}))
    message = str(info.value)
    assert "its row had the data's columns ['text'] and the ones its preprocessors added, ['n_words']" in message
    assert message.endswith("did you mean 'n_words'?")


def test_without_preprocessors_the_message_names_the_data_columns_and_a_close_one():
    @labeling_function()
    def high(x):
        return 1 if x.scor > 1 else ABSTAIN

    with pytest.raises(MissingColumnError, match=r"reads column 'scor', which the data does not have; its columns "
                                                 r"are \['score'\]; did you mean 'score'\?$"):
        apply_lfs([high], pd.DataFrame({"score": [2]}))
