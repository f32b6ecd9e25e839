"""A run's staging folder (:class:`Stage`): made, seeded with hard links, adopted after a kill, published;
and :func:`user_paths`, which keeps staging and temporary names out of every message (see
:mod:`weaksup.pipeline.folder` for the whole protocol)."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from weaksup._io import TEMP_PATTERN, remove_stale_temporaries, stage_name
from weaksup.errors import ConfigError, DataError
from weaksup.pipeline.folder import HOLDER, MANIFEST, is_committed, outputs_of, publish, read_manifest, recover, stages

logger = logging.getLogger(__name__)

#: The names a vote folder may hold besides ``part-*`` files (anything else means the folder is not weaksup's).
_VOTE_FILES = ("index.json",)


def check_owned(folder: Path, name: str, claimed: bool) -> None:
    """``folder/name`` (``votes``, ``clean``) is weaksup's to replace: absent, claimed by the published
    ``run.json``, or holding only part files and ``index.json``; else a DataError (a user's own folder)."""
    path = folder / name
    if claimed or not os.path.lexists(path) or read_manifest(path / "index.json").get("format") == "weaksup.VoteParts":
        return
    foreign = not path.is_dir() or path.is_symlink()
    if not foreign:
        for entry in os.scandir(path):
            if not (entry.name.startswith("part-") or entry.name in _VOTE_FILES or TEMP_PATTERN.fullmatch(entry.name)):
                foreign = True
                break
    if foreign:
        raise DataError(f"{path} exists and was not written by weaksup; a run would replace it with its {name}/. "
                        "Move it away, or give output.path a folder of its own")


#: What a vote store's identity (:func:`weaksup.pipeline.inputs.input_identity`) records, by the config key that
#: sets it.
_IDENTITY_KEYS = {"files": "input files (input.path)", "example": "input.example", "id_column": "input.id_column",
                  "text_column": "input.text_column", "chunk_rows": "input.chunk_rows",
                  "encoding": "input.encoding", "clean": "[clean] settings", "cleaning_version": "text cleaning (a new weaksup version)",
                  "versions": "pandas/pyarrow versions", "labels": "task labels ([task] labels)"}


def check_resumable(folder: Path, key: str, identity: dict[str, Any]) -> None:
    """For ``--resume``: saved votes in ``folder`` (a stopped run's, else the published run's) must have been
    computed from the rows this run reads (vote-store ``key``); else a ConfigError naming what changed, with
    nothing removed. No saved votes at all is the caller's to report.

    Examples
    --------
    >>> import tempfile
    >>> check_resumable(Path(tempfile.mkdtemp()), "k", {})  # nothing saved: nothing to check
    """
    indexes = [old / "votes" / "index.json" for old in reversed(stages(folder))] + [folder / "votes" / "index.json"]
    saved = [doc for doc in map(read_manifest, indexes) if isinstance(doc.get("key"), str)]
    if not saved or any(doc["key"] == key for doc in saved):
        return
    from weaksup.pipeline.vote_store import portable_identity

    before, identity = saved[0].get("identity"), portable_identity(identity)
    changed = []
    for field, name in _IDENTITY_KEYS.items():
        if isinstance(before, dict) and before.get(field) != identity.get(field):
            old, new = before.get(field), identity.get(field)
            plain = all(v is None or isinstance(v, str | int) for v in (old, new))
            changed.append(f"{name} (was {old!r}, now {new!r})" if plain else name)
    what = ", ".join(changed) if changed else "input or input settings"
    raise ConfigError(f"--resume: the saved votes in {folder / 'votes'} were computed with a different {what}; "
                      "resume with the settings of the stopped run, or run without --resume to recompute the votes "
                      "(the saved ones are kept until then)")


class Stage:
    """A run's staging folder in the run folder (see the module docstring)."""

    def __init__(self, folder: Path, path: Path) -> None:
        self.folder, self.path = folder, path

    @classmethod
    def open(cls, folder: Path, *, config_source: str, votes_key: str | None, reuse: bool,
             clean: bool, resume: bool = False) -> Stage:
        """Sweep leftovers and make this run's stage; call it holding the lock.

        ``votes_key``: the key of the vote store (:attr:`VoteStore.key`): a dead run's stage whose
        ``votes/index.json`` has it is adopted (its finished chunks are reused); otherwise the published
        ``votes/`` (and ``clean/`` when ``clean``) are hard-linked in. ``reuse=False`` starts empty. An adopted
        stage that holds fewer chunks than the published votes (a killed ``--fresh`` run's: only those it
        recomputed) takes the published votes of the others, unless ``resume`` (``--resume`` goes on with the
        stopped run as it was: a ``--fresh`` one recomputes them).
        """
        recover(folder)
        published = read_manifest(folder / MANIFEST)
        claimed = outputs_of(published)
        check_owned(folder, "votes", "votes" in claimed)
        if clean:
            check_owned(folder, "clean", "clean" in claimed)
        for sub in (folder, folder / "votes", folder / "clean"):
            remove_stale_temporaries(sub)
        path = folder / stage_name()
        adopted = None
        for old in reversed(stages(folder)):  # the newest first
            if adopted is None and reuse and votes_key is not None and _votes_key(old) == votes_key:
                adopted = old
            else:
                shutil.rmtree(old, ignore_errors=True)
        if adopted is not None:
            os.replace(adopted, path)
            for entry in os.scandir(path):
                if entry.name not in ("votes", "clean"):
                    _remove(Path(entry.path))
            for sub in (path / "votes", path / "clean"):
                for entry in list(os.scandir(sub)) if sub.is_dir() else []:
                    if TEMP_PATTERN.fullmatch(entry.name):
                        _remove(Path(entry.path))
            logger.info("continuing from the votes of an earlier run that stopped before it finished")
            if not resume and votes_key is not None:
                _fill_from_published(folder, path, votes_key, clean=clean)
        else:
            path.mkdir()
            _link_tree(folder / "votes", path / "votes", saved=reuse)
            if clean:
                _link_tree(folder / "clean", path / "clean", saved=reuse)
        stage = cls(folder, path)
        stage.write_holder(config_source)
        return stage

    def write_holder(self, config_source: str) -> None:
        """Say who holds the folder (read by a second run that finds it locked)."""
        doc = {"pid": os.getpid(), "host": socket.gethostname(),
               "started": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
               "config": config_source}
        (self.path / HOLDER).write_text(json.dumps(doc), encoding="utf-8")

    @property
    def has_votes(self) -> bool:
        """Whether the stage holds saved votes (``votes/index.json``)."""
        return (self.path / "votes" / "index.json").is_file()

    def progress(self) -> bool:
        """Whether the stage holds votes this run wrote (an index that is not the published one)."""
        index = self.path / "votes" / "index.json"
        if not index.is_file():
            return False
        published = self.folder / "votes" / "index.json"
        try:
            return not (published.is_file() and os.path.samefile(index, published))
        except OSError:
            return True

    def commit_and_publish(self, manifest_text: str) -> None:
        """Write ``run.json`` in the stage (the run is whole), then publish it. A publish that fails with an
        error is undone (the previous run stays, this one is not rolled forward later: see
        :func:`weaksup.pipeline.folder.publish`); one cut short by a kill is finished by the next reader."""
        from weaksup._io import atomic_path

        os.unlink(self.path / HOLDER)
        with atomic_path(self.path / MANIFEST) as tmp:
            tmp.write_text(manifest_text, encoding="utf-8")
        from weaksup.interrupt import note_publish

        note_publish(str(self.folder), "publishing")
        try:
            publish(self.folder, self.path, undo=True)
        except Exception:
            note_publish(str(self.folder), "failed")
            raise
        note_publish(str(self.folder), "published")

    def abandon(self) -> None:
        """After a failure: keep the stage when it holds new votes (the next run resumes from them), else
        remove it."""
        if self.path.exists() and not is_committed(self.path) and not self.progress():
            shutil.rmtree(self.path, ignore_errors=True)
        elif self.path.exists() and not is_committed(self.path):
            with contextlib.suppress(OSError):
                os.unlink(self.path / HOLDER)


def _votes_key(stage: Path) -> str | None:
    doc = read_manifest(stage / "votes" / "index.json")
    key = doc.get("key")
    return key if isinstance(key, str) else None


def _fill_from_published(folder: Path, stage: Path, key: str, *, clean: bool) -> None:
    """Index in ``stage`` (an adopted one) the published vote parts of the chunks past its last one, their files
    (and their ``clean/`` parts when ``clean``) hard-linked in (the published ones never change: a part is
    rewritten by a rename), when both indexes have ``key`` (the same input): a killed ``--fresh`` run's stage holds
    only the chunks it recomputed, and without them the next run would recompute every chunk the published votes
    hold."""
    from weaksup._io import atomic_path
    from weaksup.pipeline.vote_store import KEYS_SUFFIX, part_path

    published, votes = folder / "votes", stage / "votes"
    doc, source = read_manifest(votes / "index.json"), read_manifest(published / "index.json")
    ours, theirs = doc.get("parts"), source.get("parts")
    if doc.get("key") != key or source.get("key") != key or not isinstance(ours, list) \
            or not isinstance(theirs, list) or len(theirs) <= len(ours):
        return
    taken: list[dict[str, Any]] = []
    for entry in theirs[len(ours):]:
        if not isinstance(entry, dict):
            break
        part = part_path(published, entry.get("file"))  # (an entry leading outside votes/ stops the run, named)
        files = [published / part.name, published / part.with_suffix(KEYS_SUFFIX).name]
        cleaned = folder / "clean" / f"part-{len(ours) + len(taken):05d}.parquet"
        try:  # (a published chunk without its clean part: the run cleans it, reusing its votes)
            for source_file in [*files, *([cleaned] if clean and cleaned.is_file() else [])]:
                with atomic_path(stage / source_file.parent.name / source_file.name) as tmp:  # (over a part the
                    tmp.unlink()  # killed run wrote but did not index)
                    _link_tree_file(source_file, tmp)
        except FileNotFoundError:  # a published part gone: this chunk and the next are recomputed
            break
        taken.append({**entry, "file": part.name})
    if taken:
        with atomic_path(votes / "index.json") as tmp:
            tmp.write_text(json.dumps({**doc, "parts": [*ours, *taken]}, indent=1), encoding="utf-8")
        logger.info("the stopped run had saved %d chunk(s); the published votes of the %d after them are reused",
                    len(ours), len(taken))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _link_tree(source: Path, target: Path, *, saved: bool = True) -> None:
    """Hard-link every file (and symlink, as a symlink) directly in ``source`` into a new ``target``;
    copy where the file system has no hard links. ``saved=False``: only files that are not weaksup's
    (not ``part-*`` nor ``index.json``: a file the user put there is kept when the votes are recomputed)."""
    if not source.is_dir() or source.is_symlink():
        return
    target.mkdir(exist_ok=True)
    for entry in os.scandir(source):
        if TEMP_PATTERN.fullmatch(entry.name) or entry.is_dir(follow_symlinks=False):
            continue
        if not saved and (entry.name.startswith("part-") or entry.name in _VOTE_FILES):
            continue
        _link_tree_file(Path(entry.path), target / entry.name)


def _link_tree_file(source: Path, dest: Path) -> None:
    """Hard-link ``source`` (a symlink as a symlink) to ``dest``; copy where the file system has no hard links."""
    try:
        os.link(source, dest, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        if source.is_symlink():
            os.symlink(os.readlink(source), dest)
        else:
            shutil.copy2(source, dest)


class _UserPaths(logging.Filter):
    """Rewrites a log record's message so it names the user's paths, not staging or temporary ones."""

    def filter(self, record: logging.LogRecord) -> bool:
        from weaksup._io import user_path

        try:
            record.msg, record.args = user_path(record.getMessage()), None
        except Exception:  # noqa: BLE001 - a malformed record is the handler's to report, as it is
            pass
        return True


#: The loggers whose messages may name files of a run's stage.
_STAGE_LOGGERS = ("weaksup.pipeline", "weaksup.pipeline.vote_store", "weaksup.pipeline.voting",
                  "weaksup.pipeline.stages", "weaksup.pipeline.folder", "weaksup.pipeline.inputs",
                  "weaksup.report.core", "weaksup.votes", "weaksup.models.base")


@contextlib.contextmanager
def user_paths(folder: Path, source: str) -> Iterator[None]:
    """Errors and log messages inside name the user's paths, never a temporary or staging name.

    An ``OSError`` becomes a :class:`DataError` naming the path and the fix (the previous run in
    ``folder`` is unchanged); a :class:`WeakSupError` keeps its class with its message mapped.
    """
    from weaksup._io import NO_ROOM, user_path
    from weaksup.errors import WeakSupError

    mapper = _UserPaths()
    loggers = [logging.getLogger(name) for name in _STAGE_LOGGERS]
    for log in loggers:
        log.addFilter(mapper)
    try:
        yield
    except OSError as exc:
        where = user_path(exc.filename) if exc.filename else str(folder)
        reason = user_path(exc.strerror or str(exc))
        ours = Path(where).is_relative_to(folder)
        if exc.errno in NO_ROOM or "written" in reason:
            fix = ("write elsewhere (output.path)" if "disk is full" in reason.lower() else  # (a WriteError says it)
                   "the disk is full or a file-size limit was reached: free some space, or write elsewhere (output.path)")
        elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            fix = (f"the folder is not writable: fix its permissions, or change output.path in {source}" if ours
                   else "fix its permissions")
        else:
            fix = f"fix the cause, or change output.path in {source}" if ours else "check that path"
        what = "cannot write" if ours else "the run stopped at"
        raise DataError(f"{what} {where}: {reason}; {fix}. The previous run in {folder} is unchanged, and the "
                        "votes computed so far are kept for the next run") from exc
    except WeakSupError as exc:
        exc.args = tuple(user_path(a) if isinstance(a, str) else a for a in exc.args)
        raise
    finally:
        for log in loggers:
            log.removeFilter(mapper)
