"""Label Studio review of images and recordings: tasks that show the image (``<Image>``) or play the audio
(``<Audio>``) with the draft label as a prediction; the answers import back as gold like text answers do.

Two ways to put the media in a task (``[review] media_url``):

* ``"data"`` (the default, recommended): the file's bytes inline as a ``data:`` URL (base64); an image in a format
  browsers cannot show (TIFF, ...: :mod:`weaksup.review.labelstudio_images`) as PNG. Works offline and with
  any Label Studio, no server setup, nothing to serve; the tasks JSON grows by 4/3 of the files' size (a 25x25 PNG
  ~1 KB, a one-second 8 kHz WAV ~22 KB), fine for review batches of hundreds of small files. For large media (long
  recordings, photographs by the thousand) serve the files instead.
* ``"local-files"``: a ``/data/local-files/?d=<path>`` URL that the Label Studio server reads from its disk. It needs
  the server started with ``LOCAL_FILES_SERVING_ENABLED=true`` and ``LOCAL_FILES_DOCUMENT_ROOT=<a folder above the
  files>`` (``[review] media_document_root``, the same folder), and a *Local Files* storage in the project whose
  path holds the files (Settings > Cloud Storage), and the reviewer logged in to that server. Images in a format
  browsers cannot show (TIFF, ...) are refused: convert them, or use data URLs.

Paths in the media column are read as the run read them: relative to ``[review] media_root`` when set, else to the
input file's folder, else to the project folder. Every file is checked before anything is written
(:func:`media_problem`): an empty file, an image Pillow cannot open, or a recording soundfile cannot read stops the
export, naming each row and file.
"""

from __future__ import annotations

import base64
import io
import logging
import mimetypes
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from weaksup.errors import ReviewError
from weaksup.labels import LabelSpace
from weaksup.media.features import truncated_wav
from weaksup.review import labelstudio
from weaksup.review.labelstudio_answers import FROM_NAME
from weaksup.review.labelstudio_images import BROWSER_IMAGES, browser_image, image_format
from weaksup.review.queue import Exported, reviewer_view

logger = logging.getLogger(__name__)

__all__ = ["FILE_KINDS", "MEDIA_KINDS", "MEDIA_URLS", "data_url", "export_media_queue", "export_run_media", "find_media",
           "local_files_url", "media_labeling_config", "media_problem", "media_roots", "to_media_tasks"]

#: The media a review task can show: ``<Image>`` or ``<Audio>`` (the ``$image`` / ``$audio`` task field), or a
#: ``<TimeSeries>`` of the row's neighbourhood (``"series"``: :mod:`weaksup.review.labelstudio_series`).
MEDIA_KINDS = ("image", "audio", "series")
FILE_KINDS = ("image", "audio")
#: How a task carries its media: inline bytes (``data:`` URLs) or a path the server serves (``local-files``).
MEDIA_URLS = ("data", "local-files")
_SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"),
               (b"BM", "image/bmp"), (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"),
               (b"fLaC", "audio/flac"), (b"OggS", "audio/ogg"), (b"ID3", "audio/mpeg"))
_MIME = {".wav": "audio/wav", ".flac": "audio/flac", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".png": "image/png",
         ".webp": "image/webp", ".tif": "image/tiff", ".tiff": "image/tiff"}


def media_labeling_config(label_space: LabelSpace | Sequence[str], kind: str, *, from_name: str = FROM_NAME) -> str:
    """The labeling config (XML) of an image or audio classification task: the ``<Image>``/``<Audio>`` of the
    task's ``$image``/``$audio`` field and one ``<Choices>`` over the classes.

    Examples
    --------
    >>> print(media_labeling_config(["face", "other"], "image"))  # doctest: +ELLIPSIS
    <View>
      <Header value="Suggested: $suggested_label ($confidence), queued for: $review_reason"/>
      <Image name="image" value="$image" zoom="true" zoomControl="true"/>
      <Choices name="label" toName="image" choice="single" showInline="true">
    ...
    """
    _check_kind(kind)
    return labelstudio.labeling_config(label_space, from_name=from_name, media=kind)


