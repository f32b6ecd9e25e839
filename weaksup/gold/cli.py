"""``weaksup gold``: show a gold set and its versions, create one from a labels file, add or remove rows as the
next version, record a hand edit (:mod:`weaksup.gold.edits`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

gold_app = typer.Typer(add_completion=False, no_args_is_help=True,
                       help="Gold sets: show one and its versions, create one from a file of labelled rows, add or "
                            "remove rows as its next version, record a hand edit as its next version.")

_FOLDER = typer.Argument(..., help="The gold set's folder (gold_sets/<task>).")
_FROM = typer.Option(..., "--from", help="A CSV, TSV, JSON Lines or Parquet file of labelled rows.")
_ID = typer.Option("row_id", "--id-column", help="The file's column of row ids (the input's id column values).")
_LABEL = typer.Option(None, "--label-column",
                      help="The file's column of labels (multi-label: ';'-joined label sets). Default: create: "
                           "'label', with --multilabel 'labels'; add: the gold set manifest's label_column "
                           "('labels' for a multi-label gold set, else 'label').")
_SPLIT_COLUMN = typer.Option("split", "--split-column", help="The file's column of splits (dev or test).")
_SPLIT = typer.Option(None, "--split", help="Put every row in this split (dev or test): for a file without a split "
                                            "column.")


def _rows(from_file: Path, id_column: str, label_column: str, split_column: str, split: str | None,
          labels_column: str = "label") -> Any:
    from weaksup.gold.edits import read_label_file

    return read_label_file(from_file, id_column=id_column, label_column=label_column, split_column=split_column,
                           split=split, labels_column=labels_column)


def manifest_label_column(folder: Path) -> str:
    """The label column a file added to the gold set in ``folder`` is read from by default: its manifest's
    ``label_column`` (a multi-label gold set's is ``labels``), else ``labels`` for a multi-label gold set and
    ``label`` otherwise (also when the folder holds no readable manifest: adding then says what is wrong).

    Examples
    --------
    >>> import json, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> manifest_label_column(folder)
    'label'
    >>> _ = (folder / "manifest.json").write_text(json.dumps({"type": "multilabel", "label_column": "labels"}))
    >>> manifest_label_column(folder)
    'labels'
    """
    import json

    from weaksup.gold.core import MANIFEST

    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "label"
    if not isinstance(manifest, dict):
        return "label"
    return str(manifest.get("label_column") or ("labels" if manifest.get("type") == "multilabel" else "label"))


@gold_app.command("show")
def show(folder: Path = _FOLDER,
         version: str = typer.Option(None, "--version", help="An earlier version (default: the current one).")
         ) -> None:
    """The gold set's classes per split, its annotators and every version, with what is on disk."""
    from weaksup.gold.edits import load_any_gold, version_table

    gold = load_any_gold(folder, version=version)
    typer.echo(gold.describe())
    typer.echo(_class_table(gold).to_string())
    annotators = sorted({a for a in gold.frame.get("annotator", []) if a})
    typer.echo(f"annotators: {len(annotators)}" + (f" ({', '.join(annotators[:8])}" +
                                                     (", ..." if len(annotators) > 8 else "") + ")" if annotators else ""))
    from weaksup.gold import GoldSet, agreement

    if isinstance(gold, GoldSet) and not gold.frame["row_id"].is_unique:
        a = agreement(gold)
        typer.echo(f"agreement on {a.n_items} rows with 2+ annotations: raw {a.raw_agreement:.3f}, "
                   f"Fleiss' kappa {a.fleiss_kappa:.3f}")
    table = version_table(folder)
    typer.echo("versions:\n" + table.to_string(index=False))
    edited = table[table["on_disk"].str.startswith("edited")]
    if len(edited) and str(edited["version"].iloc[-1]) == str(table["version"].iloc[-1]):
        typer.echo(f"the current version's file was edited after it was written: record the edit as the next "
                   f"version with `weaksup gold record {folder}`")


def _class_table(gold: Any) -> Any:
    """Labelled rows per class (label, entity type) and split."""
    import pandas as pd

    from weaksup.gold import GoldSet

    if isinstance(gold, GoldSet):
        per = {s: gold.labels(s).value_counts() for s in gold.counts()}
        names = list(gold.label_space)
    elif "labels" in gold.frame.columns:
        per = {s: pd.Series([x for labels in gold.label_sets(s) for x in labels]).value_counts() for s in gold.counts()}
        names = list(gold.space.labels)
    else:
        per = {s: pd.Series([span[2] for spans in gold.spans(s) for span in spans]).value_counts()
               for s in gold.counts()}
        names = list(gold.types)
    return pd.DataFrame({s: counts.reindex(names, fill_value=0) for s, counts in per.items()},
                        index=pd.Index(names, name="class")).fillna(0).astype(int)


@gold_app.command("create")
def create(folder: Path = _FOLDER, from_file: Path = _FROM,
           labels: str = typer.Option(..., "--labels", help="The label space, comma-separated, in its order."),
           task: str = typer.Option(None, "--task", help="The task name (default: the folder's name)."),
           id_column: str = _ID, label_column: str = _LABEL, split_column: str = _SPLIT_COLUMN, split: str = _SPLIT,
           multilabel: bool = typer.Option(False, "--multilabel", help="Rows carry label sets (';'-joined)."),
           none_label: str = typer.Option(None, "--none-label", help="Multi-label: the 'none of them' label."),
           description: str = typer.Option("", "--description", help="Where the labels come from (kept in the "
                                                                       "manifest)."),
           ) -> None:
    """Create version 1 of a gold set from a file of labelled rows."""
    from weaksup.gold.edits import create_gold

    space = [name.strip() for name in labels.split(",") if name.strip()]
    label_column = label_column or ("labels" if multilabel else "label")
    rows = _rows(from_file, id_column, label_column, split_column, split, "labels" if multilabel else "label")
    gold = create_gold(folder, rows, task=task or folder.name, labels=space, multilabel=multilabel,
                       none_label=none_label, description=description or f"created from {from_file.name}")
    typer.echo(f"gold set {gold.describe()} written to {folder}" + _empty_sets(gold))


@gold_app.command("add")
def add(folder: Path = _FOLDER, from_file: Path = _FROM, id_column: str = _ID, label_column: str = _LABEL,
        split_column: str = _SPLIT_COLUMN, split: str = _SPLIT) -> None:
    """Write a file's labelled rows as the gold set's next version (they replace the annotations of their row
    ids; earlier versions stay on disk)."""
    from weaksup.gold.edits import add_rows

    label_column = label_column or manifest_label_column(folder)
    gold, change = add_rows(folder, _rows(from_file, id_column, label_column, split_column, split))
    counts = f"{change['added']} row(s) added, {change['changed']} changed, {change['unchanged']} unchanged"
    if not change["added"] and not change["changed"]:
        return typer.echo(f"gold set {gold.task}: unchanged at v{gold.version} ({counts})")
    typer.echo(f"gold set {gold.describe()}: {counts}" + _empty_sets(gold))


def _empty_sets(gold: Any) -> str:
    """How many rows of a multi-label gold set carry the empty label set (a blank labels cell: no label applies),
    so a cell left blank by mistake shows; ``""`` for other gold sets or none (with a none label, an empty set
    is refused when written and warned about when loaded)."""
    if "labels" not in gold.frame.columns:
        return ""
    n = sum(not labels for labels in gold.label_sets())
    return (f"; {n} row(s) carry the empty label set (a blank labels cell, [] in JSON Lines: no label applies; "
            "label any left blank by mistake)") if n else ""


@gold_app.command("remove")
def remove(folder: Path = _FOLDER,
           ids: str = typer.Option(None, "--ids", help="The row ids whose annotations go, comma-separated."),
           ids_file: Path = typer.Option(None, "--ids-file", help="Or a file of those row ids, one per line.")
           ) -> None:
    """Write the gold set without some row ids' annotations as its next version (earlier versions stay on disk)."""
    from weaksup.errors import GoldSetError
    from weaksup.gold.edits import remove_rows

    if (ids is None) == (ids_file is None):
        raise GoldSetError(f"weaksup gold remove {folder}: give either --ids ID,ID,... or --ids-file FILE (one row id "
                           "a line), " + ("not both" if ids is not None else "none was given"))
    if ids_file is not None:
        try:
            lines = ids_file.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise GoldSetError(f"--ids-file {ids_file}: cannot be read ({exc}); give a UTF-8 text file of row ids, "
                               "one per line") from None
        wanted = [i.strip() for i in lines if i.strip()]
    else:
        wanted = [i.strip() for i in ids.split(",") if i.strip()]
    if not wanted:
        raise GoldSetError(f"{'--ids-file ' + str(ids_file) if ids_file is not None else '--ids'}: no row id given; "
                           "list the row ids whose annotations go")
    gold, gone = remove_rows(folder, wanted)
    if not gone:
        return typer.echo(f"gold set {gold.task}: unchanged at v{gold.version} (it holds none of {wanted[:10]})")
    skipped = [i for i in wanted if i not in set(gone)]
    typer.echo(f"gold set {gold.describe()}: {len(gone)} row id(s) removed" +
               (f"; not in it, skipped: {skipped[:10]}" if skipped else ""))


@gold_app.command("record")
def record(folder: Path = _FOLDER) -> None:
    """Record the current version's label file, edited in place, as the next version."""
    from weaksup.gold.edits import record_edit

    recorded = record_edit(folder)
    if recorded is None:
        return typer.echo(f"gold set {folder}: its files hold what its manifest recorded; nothing to record")
    gold, edited = recorded
    typer.echo(f"gold set {gold.describe()}: the edit of v{edited} recorded (v{edited}'s own labels were "
               "overwritten by the edit and are not on disk)")
