"""The driver JVM of a local Spark session the engine starts: a quick-starting JIT and a class-data archive.

In local mode (``local[N]``) the engine's Spark work is small for the JVM (a range of part numbers in, one pickled
result per part out: the LFs run in the Python workers), yet starting Spark costs the JVM 10-20 CPU seconds, mostly
loading and compiling Spark's classes. On a laptop (or this benchmark's 2 vCPUs) that is a fifth of a 10M-row run.
Two settings cut it (measured: the JVM's CPU for a session plus a job fell from 20 s to about 5 s):

- ``-XX:TieredStopAtLevel=1 -XX:+UseSerialGC``: the quick (C1) compiler only and one GC thread;
- a dynamic class-data-sharing (AppCDS) archive of the classes Spark loads, kept under
  ``~/.cache/weaksup/spark-cds/`` (``XDG_CACHE_HOME`` is honoured) and keyed by the Java binary and the pyspark
  install. The first session writes it when its JVM exits (``-XX:ArchiveClassesAtExit``, to a file of its own);
  a later start takes it once that JVM is gone and ``java -XX:SharedArchiveFile=... -version`` accepts it (a
  truncated archive would crash the JVM, so an unchecked one is never used), and starts from it.

Only for sessions the engine starts on a local master, and only when the settings do not name
``spark.driver.extraJavaOptions`` themselves; ``WEAKSUP_SPARK_JVM=default`` turns both off, ``WEAKSUP_SPARK_JVM=nocds``
the archive only. Labels do not depend on any of it: the JVM only schedules the Python tasks.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

from weaksup._io import pid_alive

logger = logging.getLogger(__name__)

#: The JIT and GC of the engine's local driver JVM.
QUICK_JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
#: The JVM's own notes about the archive (classes it cannot archive, a stale archive) are not the user's concern.
QUIET_CDS = ("-Xlog:cds=off", "-Xlog:cds+dynamic=off")
#: An archive being written whose JVM never registered (its start failed) is removed after this many seconds.
STALE_SECONDS = 24 * 3600


def archive_folder() -> Path:
    """Where the class-data archives are kept (``$XDG_CACHE_HOME/weaksup/spark-cds``, default ``~/.cache``)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "weaksup" / "spark-cds"


def java_binary() -> Path | None:
    """The ``java`` Spark starts (``$JAVA_HOME/bin/java``, else the one on the path), resolved; None if absent."""
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home, "bin", "java")) if home and Path(home, "bin", "java").is_file() else shutil.which("java")
    return Path(found).resolve() if found else None


def archive_key(java: Path) -> str:
    """What an archive is valid for: the Java binary (path, size, mtime) and the pyspark install (version, jars).

    Examples
    --------
    >>> len(archive_key(Path("/usr/bin/true")))
    20
    """
    import pyspark

    jars = Path(pyspark.__file__).parent / "jars"
    stat = java.stat() if java.exists() else None
    doc = (str(java), stat.st_size if stat else 0, stat.st_mtime_ns if stat else 0, pyspark.__version__, str(jars),
           sorted(p.name for p in jars.glob("*.jar")) if jars.is_dir() else [])
    return hashlib.sha256(repr(doc).encode()).hexdigest()[:20]


def _accepted(java: Path, archive: Path) -> bool:
    """Whether a JVM starts with ``archive`` (a truncated archive crashes it: then it is not used)."""
    try:
        done = subprocess.run([str(java), f"-XX:SharedArchiveFile={archive}", *QUIET_CDS, "-version"],
                              capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def settle(folder: Path, key: str, java: Path) -> Path | None:
    """The finished archive of ``key`` in ``folder``: promote a written one (its JVM gone, the archive accepted by
    ``java``), drop broken or stale ones; None when there is none yet."""
    final = folder / f"{key}.jsa"
    for written in sorted(folder.glob(f"{key}.*.writing")):
        owner = written.with_suffix(".pid")
        try:
            pid = int(owner.read_text().strip())
        except (OSError, ValueError):
            pid = 0
        if pid and pid_alive(pid):
            continue
        if not pid and time.time() - written.stat().st_mtime < STALE_SECONDS:
            continue  # its session is still starting (no pid yet)
        if not final.exists() and pid and _accepted(java, written):
            os.replace(written, final)
            logger.info("Spark class-data archive ready: %s", final)
        else:
            written.unlink(missing_ok=True)
        owner.unlink(missing_ok=True)
    return final if final.exists() else None


class DriverJvm:
    """The options of the driver JVM of a local session (:func:`driver_options`) and, when this JVM writes the
    class-data archive, where (:meth:`started` records the JVM's pid beside it so a later start knows when the
    archive is complete).

    Examples
    --------
    >>> jvm = DriverJvm(list(QUICK_JVM))
    >>> jvm.java_options
    '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC'
    >>> jvm.started(12345)  # nothing is being written
    """

    def __init__(self, options: list[str], writing: Path | None = None) -> None:
        self.options = options
        self.writing = writing

    @property
    def java_options(self) -> str:
        """``spark.driver.extraJavaOptions``."""
        return " ".join(self.options)

    def started(self, pid: int | None) -> None:
        """The JVM is up with ``pid``: record it beside the archive it writes at exit (or give the archive up)."""
        if self.writing is None:
            return
        owner = self.writing.with_suffix(".pid")
        if pid is None:  # the archive would never be known complete: let the JVM write it where nothing reads it
            logger.debug("no JVM pid: the class-data archive %s will not be used", self.writing)
            return
        owner.write_text(str(pid))


def driver_options(mode: str | None = None) -> DriverJvm:
    """The driver JVM's options for a local session: :data:`QUICK_JVM` and the class-data archive (used when
    ready, else written by this JVM at exit). ``mode`` (default ``$WEAKSUP_SPARK_JVM``): ``default`` for none,
    ``nocds`` for no archive."""
    mode = mode if mode is not None else os.environ.get("WEAKSUP_SPARK_JVM", "")
    if mode == "default":
        return DriverJvm([])
    options = list(QUICK_JVM)
    java = java_binary()
    if mode == "nocds" or java is None:
        return DriverJvm(options)
    folder = archive_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        key = archive_key(java)
        ready = settle(folder, key, java)
    except (OSError, ImportError) as exc:
        logger.debug("no Spark class-data archive (%s)", exc)
        return DriverJvm(options)
    if ready is not None:
        return DriverJvm([*options, f"-XX:SharedArchiveFile={ready}", *QUIET_CDS])
    writing = folder / f"{key}.{uuid.uuid4().hex[:12]}.writing"
    return DriverJvm([*options, f"-XX:ArchiveClassesAtExit={writing}", *QUIET_CDS], writing)
