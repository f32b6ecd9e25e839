"""Benchmark tasks beyond the shipped example: each module's ``load()`` gives rows, a gold set and a label space.

- :mod:`benchmarks.tasks.sms`: the raw UCI SMS Spam Collection (``../shared/data/sms_uci``), dev/test gold split
  by a fixed sha1 rule; its LFs, written on dev rows only, are :mod:`benchmarks.tasks.sms_lfs`.
"""
