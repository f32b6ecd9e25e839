"""Gold-set versions: every version's rows stay on disk, in content-addressed files the manifest points at.

A gold set's ``manifest.json`` lists its versions, oldest first, under ``versions``::

    "versions": [
        {"version": 1, "files": ["labels.csv"], "content_hash": "aca3ebd2c796fee4", ...},
        {"version": 2, "files": ["labels-5f0c2e9a1b7d3c44.csv"], "content_hash": "5f0c2e9a1b7d3c44", ...}
    ]

and ``files``/``version``/``content_hash`` at the top are those of the current (last) version. A manifest
without ``versions`` (a gold set written before versions were kept) is one version: its ``files``.

The rows of every version after the first are written to ``<stem>-<content hash><suffix>``; a file a
version lists is never written again, so no version's labels are ever lost, and writing rows some version
already holds writes no file. Files written with spreadsheet formulas escaped are listed under
``escaped_files`` (see :mod:`weaksup.spreadsheet`), so reading gives back exactly the rows written.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from weaksup._io import atomic_path
from weaksup.errors import GoldSetError
from weaksup.gold.core import FORMATS, MANIFEST

#: The manifest key listing every version (oldest first).
VERSIONS = "versions"
#: The manifest key listing the label files written with formula-looking cells escaped.
ESCAPED_FILES = "escaped_files"


def manifest_type(path: str | os.PathLike[str]) -> str | None:
    """The ``type`` a gold set folder's (or its ``manifest.json``'s) manifest declares; None when unreadable.

    Examples
    --------
    >>> manifest_type("no/such/gold") is None
    True
    """
    folder = Path(path)
    folder = folder.parent if folder.name == MANIFEST else folder
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict):
        return None
    kind = doc.get("type", doc.get("task_type"))
    return str(kind) if kind is not None else None


def read_manifest(folder: Path, *, kind: str, writer: str) -> dict[str, Any]:
    """A gold set folder's manifest as a dict: a missing, broken or non-object file is a GoldSetError naming
    the file and the fix (``kind``: e.g. ``"span"``; ``writer``: the function that writes one).

    Examples
    --------
    >>> read_manifest(Path("no/such/gold"), kind="span", writer="write_span_gold")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.GoldSetError: no/such/gold/manifest.json: missing; a span gold set needs a manifest ...
    """
    where = str(folder / MANIFEST)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GoldSetError(f"{where}: missing; a {kind} gold set needs a manifest with task, type, version, "
                           f"label_space and files (write one with {writer})") from None
    except ValueError as exc:
        raise GoldSetError(f"{where}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise GoldSetError(f"{where}: must hold a JSON object; got {type(manifest).__name__}")
    return manifest


def version_entries(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The versions a manifest records, oldest first (``version``, ``files``, ``content_hash``, ...).

    Examples
    --------
    >>> version_entries({"version": 1, "files": ["labels.csv"], "content_hash": "ab"})
    [{'version': 1, 'files': ['labels.csv'], 'content_hash': 'ab'}]
    """
    entries = manifest.get(VERSIONS)
    if isinstance(entries, list) and entries and all(isinstance(e, dict) for e in entries):
        return [dict(e) for e in entries]
    entry = {"version": manifest.get("version"), "files": list(manifest.get("files") or []),
             "content_hash": manifest.get("content_hash")}
    if manifest.get("id_column", "row_id") != "row_id":
        entry["id_column"] = manifest["id_column"]
    return [entry]


def pin_text(manifest: dict[str, Any], version: int | str, pinned: bool) -> str:
    """What :meth:`describe` of a gold set loaded at ``version`` says about the pin: ``""`` unless ``pinned`` (a
    version was asked for), else ``"pinned; "`` and whether it is the latest version ``manifest`` records.

    Examples
    --------
    >>> manifest = {"versions": [{"version": 1}, {"version": 2}]}
    >>> pin_text(manifest, 1, True), pin_text(manifest, 2, True), pin_text(manifest, 2, False)
    ('pinned; v2 is the latest; ', 'pinned, the latest; ', '')
    """
    if not pinned:
        return ""
    latest = version_entries(manifest)[-1].get("version")
    return "pinned, the latest; " if str(latest) == str(version) else f"pinned; v{latest} is the latest; "


