"""The label-quality report: LF summary, label-model metrics against gold, figures, HTML.

Typical use (``votes`` from :func:`weaksup.apply_lfs`, a fitted label model, a gold set and, optionally, the
``labels`` a run wrote, read with ``pandas.read_parquet``)::

    report = build_report(votes, lfs=registry, gold=load_gold("gold_sets/task"), model=label_model, data=df,
                          written=WrittenLabels.of(labels["label"], label_space=space, row_ids=labels["row_id"]))
    report.write_html("reports/task.html")
    weaksup.tracking.log_report(report, gold=gold)   # one MLflow run

:mod:`weaksup.report.core` builds the report, :mod:`weaksup.report.plots` draws its figures,
:mod:`weaksup.report.html` renders the page and :mod:`weaksup.report.written` holds the labels a run wrote
(``written``: shown beside the label model's, since they are not its predictions).
"""

from __future__ import annotations

from weaksup.report.core import QualityReport, build_report, data_hash
from weaksup.report.written import WrittenLabels

__all__ = ["QualityReport", "WrittenLabels", "build_report", "data_hash"]
