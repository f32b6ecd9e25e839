"""The YouTube LFs written from the unlabeled rows (weaksup.datasets.youtube_spam.lfs_unlabeled): what each votes on
plain comments, the ham LFs' promotion guard, and that the shipped module re-exports them after its own 16."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from weaksup import ABSTAIN, Registry, apply_lfs
from weaksup.datasets.youtube_spam import lfs_unlabeled as module

HAM, SPAM = module.HAM, module.SPAM
MODULE = "weaksup.datasets.youtube_spam.lfs_unlabeled"

#: (LF name, a comment it votes on, a comment it leaves alone); invented comments, none from the data set.
CASES = [
    ("u_subscribe_request", "pls subscribe to my channel i sub back", "I subscribed years ago, still love it"),
    ("u_self_promotion", "go watch my new cover of this song", "my mom loves this song"),
    ("u_aspiring_artist", "I&#39;m a 15 year old rapper from Ohio", "I am a big fan of her"),
    ("u_go_look", "search &quot;DJ Nobody&quot; on google, give it a listen", "I looked at the dance"),
    ("u_money_offer", "make easy money from home, 300 bucks per day", "money for nothing, what a song"),
    ("u_social_handle", "follow me on instagram @some_name", "my email is broken"),
    ("u_view_count_talk", "just came to check the views", "check out my views on my channel"),
    ("u_watching_when", "who is still watching in 2015?", "subscribe if you watch in 2015"),
    ("u_nostalgia", "this was 5 years ago, time flies", "new song soon, visit my page"),
    ("u_about_the_video", "is that the girl from the jungle?", "she should check out my channel"),
    ("u_fan_love", "I really love this, best song ever <3", "love this? please share my link"),
    ("u_thumbs_up_if", "thumbs up if you dance to this", "thumbs up if you subscribe"),
]


def votes(texts: list[str]) -> tuple[np.ndarray, list[str]]:
    registry = Registry.from_modules(MODULE)
    matrix = apply_lfs(registry, pd.DataFrame({"row_id": [f"r{i}" for i in range(len(texts))], "text": texts}),
                       id_column="row_id")
    return matrix.values, list(matrix.lf_names)


def test_every_lf_votes_its_class_on_its_pattern_and_abstains_elsewhere():
    assert [name for name, _, _ in CASES] == module.__all__
    L, names = votes([text for _, yes, no in CASES for text in (yes, no)])
    assert names == module.__all__
    for j, (name, yes, no) in enumerate(CASES):
        label = SPAM if name in {"u_subscribe_request", "u_self_promotion", "u_aspiring_artist", "u_go_look",
                                 "u_money_offer", "u_social_handle"} else HAM
        assert L[2 * j, j] == label, (name, yes)
        assert L[2 * j + 1, j] == ABSTAIN, (name, no)


def test_a_ham_lf_is_silent_on_a_comment_with_a_promotion_marker():
    plain = ["I love this song", "love it!!", "best video ever", "she is great", "so good"]
    markers = [", check out my channel", " www.example.com", ", subscribe", ", follow me", ", free gift cards"]
    L, _ = votes(plain + [text + marker for text, marker in zip(plain, markers)])
    assert (L[:5] == HAM).any(axis=1).all()
    assert not (L[5:] == HAM).any()


def test_the_lfs_read_only_the_text_and_join_the_shipped_ones():
    shipped = Registry.from_modules("labeling_functions.youtube_spam")
    assert list(shipped)[-len(module.__all__):] == module.__all__ and len(shipped) == 16 + len(module.__all__)
    both = Registry.from_modules("labeling_functions.youtube_spam", MODULE)  # the same LFs: listed once
    assert list(both) == list(shipped) and both.label_space == shipped.label_space
    for name in module.__all__:
        assert list(shipped[name].fields) == ["text"] and shipped[name] is getattr(module, name)


@pytest.mark.parametrize("text", ["", "   ", "\ufeff", "&#39;", "<br />"])
def test_empty_or_markup_only_comments_get_no_vote(text):
    L, _ = votes([text])
    assert (L == ABSTAIN).all()
