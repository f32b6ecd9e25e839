"""The 10 keyword/regex LFs of the speed benchmarks (apply_speed.py, pipeline_scale.py), as an LF module."""

import re

from weaksup import LabelSpace, keyword_lf, regex_lf

LABELS = LabelSpace(["ham", "spam"])
HAM, SPAM = 0, 1
LFS = [
    keyword_lf("kw_subscribe", ["subscribe", "subscribers", "sub"], SPAM),
    keyword_lf("kw_please", ["please", "plz", "pls"], SPAM),
    keyword_lf("kw_song", ["song", "songs"], HAM),
    keyword_lf("kw_money", ["money", "free", "cash"], SPAM),
    keyword_lf("kw_my_channel", ["my", "channel"], SPAM, mode="all"),
    regex_lf("re_check_out", r"check.*out", SPAM, flags=re.IGNORECASE),
    regex_lf("re_link", r"https?://|www\.", SPAM, flags=re.IGNORECASE),
    regex_lf("re_views", r"\b\d+\s*(?:billion|million)\b", HAM, flags=re.IGNORECASE),
    regex_lf("re_love", r"^\s*i\s+love", HAM, flags=re.IGNORECASE),
    regex_lf("re_shouting", r"[A-Z]{5,}", SPAM),
]
