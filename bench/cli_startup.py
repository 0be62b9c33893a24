"""Start-up time of the `pyshelf` command line, against a bare interpreter, on this machine.

Each command runs in a fresh subprocess, RUNS times, the commands taking turns (so a busy moment
of the machine slows them all alike); the figures are the medians of the wall times.

    python bench/cli_startup.py [--runs 21] [--max-ratio 10]

Rows: `python -c pass`, the installed `pyshelf --help` (the console script next to this Python),
`python -m pyshelf.cli --help` and `pyshelf upload --help`. Exits 1 if any `pyshelf` row takes more
than MAX_RATIO times `python -c pass`. What keeps it light: `pyshelf.cli.run`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def installed_pyshelf() -> str:
    """The console script of the environment this Python belongs to (else the one on PATH)."""
    beside = Path(sys.executable).parent / "pyshelf"
    found = str(beside) if beside.exists() else shutil.which("pyshelf")
    if found is None:
        sys.exit("no installed `pyshelf` script: pip install -e . first")
    return found


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def medians(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    for command in commands.values():  # warm up: compiled bytecode, file cache
        wall_time(command)
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, command in commands.items():
            times[label].append(wall_time(command))
    return {label: statistics.median(values) for label, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="runs of each command (default 21)")
    parser.add_argument("--max-ratio", type=float, default=10.0, help="limit (default 10)")
    args = parser.parse_args()
    pyshelf = installed_pyshelf()
    baseline = "python -c pass"
    commands = {
        baseline: [sys.executable, "-c", "pass"],
        "pyshelf --help": [pyshelf, "--help"],
        "python -m pyshelf.cli --help": [sys.executable, "-m", "pyshelf.cli", "--help"],
        "pyshelf upload --help": [pyshelf, "upload", "--help"],
    }
    figures = medians(commands, args.runs)
    print(f"median wall time of {args.runs} runs each ({sys.executable})")
    slow = []
    for label, seconds in figures.items():
        ratio = seconds / figures[baseline]
        print(f"  {label:30} {seconds * 1000:7.1f} ms  {ratio:5.1f}x")
        if label != baseline and ratio > args.max_ratio:
            slow.append(label)
    if slow:
        print(f"FAIL: over {args.max_ratio:g}x `{baseline}`: {', '.join(slow)}")
        return 1
    print(f"ok: every pyshelf row within {args.max_ratio:g}x `{baseline}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
