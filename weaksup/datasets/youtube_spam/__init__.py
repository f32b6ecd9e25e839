"""The shipped YouTube spam example as package data (read it through :mod:`weaksup.datasets.examples`).

- ``data/``: the five CSVs of the UCI YouTube Spam Collection, unmodified, and ``SOURCE.md`` (attribution, licence);
- ``lfs.py``: the example's labeling functions, with ``resources/`` (their lookup tables) and ``sms_spam/``
  (the UCI SMS Spam Collection the model-score LF trains on, and its ``SOURCE.md``);
- ``gold/``: the gold set (dev and test splits of the UCI labels) that the demo measures on.
"""
