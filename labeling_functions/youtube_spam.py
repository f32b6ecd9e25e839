"""The shipped example's LFs (YouTube spam comments), under the name the repository's configs use.

The module itself ships inside the package, ``weaksup/datasets/youtube_spam/lfs.py`` (read it: one or more
LFs of every kind), so that an installed weaksup runs ``weaksup demo`` without this folder. This file only
re-exports it, so ``Registry.from_modules("labeling_functions.youtube_spam")`` and
``configs/youtube_spam.toml`` keep working from the repository; write your own LF modules beside it.
"""

from weaksup.datasets.youtube_spam.lfs import *  # noqa: F401,F403