def check_pinned_version(path: str | os.PathLike[str], version: int | str, key: str) -> None:
    """Refuse a pinned gold set version (the config key ``key``) that the gold set at ``path`` does not have,
    with :func:`select_version`'s error (naming the versions it has) prefixed by ``key``; an unreadable manifest
    is left to the gold loader, which names what is wrong with it.

    Examples
    --------
    >>> check_pinned_version("gold_sets/youtube_spam", 1, "gold.version")
    >>> check_pinned_version("gold_sets/youtube_spam", 7, "gold.version")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    weaksup.errors.GoldSetError: gold.version = 7: .../manifest.json: no version 7 of the gold set; it has [1]...
    """
    folder = Path(path)
    folder = folder.parent if folder.name == MANIFEST else folder
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(manifest, dict):
        try:
            select_version(manifest, version, folder)
        except GoldSetError as exc:
            raise GoldSetError(f"{key} = {version}: {exc}; pin one of those, or leave {key} out for the latest"
                               ) from None


def select_version(manifest: dict[str, Any], version: int | str, folder: Path) -> dict[str, Any]:
    """``manifest`` with ``version``, ``files`` and ``content_hash`` of the version asked for.

    Raises
    ------
    GoldSetError
        When the manifest records no such version (the message lists those it has).
    """
    entries = version_entries(manifest)
    for entry in entries:
        if str(entry.get("version")) == str(version):
            return {**manifest, "version": entry.get("version"), "files": entry.get("files", []),
                    "content_hash": entry.get("content_hash"), "id_column": entry.get("id_column", "row_id")}
    raise GoldSetError(f"{folder / MANIFEST}: no version {version!r} of the gold set; it has "
                       f"{[e.get('version') for e in entries]}")


def plan_version(
    previous: dict[str, Any] | None, folder: Path, *, version: int | str, digest: str, file_name: str | None,
) -> tuple[str, bool, list[dict[str, Any]]]:
    """Where a new version's rows go, whether that file must be written, and the manifest's new ``versions``.

    Parameters
    ----------
    previous : dict or None
        The folder's current manifest (None for a new gold set).
    version : int or str
        The version being written.
    digest : str
        The content hash of its rows.
    file_name : str or None
        The file asked for; by default ``labels.csv`` for a new gold set and ``labels-<digest>.csv``
        (the suffix of the current version's file) for a later version.

    Raises
    ------
    GoldSetError
        When ``version`` already exists with other rows or is not the latest, or ``file_name`` holds an
        earlier version's rows.

    Examples
    --------
    >>> plan_version(None, Path("g"), version=1, digest="ab12", file_name=None)[:2]
    ('labels.csv', True)
    >>> old = {"version": 1, "files": ["labels.csv"], "content_hash": "ab12"}
    >>> plan_version(old, Path("g"), version=2, digest="cd34", file_name=None)[:2]
    ('labels-cd34.csv', True)
    >>> plan_version(old, Path("g"), version=1, digest="ab12", file_name=None)[:2]  # its file is missing here
    ('labels.csv', True)
    """
    entry = {"version": version, "content_hash": digest}
    if previous is None:
        name = file_name or "labels.csv"
        return name, True, [{**entry, "files": [name]}]
    entries = version_entries(previous)
    same = [e for e in entries if str(e.get("version")) == str(version)]
    if same and same[0].get("content_hash") != digest:
        newest = entries[-1].get("version")
        raise GoldSetError(
            f"{folder / MANIFEST}: version {version!r} of the gold set already exists with other labels (hash "
            f"{same[0].get('content_hash')}, these are {digest}); earlier versions are never overwritten: write "
            f"the new labels as the next version (after {newest!r})")
    if same and same[0] is not entries[-1]:
        raise GoldSetError(
            f"{folder / MANIFEST}: version {version!r} is an earlier version of the gold set (the latest is "
            f"{entries[-1].get('version')!r}); load it with load_gold(..., version={version!r}), or write its rows "
            "as the next version")
    held = [e for e in entries if e.get("content_hash") == digest and len(e.get("files") or []) == 1
            and (folder / str(e["files"][0])).is_file()]
    if same:  # the same version with the same rows: (re)write its file only if it is missing
        files = [str(f) for f in same[0].get("files") or []]
        if len(files) == 1:
            return files[0], not (folder / files[0]).is_file(), entries
        name = _default(previous, digest)
        return name, True, [{**e, "files": [name]} if e is same[0] else e for e in entries]
    used = {str(f): e.get("version") for e in entries for f in e.get("files") or []}
    if file_name is not None and file_name in used and not (held and str(held[0]["files"][0]) == file_name):
        raise GoldSetError(
            f"{folder / file_name} holds the labels of version {used[file_name]!r}; earlier versions are never "
            "overwritten: leave file_name unset (the new version goes to a content-addressed file)")
    if held and file_name in (None, str(held[0]["files"][0])):
        name, write = str(held[0]["files"][0]), False
    else:
        name, write = file_name or _default(previous, digest), True
    return name, write, [*entries, {**entry, "files": [name]}]