def _check_kind(kind: str) -> None:
    if kind not in FILE_KINDS:
        raise ReviewError(f"review media must be one of {list(FILE_KINDS)} (or empty for text; \"series\": "
                          f"weaksup.review.labelstudio_series); got {kind!r}")


def _sniff(head: bytes, name: str = "") -> str:
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    guessed = _MIME.get(Path(name).suffix.lower()) or mimetypes.guess_type(name)[0]
    return guessed or "application/octet-stream"


def data_url(item: Any, *, field: str = "media") -> str:
    """The ``data:`` URL of a file (a path), raw bytes, or an image array (written as PNG).

    An image browsers cannot show (TIFF, JPEG 2000, ...: :func:`~weaksup.review.labelstudio_images.browser_image`)
    goes as PNG, as the review export sends it.

    Examples
    --------
    >>> data_url(b"\\x89PNG\\r\\n\\x1a\\n....")[:30]
    'data:image/png;base64,iVBORw0K'
    >>> data_url(np.zeros((2, 2), dtype=np.uint8))[:22]
    'data:image/png;base64,'
    >>> from PIL import Image
    >>> tiff = io.BytesIO()
    >>> Image.fromarray(np.full((2, 2), 7, np.uint8)).save(tiff, format="TIFF")
    >>> data_url(tiff.getvalue())[:22]
    'data:image/png;base64,'
    """
    if isinstance(item, (str, os.PathLike)):
        payload = _read(item, field)
        mime = _sniff(payload[:16], Path(item).name)
    elif isinstance(item, (bytes, bytearray, memoryview)):
        payload = bytes(item)
        mime = _sniff(payload[:16])
    elif isinstance(item, np.ndarray):
        pixels = item if item.dtype == np.uint8 else np.clip(np.asarray(item, dtype=np.float64) * 255, 0, 255)
        payload, mime = _png(pixels), "image/png"
    else:
        raise ReviewError(f"{field}: a review task shows a file path, bytes or an image array; got "
                          f"{type(item).__name__}")
    if mime.startswith("image/") and mime not in BROWSER_IMAGES.values() and not media_problem(payload, "image"):
        payload, mime = browser_image(payload) or (payload, mime)
    return f"data:{mime};base64,{base64.b64encode(payload).decode('ascii')}"


def _read(item: str | os.PathLike[str], field: str) -> bytes:
    try:
        return Path(item).read_bytes()
    except OSError as exc:
        raise ReviewError(f"{field} {str(item)!r}: cannot read the file ({exc.strerror or exc}); fix the path "
                          f"(or [review] media_root) and export again") from exc


def media_problem(payload: bytes, kind: str) -> str:
    """Why a file's bytes cannot be shown as ``kind`` media (``""`` when they can): empty, an image Pillow cannot
    open and decode, or a recording soundfile cannot read (or one without samples, or a WAV cut short:
    :func:`weaksup.media.features.truncated_wav`). Without Pillow / soundfile installed only emptiness and WAV headers are checked.

    Examples
    --------
    >>> media_problem(b"", "image")
    'the file is empty (0 bytes)'
    >>> png = base64.b64decode(data_url(np.zeros((2, 2), np.uint8)).split(",")[1])
    >>> media_problem(png, "image"), media_problem(png[:20], "image")
    ('', 'not an image Pillow can read (Truncated File Read)')
    """
    if not payload:
        return "the file is empty (0 bytes)"
    if kind == "audio" and (cut := truncated_wav(payload)):
        return cut
    try:
        if kind == "image":
            from PIL import Image

            with Image.open(io.BytesIO(payload)) as image:
                image.verify()  # the structure (chunks, checksums) ...
            with Image.open(io.BytesIO(payload)) as image:
                image.load()  # ... and the pixels: a truncated file fails here
        elif kind == "audio":
            import soundfile

            samples, _ = soundfile.read(io.BytesIO(payload), always_2d=False)
            if len(samples) == 0:
                return "a recording without samples"
    except ImportError:
        logger.debug("no decoder for %s media installed: only empty files are refused", kind)
    except Exception as exc:  # noqa: BLE001 -- any decoder error is a file the reviewer cannot see or hear
        what = "an image Pillow" if kind == "image" else "a recording soundfile"
        why = re.sub(r"(Error opening )?<_io\.BytesIO object at 0x[0-9a-fA-F]+>:?\s*", "", str(exc)).strip()
        if why.startswith("cannot identify image file"):
            why = "no image format recognised: truncated, or not an image file"
        why = why or type(exc).__name__
        return f"not {what} can read ({why})"
    return ""


