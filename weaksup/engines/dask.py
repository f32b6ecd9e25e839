"""The Dask engine: one task per input part on a ``distributed`` cluster, the map steps of
:mod:`weaksup.engines.parts` in each task, counts merged and labels committed on the driver.

Why a task per :class:`~weaksup.engines.batch.InputPart` (``client.submit``) rather than
``dd.read_parquet(...).map_partitions``: Dask DataFrame decides its own partitions (it may split or fuse row
groups and files, and its optimizer may rewrite the graph), while resume and the vote cache are keyed by the
input part (its content key and ``.ok`` sidecar). A task per part keeps every row in exactly one task, in
the part's own order; the driver gathers the results in part order; a task lost with its worker is run again
whole (a part's votes and labels are pure functions of its rows, and its labels file is replaced atomically),
so every row is written once. The local engine runs the very same functions (``count_part``, ``label_part``).

``[engine] scheduler`` empty: a ``LocalCluster`` of ``workers`` processes (one thread each) on 127.0.0.1,
closed by :meth:`DaskEngine.close`; an address (``tcp://host:8786``): connect to that cluster. With
``ship_modules`` (the default) the LF modules go to every worker by ``Client.upload_file`` (a worker that
restarts gets them too); the workers need weaksup itself installed (``pip install 'weaksup[dask]'``) and
read the input and write the staging folder by the same paths as the driver (a shared file system).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from weaksup.apply.dask import killed_worker_error
from weaksup.engines.batch import BatchSpec, InputPart
from weaksup.engines.commit import PartResult, StagedRun
from weaksup.engines.config import EngineConfig
from weaksup.engines.parts import PartStats, count_part, label_part, merge_part_stats, part_faults
from weaksup.engines.predict import PredictionTable
from weaksup.errors import ConfigError, WeakSupError

logger = logging.getLogger(__name__)

#: Seconds to wait for a scheduler at ``[engine] scheduler`` before giving up.
CONNECT_TIMEOUT = 20


class DaskEngine:
    """Parts voted, counted and labeled by Dask workers, one task per part (see the module docstring).

    Parameters
    ----------
    options : EngineConfig, optional
        ``[engine]``: ``scheduler`` (empty: a LocalCluster of ``workers`` processes), ``ship_modules``.
    client : distributed.Client, optional
        A client to use as it is (not closed here); ``options.scheduler`` is then ignored.

    Examples
    --------
    >>> engine = DaskEngine(EngineConfig(name="dask", workers=2))
    >>> engine.name, engine.client_started
    ('dask', False)
    >>> engine.close()  # nothing was started
    """

    name = "dask"

    def __init__(self, options: EngineConfig | None = None, *, client: Any = None) -> None:
        self.options = options if options is not None else EngineConfig(name="dask")
        self._client: Any = client
        self._owned: list[Any] = []  # what close() shuts down: our client, then our cluster
        self._shipped: dict[str, str] = {}  # module spec -> the name the workers import it by
        self._origins: dict[str, Path] = {}  # uploaded file name -> the driver's file or folder it came from
        self._zips: list[str] = []  # uploaded package archives: the tasks put them on sys.path
        self._tmp = tempfile.TemporaryDirectory(prefix="weaksup-dask-ship-")
        #: LF columns voted by the last :meth:`vote_counts` (the rest came from the vote cache).
        self.computed = 0
        #: Rows each LF faulted on in the last :meth:`vote_counts` (abstained under ``lfs.fault_tolerant``).
        self.faults: dict[str, int] = {}

    @property
    def client_started(self) -> bool:
        """Whether a client is connected (started lazily by the first map)."""
        return self._client is not None

    @property
    def client(self) -> Any:
        """The ``distributed.Client``: connected to ``options.scheduler``, or to a new LocalCluster."""
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        from distributed import Client, LocalCluster

        address = self.options.scheduler
        if address:
            client = _connect_within(address, CONNECT_TIMEOUT)
            self._owned.append(client)
            logger.info("connected to the Dask scheduler at %s", address)
            return client
        cluster = LocalCluster(n_workers=self.options.workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=":0",
                               silence_logs=logging.CRITICAL)  # type: ignore[no-untyped-call]
        # (CRITICAL: a task's error comes back to the driver, which reports it once; the workers' own
        # "Compute Failed" ERROR lines only repeated it with a traceback)
        self._owned.append(cluster)
        client = Client(cluster)  # type: ignore[no-untyped-call]
        self._owned.append(client)
        logger.info("started a local Dask cluster of %d worker processes", self.options.workers)
        return client

    def start(self) -> None:
        """Start the LocalCluster and its client, or connect to ``options.scheduler``, now (else the first map
        does): the driver times it apart from the maps, as its ``engine start`` phase."""
        _ = self.client

    def worker_spec(self, spec: BatchSpec) -> BatchSpec:
        """``spec`` as the workers import it: with ``ship_modules``, each LF module is uploaded
        (``Client.upload_file``) once and a ``.py`` path becomes the uploaded module's name."""
        if not self.options.ship_modules:
            return spec
        modules = []
        for module in spec.modules:
            if module not in self._shipped:
                self._shipped[module] = self._ship(module, spec)
            modules.append(self._shipped[module])
        return dataclasses.replace(spec, modules=tuple(modules))

    def _ship(self, module: str, spec: BatchSpec) -> str:
        if module.endswith(".py") or os.sep in module or "/" in module:
            self.client.upload_file(module, load=False)
            self._origins[Path(module).name] = Path(module).resolve()
            logger.info("shipped %s to the Dask workers", module)
            return Path(module).stem
        found = package_to_ship(module.split(".")[0], spec.config.project)
        if found is not None:
            upload = found if found.suffix == ".py" else zip_package(found, Path(self._tmp.name))
            self.client.upload_file(str(upload), load=False)
            self._origins[upload.name] = found.resolve()
            if upload.suffix == ".zip":
                self._zips.append(upload.name)
            logger.info("shipped %s (for %s) to the Dask workers", found, module)
        return module

    def _map(self, what: str, fn: Callable[..., Any], parts: Sequence[InputPart], *args: Any) -> list[Any]:
        """``fn(spec, part, *args)`` as one task per part; results in part order."""
        from distributed import as_completed
        from tqdm.auto import tqdm

        client = self.client
        run = uuid.uuid4().hex[:12]  # this call's keys only: never another call's results
        futures = [client.submit(fn, part, *args, key=f"weaksup-{what}-{run}-part{part.index:05d}", pure=False)
                   for part in parts]
        try:
            with tqdm(total=len(futures), desc=f"dask {what}", unit="part", disable=None) as bar:
                for _ in as_completed(futures):  # type: ignore[no-untyped-call]
                    bar.update(1)
            return list(client.gather(futures))
        except WeakSupError as exc:  # (an LF's error: name its file as the user knows it, not the worker's copy)
            exc.args = tuple(driver_paths(a, self._origins) if isinstance(a, str) else a for a in exc.args)
            raise
        except Exception as exc:
            error = killed_worker_error(exc, what=what, parts=[p.path for p in parts])
            if error is None:
                raise
            raise error from exc
        finally:
            for future in futures:
                future.release()

    def vote_counts(self, spec: BatchSpec, parts: Sequence[InputPart], vote_dir: Path | None,
                    gold_ids: frozenset[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Map (a task per part): votes -> pattern counts and gold rows; reduce on the driver: their exact sum."""
        remote = self.client.scatter(self.worker_spec(spec), broadcast=True, hash=False)
        stats: list[PartStats] = self._map("votes", _count, parts, tuple(self._zips), remote, vote_dir, gold_ids)
        counts, gold, self.computed = merge_part_stats(stats)
        self.faults = part_faults(stats)
        return counts, gold

    def write_labels(self, spec: BatchSpec, table: PredictionTable, parts: Sequence[InputPart],
                     staged: StagedRun) -> list[PartResult]:
        """Map (a task per part): each unfinished part's labels into the staging folder; the prediction table
        is broadcast to every worker once."""
        client = self.client
        remote_spec = client.scatter(self.worker_spec(spec), broadcast=True, hash=False)
        remote_table = client.scatter(table, broadcast=True, hash=False)
        results: list[PartResult] = self._map("labels", _label, parts, tuple(self._zips), remote_spec, remote_table,
                                              staged)
        return results

    def close(self) -> None:
        """Close the client and the local cluster this engine started (a client passed in is left open)."""
        while self._owned:
            thing = self._owned.pop()
            try:
                thing.close()
            except Exception:  # noqa: BLE001 - closing is best effort; the run's result is already decided
                logger.debug("closing %r failed", thing, exc_info=True)
        self._client = None
        self._shipped.clear()
        self._zips.clear()
        self._tmp.cleanup()

    def __enter__(self) -> DaskEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def driver_paths(message: str, origins: Mapping[str, Path]) -> str:
    """``message`` with each path into a worker's copy of a shipped file (``origins``: the uploaded file's name ->
    the driver's file, or package folder for a ``.zip``) replaced by the driver's path.

    Examples
    --------
    >>> origins = {"lfs.py": Path("/home/ana/project/lfs.py"), "mylfs.zip": Path("/home/ana/project/mylfs")}
    >>> driver_paths("'boom' (defined at /tmp/dask-scratch-space/worker-x1/lfs.py:2) raised", origins)
    "'boom' (defined at /home/ana/project/lfs.py:2) raised"
    >>> driver_paths("at /tmp/dask-scratch-space/worker-x1/mylfs.zip/mylfs/rules.py:9", origins)
    'at /home/ana/project/mylfs/rules.py:9'
    """
    for name, origin in origins.items():
        to = str(origin).replace("\\", "\\\\")  # (a replacement string: backslashes escaped)
        if name.endswith(".zip"):
            message = re.sub(r"[^\s'\"()]*/" + re.escape(name) + "/" + re.escape(origin.name) + "/",
                             to + "/", message)
        else:
            message = re.sub(r"[^\s'\"()]*/" + re.escape(name) + r"(?=[:'\")\s]|$)", to, message)
    return message


def _connect_within(address: str, seconds: float) -> Any:
    """A ``distributed.Client`` connected to ``address``, or a :class:`ConfigError` after ``seconds``.

    The client is made on a daemon thread and waited for: a server at that address that accepts the connection
    but never speaks Dask's protocol (another service on the port) would otherwise block ``Client`` forever.
    """
    import threading

    from distributed import Client

    outcome: dict[str, Any] = {}

    def connect() -> None:
        try:
            outcome["client"] = Client(address, timeout=seconds)  # type: ignore[no-untyped-call]
        except Exception as exc:  # noqa: BLE001 - handed to the caller below
            outcome["error"] = exc

    thread = threading.Thread(target=connect, name="weaksup-dask-connect", daemon=True)
    thread.start()
    thread.join(seconds + 5)
    if "client" in outcome:
        return outcome["client"]
    why = f"{outcome['error']}" if "error" in outcome else "the address accepted the connection but never answered"
    raise ConfigError(f"engine.scheduler = {address!r}: no Dask scheduler answered within {seconds} s ({why}); "
                      "start one (dask scheduler; dask worker ADDRESS), check the address and port, or leave "
                      "engine.scheduler empty for a local cluster")


def _count(part: InputPart, zips: tuple[str, ...], spec: BatchSpec, vote_dir: Path | None,
           gold_ids: frozenset[str]) -> PartStats:
    _importable(zips)
    return count_part(spec, part, vote_dir, gold_ids)


def _label(part: InputPart, zips: tuple[str, ...], spec: BatchSpec, table: PredictionTable,
           staged: StagedRun) -> PartResult:
    _importable(zips)
    return label_part(spec, table, part, staged)


def _importable(zips: tuple[str, ...]) -> None:
    """Put the shipped package archives on this worker's ``sys.path`` (last: an installed copy wins)."""
    if not zips:
        return
    from distributed import get_worker

    folder = get_worker().local_directory
    for name in zips:
        path = os.path.join(folder, name)
        if os.path.isfile(path) and path not in sys.path:
            sys.path.append(path)


def package_to_ship(top: str, project: str) -> Path | None:
    """The file or package folder of the top-level module ``top`` when it is the project's own code (not
    weaksup, not installed in site-packages, not the standard library); None otherwise.

    Examples
    --------
    >>> package_to_ship("weaksup", ".") is None, package_to_ship("json", ".") is None
    (True, True)
    """
    import importlib.util

    if top == "weaksup" or top in sys.stdlib_module_names:
        return None
    if project and os.path.isdir(project) and project not in sys.path:
        sys.path.insert(0, project)
    try:
        found = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if found is None:
        return None
    if found.submodule_search_locations:
        where = Path(list(found.submodule_search_locations)[0])
    elif found.origin and found.has_location:
        where = Path(found.origin)
    else:
        return None
    if any(part in ("site-packages", "dist-packages") for part in where.parts):
        return None
    return where


def zip_package(folder: Path, into: Path) -> Path:
    """``folder`` (a package) as ``into/<name>.zip`` with the package at its root, byte code left out.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp()); (root / "pkg").mkdir(); _ = (root / "pkg" / "__init__.py").write_text("")
    >>> zipfile.ZipFile(zip_package(root / "pkg", root)).namelist()
    ['pkg/__init__.py']
    """
    target = into / f"{folder.name}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                archive.write(path, Path(folder.name) / path.relative_to(folder))
    return target