def warn_if_edited(folder: Path, manifest: dict[str, Any], digest: str, log: logging.Logger) -> None:
    """Warn when the files of the gold set version ``manifest`` describes no longer hold what it recorded (a label
    file edited in place): ``digest`` is the content hash of what they hold now. The fix depends on the version:
    the current one's edit can be recorded as the next version (``weaksup gold record``); an earlier one's labels
    are gone unless a copy of its file is kept elsewhere.

    Examples
    --------
    >>> warn_if_edited(Path("g"), {"version": 1, "content_hash": "ab"}, "ab", logging.getLogger("x"))  # no warning
    """
    recorded = manifest.get("content_hash")
    if recorded in (None, digest):
        return
    version = manifest.get("version")
    entries = version_entries(manifest)
    entry = next((e for e in entries if str(e.get("version")) == str(version)), {})
    edited = entry.get("edited_in_place")
    if isinstance(edited, dict):
        fix = (f"the edit was recorded as v{edited.get('recorded_as')}; this version's own labels are not on disk "
               "(load the current version)")
    elif entry is entries[-1] or not entry:
        fix = f"record the edit as the next version with `weaksup gold record {folder}`"
    else:
        fix = ("this is an earlier version: its own labels are lost unless a copy of its file is kept elsewhere "
               "(restore it from version control)")
    log.warning("gold set %s v%s: the labels changed since the manifest was written (content_hash %s, now %s): a "
                "label file was edited in place; %s", folder, version, recorded, digest, fix)


def publish_manifest(folder: Path, manifest: dict[str, Any], *, escaped: Sequence[str],
                     history: Sequence[Any] | None, previous: dict[str, Any] | None,
                     written: Path | None = None) -> None:
    """Write a gold set's manifest atomically: ``manifest`` plus the files written with escaped cells (if any) and
    the history (``history``, else the previous manifest's).

    ``written`` is the label file the caller has just created for this version (it was not there before): when
    the manifest cannot be written (a full disk, a file-size limit) it is removed again, so the folder is left
    exactly as it was (still the previous version, no stray file), as the write error says.
    """
    if escaped:
        manifest[ESCAPED_FILES] = sorted(set(escaped))
    kept = history if history is not None else (previous or {}).get("history")
    if kept:
        manifest["history"] = list(kept)
    try:
        with atomic_path(folder / MANIFEST) as tmp:
            tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise


def _default(previous: dict[str, Any], digest: str) -> str:
    """``labels-<digest>`` with the suffix of the current version's file (``.csv`` unless it is JSON Lines)."""
    files = previous.get("files") or []
    suffix = Path(str(files[0])).suffix.lower() if files else ".csv"
    return f"labels-{digest}{suffix if suffix in FORMATS else '.csv'}"