def _png(pixels: np.ndarray) -> bytes:
    """An image array's PNG bytes."""
    from weaksup.media.features import require

    image = require("PIL.Image", "image", "Images in review tasks")
    buffer = io.BytesIO()
    image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def local_files_url(path: str | os.PathLike[str], document_root: str | os.PathLike[str]) -> str:
    """The Label Studio URL of a file under the server's ``LOCAL_FILES_DOCUMENT_ROOT``.

    Examples
    --------
    >>> local_files_url("/srv/media/fsdd/0_a b.wav", "/srv/media")
    '/data/local-files/?d=fsdd/0_a%20b.wav'
    """
    full, root = Path(os.path.abspath(path)), Path(os.path.abspath(document_root))
    if not full.is_relative_to(root):
        raise ReviewError(f"media file {str(path)!r} is not under the local-files document root {str(root)!r}; set "
                          f"[review] media_document_root (and the server's LOCAL_FILES_DOCUMENT_ROOT) to a folder "
                          f"above the files, or use media_url = \"data\"")
    return "/data/local-files/?d=" + quote(full.relative_to(root).as_posix())


def find_media(item: Any, roots: Sequence[str | os.PathLike[str]]) -> Any:
    """A relative path resolved against the first root holding the file (else the first root); others as given.

    Examples
    --------
    >>> str(find_media("a.png", ["/nowhere", "/data"]))
    '/nowhere/a.png'
    """
    if not isinstance(item, (str, os.PathLike)) or Path(item).is_absolute() or not roots:
        return item
    candidates = [Path(root) / item for root in roots]
    return next((c for c in candidates if c.is_file()), candidates[0])


