"""Human review: route uncertain rows, order them, send them to Label Studio (or a CSV sheet), take the answers back as gold.

The loop::

    queue = review_queue(run.labels, run.read_input(), run.label_space, budget=50)      # routing + mixed order
    export_queue(queue, "review.json", label_space=run.label_space, model_version=rule_version)
    answers = read_export("project-1-export.json", run.label_space)                    # Label Studio export
    result = import_answers(answers, "gold_sets/<task>", task="<task>")                  # gold set v+1
    print(result.summary())   # agreement (every answer), accepted pre-fills, conflicts; unchanged: no new version

or from the command line: ``weaksup review export RUN_DIR`` and ``weaksup review import EXPORT``.
"""

from weaksup.errors import ReviewError, ReviewImportError
from weaksup.review.answers import Answers
from weaksup.review.display import display_text
from weaksup.review.importing import ReviewImport, import_answers
from weaksup.review.labelstudio import labeling_config, read_export
from weaksup.review.mixing import QUEUE_REASONS, MixedOrder, mixed_review_order
from weaksup.review.plain_csv import read_sheet
from weaksup.review.priority import review_order
from weaksup.review.privacy import mask_frame, mask_text
from weaksup.review.queue import Exported, export_queue, queue_summary, review_queue, reviewer_view
from weaksup.review.routing import REVIEW_STATUSES, RoutingPolicy, review_issues, route, uncertainty_score

__all__ = [
    "QUEUE_REASONS",
    "REVIEW_STATUSES",
    "Answers",
    "Exported",
    "MixedOrder",
    "ReviewError",
    "ReviewImport",
    "ReviewImportError",
    "RoutingPolicy",
    "display_text",
    "export_queue",
    "import_answers",
    "labeling_config",
    "mask_frame",
    "mask_text",
    "mixed_review_order",
    "queue_summary",
    "read_export",
    "read_sheet",
    "review_issues",
    "review_order",
    "review_queue",
    "reviewer_view",
    "route",
    "uncertainty_score",
]
