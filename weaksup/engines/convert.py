"""Convert a run config's input (CSV, JSON Lines, a shipped example) to a folder of Parquet parts for an engine.

Run ``python -m weaksup.engines.convert CONFIG FOLDER [--rows N]``; then set ``[input] path = "FOLDER"``. The rows
are read as the streaming run reads them (:func:`weaksup.pipeline.inputs.read_chunks`), ids and texts as text.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from weaksup.config import RunConfig, load_config
from weaksup.errors import WeakSupError


def convert_input(config: RunConfig, folder: Path, *, rows: int = 1_000_000) -> list[Path]:
    """Write the config's input as ``folder/part-00000.parquet`` ... of at most ``rows`` rows each, in order.

    Examples
    --------
    >>> import tempfile
    >>> config = RunConfig.from_dict({"task": {"name": "t"}, "input": {"example": "youtube_spam"},
    ...     "lfs": {"modules": ["m"]}, "output": {"path": "out/labels.parquet"}})
    >>> [p.name for p in convert_input(config, Path(tempfile.mkdtemp()), rows=1000)]
    ['part-00000.parquet', 'part-00001.parquet']
    """
    import dataclasses
    import shutil

    from weaksup._io import stage_name
    from weaksup.errors import DataError
    from weaksup.pipeline.inputs import read_chunks

    present = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    if present or (folder.exists() and not folder.is_dir()):
        shown = ", ".join(present[:3]) + (", ..." if len(present) > 3 else "")
        raise DataError(f"{folder} is not empty ({shown or 'a file'}): the parts of an earlier conversion would be "
                        "read as input too; give a new or empty folder, or remove it first")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / stage_name()  # the parts appear all at once, or not at all
    staging.mkdir()
    chunked = dataclasses.replace(config, input=dataclasses.replace(config.input, chunk_rows=rows))
    try:
        names = []
        for i, chunk in enumerate(read_chunks(chunked, None)):
            names.append(f"part-{i:05d}.parquet")
            chunk.reset_index(drop=True).to_parquet(staging / names[-1], index=False)
        if folder.is_dir():
            folder.rmdir()  # (empty: checked above)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [folder / name for name in names]


def main(argv: list[str] | None = None) -> int:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m weaksup.engines.convert", description=__doc__)
    parser.add_argument("config")
    parser.add_argument("folder")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows per part (default 1,000,000)")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error(f"--rows must be a whole number >= 1; got {args.rows}")  # exits 2
    try:
        written = convert_input(load_config(args.config), Path(args.folder), rows=args.rows)
    except WeakSupError as exc:  # bad input: the message and the fix, no traceback
        print(f"error: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    print(f"wrote {len(written)} Parquet part(s) to {args.folder}; set [input] path = {args.folder!r}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
