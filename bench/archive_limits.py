"""Time and peak memory of reading hostile archives, with the default limits, on this machine.

The corpus is tests/hostile_archives.py (member-count, ratio and header bombs, type confusion,
truncated and empty files), written to a temporary directory by a subprocess. Each file then gets
a fresh interpreter of its own, which reads it as the indexer does (spooled, hashed, inspected)
and as `pyshelf upload` does (`check`: also every zip member's CRC), and reports its time for
each and its peak RSS (`ru_maxrss`; this parent stays small, since Linux counts the parent's
high-water mark into a child's `ru_maxrss`). The first row is an interpreter that imports the
same code and reads nothing: the floor of every other row.

    python bench/archive_limits.py [--max-mib 256]

Exits 1 if a file's peak RSS reaches --max-mib, or reading it (either way) takes longer than the
time limit (`Limits.seconds`) and a second.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "hostile_archives.py"
SECONDS_LIMIT = 15.0  # pyshelf.core.inspection.LIMITS.seconds (not imported: keep this small)


def _run(*args: str) -> str:
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'tests'}{os.pathsep}{REPO / 'src'}"}
    result = subprocess.run(
        [sys.executable, str(CORPUS), *args], capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        sys.exit(f"{CORPUS.name} {args[0]} failed:\n{result.stderr}")
    return result.stdout


def write(directory: Path) -> list[tuple[str, Path, int]]:
    """(case name, path, size) of every file of the corpus."""
    files = []
    for line in _run("write", str(directory)).splitlines():
        path, size, name = line.split(maxsplit=2)
        files.append((name, Path(path), int(size.replace(",", ""))))
    return files


def measure(path: Path | None) -> dict[str, object]:
    report = json.loads(_run("measure", "{}", *([str(path)] if path else [])))
    rows = report.pop("rows")
    return {**report, **(rows[0] if rows else {})}


def _row(*cells: str) -> str:
    name, *rest = cells
    return f"{name:<44}" + "".join(f"{cell:>12}" for cell in rest)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-mib", type=float, default=256.0)
    args = parser.parse_args()
    failed = []
    with tempfile.TemporaryDirectory(prefix="pyshelf-hostile-") as tmp:
        files = write(Path(tmp))
        print(_row("case", "bytes", "verdict", "index s", "upload s", "peak MiB"))
        floor = measure(None)
        print(_row("(interpreter, nothing read)", "", "", "", "", f"{floor['ru_maxrss_mib']:.1f}"))
        for name, path, size in files:
            row = measure(path)
            peak = float(str(row["ru_maxrss_mib"]))
            times = [float(str(row[f"{way}_seconds"])) for way in ("index", "upload")]
            seconds = [f"{t:.2f}" for t in times]
            print(_row(name, f"{size:,}", str(row["verdict"]), *seconds, f"{peak:.1f}"))
            if peak >= args.max_mib or max(times) > SECONDS_LIMIT + 1:
                failed.append(name)
    if failed:
        print(f"over {args.max_mib:g} MiB or the time limit: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
