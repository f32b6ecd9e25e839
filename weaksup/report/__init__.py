"""The label-quality report: LF summary, label-model metrics against gold, figures, HTML.

Typical use (``votes`` from :func:`weaksup.apply_lfs`, a fitted label model, a gold set)::

    report = build_report(votes, lfs=registry, gold=load_gold("gold_sets/task"), model=label_model, data=df)
    report.write_html("reports/task.html")
    weaksup.tracking.log_report(report, gold=gold)   # one MLflow run

:mod:`weaksup.report.core` builds the report, :mod:`weaksup.report.plots` draws its figures and
:mod:`weaksup.report.html` renders the page.
"""

from __future__ import annotations

from weaksup.report.core import QualityReport, build_report, data_hash

__all__ = ["QualityReport", "build_report", "data_hash"]