def to_media_tasks(queue: pd.DataFrame, *, kind: str, media_column: str, model_version: str, media_url: str = "data",
                   roots: Sequence[str | os.PathLike[str]] = (), document_root: str | os.PathLike[str] | None = None,
                   extra_fields: Iterable[str] = (), from_name: str = FROM_NAME) -> list[dict[str, Any]]:
    """Label Studio tasks (import format) showing each queued row's image or recording, in the queue's order.

    Like :func:`~weaksup.review.labelstudio.to_tasks` (``row_id``, the suggested label, its confidence and the
    reason as task data; the draft label as a prediction), with the media under ``data[kind]``.

    Examples
    --------
    >>> q = pd.DataFrame({"row_id": ["r1"], "pixels": [np.zeros((2, 2), np.uint8)], "label": ["face"],
    ...                   "confidence": [0.55]})
    >>> task = to_media_tasks(q, kind="image", media_column="pixels", model_version="rules-1")[0]
    >>> task["data"]["image"][:22], task["predictions"][0]["result"][0]["to_name"]
    ('data:image/png;base64,', 'image')
    """
    _check_kind(kind)
    if media_url not in MEDIA_URLS:
        raise ReviewError(f"[review] media_url must be one of {list(MEDIA_URLS)}; got {media_url!r}")
    if media_url == "local-files" and document_root is None:
        raise ReviewError("[review] media_url = \"local-files\" needs media_document_root: the folder the Label "
                          "Studio server serves (its LOCAL_FILES_DOCUMENT_ROOT)")
    if media_column not in queue.columns:
        raise ReviewError(f"the review queue has no media column {media_column!r}; it has "
                          f"{list(map(str, queue.columns))} (set [review] media_column to the column of file paths)")
    shown = queue.assign(**{media_column: ""})  # the tasks' text: replaced by the media below
    tasks = labelstudio.to_tasks(shown, model_version=model_version, text_column=media_column,
                                 extra_fields=extra_fields, from_name=from_name, to_name=kind)
    bad: list[str] = []  # rows whose file cannot be shown: all named at once
    for task, item in zip(tasks, queue[media_column].tolist()):
        task["data"].pop("text", None)
        if _no_media(item):
            raise ReviewError(f"row {task['data']['row_id']!r} has no {media_column}; a media review task needs a "
                              f"file to show")
        found = find_media(item, roots)
        where = f"row {task['data']['row_id']!r}: {media_column}"
        is_path = isinstance(found, (str, os.PathLike))
        if media_url == "local-files" and not is_path:
            raise ReviewError(f"{where} {str(item)[:80]!r} is not a file; local-files tasks need paths of files "
                              f"on the Label Studio server's disk")
        try:
            payload = _read(found, where) if is_path else bytes(found) if isinstance(found, (bytes, bytearray)) \
                else None
        except ReviewError as exc:  # a missing or unreadable file: named with the others below
            payload, problem = None, _unreadable(exc)
        else:
            problem = media_problem(payload, kind) if payload is not None else ""
        shown_as = browser_image(payload) if kind == "image" and payload is not None and not problem else None
        if shown_as is not None and payload is not None and media_url == "local-files" and shown_as[0] is not payload:
            problem = (f"a {image_format(payload)} image, which browsers cannot show in Label Studio; convert it "
                       "to PNG or JPEG, or use [review] media_url = \"data\" (the export converts it to PNG)")
        if problem:
            bad.append(f"row {task['data']['row_id']!r}: {str(found) if is_path else 'bytes'} ({problem})")
        elif payload is None:  # an image array (data URLs only): written as PNG
            task["data"][kind] = data_url(found, field=where)
        elif media_url == "data":  # an image browsers cannot show (TIFF, ...) goes as PNG
            sent, mime = shown_as or (payload, _sniff(payload[:16], Path(found).name if is_path else ""))
            task["data"][kind] = f"data:{mime};base64,{base64.b64encode(sent).decode('ascii')}"
        else:
            task["data"][kind] = local_files_url(found, document_root)  # type: ignore[arg-type]
    if bad:
        shown = "; ".join(bad[:_SHOWN_BAD]) + (f"; and {len(bad) - _SHOWN_BAD} more" if len(bad) > _SHOWN_BAD else "")
        raise ReviewError(f"{len(bad)} queued row(s) have a file ({media_column}) that cannot be shown as {kind}: "
                          f"{shown}. Replace each file with a readable one, or drop the row from the input and run "
                          "again; then export again (nothing was written)")
    return tasks


#: The size of a tasks file (bytes) over which the export warns that it is large for Label Studio's import.
LARGE_TASKS_BYTES = 100_000_000
#: Rows named in the error about files that cannot be shown.
_SHOWN_BAD = 20


def _unreadable(exc: ReviewError) -> str:
    """Why :func:`_read` could not read a file, without the path (the error about bad rows names it)."""
    found = re.search(r"cannot read the file \(([^)]*)\)", str(exc))
    return f"cannot read the file: {found.group(1) if found else exc}"


def _no_media(item: Any) -> bool:
    """A queued row's media cell that names no file: empty, None or NaN."""
    return item is None or (isinstance(item, float) and np.isnan(item)) or (isinstance(item, str) and not item.strip())


def export_media_queue(queue: pd.DataFrame, path: str | os.PathLike[str], *, kind: str, media_column: str,
                       label_space: LabelSpace | Sequence[str], model_version: str = "", media_url: str = "data",
                       roots: Sequence[str | os.PathLike[str]] = (),
                       document_root: str | os.PathLike[str] | None = None, fields: Iterable[str] = (),
                       sensitive_fields: Iterable[str] = (), mask: bool | None = None) -> Exported:
    """Write a review queue as image/audio Label Studio tasks plus the labeling config beside them.

    Extra ``fields`` shown to reviewers are cleaned and redacted as in text review
    (:func:`~weaksup.review.queue.reviewer_view`: sensitive ones redacted whole unless ``mask=False``); the media
    themselves are shown as they are.

    Examples
    --------
    >>> import tempfile
    >>> q = pd.DataFrame({"row_id": ["r1"], "pixels": [np.zeros((2, 2), np.uint8)], "label": [""],
    ...                   "confidence": [0.5]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     done = export_media_queue(q, Path(tmp) / "tasks.json", kind="image", media_column="pixels",
    ...                               label_space=["face", "other"])
    ...     done.n_tasks, done.config_path.name
    (1, 'tasks.labeling_config.xml')
    """
    fields = [f for f in dict.fromkeys(fields) if f not in ("row_id", media_column)]
    sensitive = [f for f in sensitive_fields if f != media_column]
    if media_column in set(sensitive_fields):
        logger.warning("[review] sensitive_fields lists the media column %r: review tasks show the media as they are",
                       media_column)
    shown, counts = reviewer_view(queue, text_column=media_column, fields=fields, sensitive_fields=sensitive,
                                  mask=False if mask is False else None)
    queue = shown.assign(**{media_column: queue[media_column].to_numpy()})
    blank = [_no_media(item) for item in queue[media_column].tolist()] if media_column in queue.columns else []
    left_out = [str(r) for r, b in zip(queue["row_id"].tolist(), blank) if b]
    if left_out:  # a row without a file (its features are missing, so it was routed): nothing to show
        logger.warning("%d queued row(s) have no %s and are left out of the review tasks: %s", len(left_out),
                       media_column, left_out[:5])
        queue = queue[[not b for b in blank]]
    tasks = to_media_tasks(queue, kind=kind, media_column=media_column, model_version=model_version,
                           media_url=media_url, roots=roots, document_root=document_root, extra_fields=fields)
    target, config = labelstudio.write_tasks(tasks, path, config=media_labeling_config(label_space, kind))
    size = target.stat().st_size
    if size > LARGE_TASKS_BYTES:  # Label Studio reads an upload whole into memory; pushes go in 50 MB requests
        logger.warning("%s holds %.0f MB of tasks (media inline as data URLs): Label Studio's import may run out of "
                       "memory or refuse it; serve the files instead ([review] media_url = \"local-files\") or "
                       "export fewer rows (--budget)", target, size / 1e6)
    logger.info("wrote %d %s review task(s) to %s (%.1f MB, media as %s URLs)", len(tasks), kind, target, size / 1e6,
                media_url)
    return Exported(target, "labelstudio", len(tasks), config, counts, left_out)


def media_roots(config: Any) -> list[Path]:
    """Where a run's relative media paths are read from: ``[review] media_root``, else the input file's folder and
    the project folder."""
    review = config.review
    if review.media_root:
        return [config.resolve(review.media_root, "review.media_root")]
    roots = [config.resolve(config.input.path, "input.path").parent] if config.input.path else []
    return [*roots, Path(config.project)]


def export_run_media(config: Any, queue: pd.DataFrame, path: str | os.PathLike[str],
                     label_space: LabelSpace | Sequence[str], model_version: str, fields: Iterable[str],
                     mask: bool | None = None) -> Exported:
    """``weaksup review export`` of a run whose ``[review] media`` is set: :func:`export_media_queue` with the
    run config's media settings."""
    review = config.review
    document_root = (config.resolve(review.media_document_root, "review.media_document_root")
                     if review.media_document_root else None)
    return export_media_queue(queue, path, kind=review.media, media_column=review.media_column,
                              label_space=label_space, model_version=model_version, media_url=review.media_url,
                              roots=media_roots(config), document_root=document_root, fields=fields,
                              sensitive_fields=review.sensitive_fields, mask=mask)
