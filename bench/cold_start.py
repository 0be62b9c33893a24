"""The import time of the indexer Lambda's bundle: `python -X importtime -c 'import handler'`
(issue 11, "Cold start").

Builds the bundle's Python side in a temporary folder as infra/bundling.py does (the handler and
the `pyshelf` modules it imports, `IndexerSources.files()`), with the pinned packages of
infra/indexer_requirements.txt copied from this environment (the deployed bundle holds their
manylinux aarch64 / CPython 3.14 wheels; this one runs here). boto3 and its dependencies stand
in for the Lambda runtime's own copy, on the path after the bundle; nothing else is importable
(`python -S`: no site-packages, no editable install of pyshelf).

Each variant is imported in fresh processes (--runs, median of the total): the bundle as
shipped (awscrt set aside in `kvs/`), the same with KVS_ARN set (an index that falls through to
PyPI: awscrt is loaded), and the bundle as it was before (awscrt beside the handler, always
loaded by botocore). Prints the totals, the 10 modules with the most time of their own, and
the time by top-level package.

    python bench/cold_start.py            # make cold-start
    python bench/cold_start.py --runs 3
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from infra.bundling import IndexerSources, set_aside_kvs_only

# What the Lambda Python runtime provides (boto3 and what it needs).
RUNTIME = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


@dataclass(frozen=True, slots=True)
class Import:
    module: str
    own_us: int
    cumulative_us: int
    depth: int


def requirement_names(path: Path) -> list[str]:
    names = []
    for line in path.read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            names.append(re.split(r"[=<>!~ \[;]", requirement, maxsplit=1)[0])
    return names


def top_levels(distribution: str) -> Iterator[Path]:
    """The installed files and folders of a distribution's importable top-level names."""
    dist = importlib.metadata.distribution(distribution)
    seen: set[str] = set()
    for file in dist.files or ():
        first = file.parts[0]
        if first.endswith((".dist-info", ".data")) or first in seen or first == "..":
            continue
        if len(file.parts) == 1 and not first.endswith((".py", ".so", ".pyd")):
            continue
        seen.add(first)
        yield Path(str(dist.locate_file(first)))


def copy_into(target: Path, distributions: Sequence[str]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in distributions:
        for source in top_levels(name):
            if source.is_dir():
                shutil.copytree(source, target / source.name, ignore=_no_bytecode)
            else:
                shutil.copy2(source, target / source.name)


def _no_bytecode(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name == "__pycache__"]


def build(workdir: Path, *, set_aside: bool) -> Path:
    """The bundle (handler, `pyshelf`, pinned packages) in `workdir`; with `set_aside`, awscrt
    in its `kvs/` folder as infra/bundling.py leaves it, else beside the handler (before)."""
    sources = IndexerSources()
    bundle = workdir / ("bundle" if set_aside else "bundle-before")
    copy_into(bundle, requirement_names(sources.requirements))
    if set_aside:
        set_aside_kvs_only(bundle)
    for name, path in sources.files():
        (bundle / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, bundle / name)
    return bundle


def import_once(bundle: Path, runtime: Path, env: dict[str, str]) -> list[Import]:
    """One cold import of `handler` (bytecode already compiled by a first run)."""
    code = f"import sys; sys.path[:0] = [{str(bundle)!r}, {str(runtime)!r}]; import handler"
    result = subprocess.run(
        [sys.executable, "-S", "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"import handler failed:\n{result.stderr[-3000:]}")
    return [
        Import(m[4], int(m[1]), int(m[2]), len(m[3]) // 2)
        for m in map(LINE.match, result.stderr.splitlines())
        if m
    ]


def total_ms(imports: list[Import]) -> float:
    return sum(i.cumulative_us for i in imports if i.depth == 0) / 1000


def measure(bundle: Path, runtime: Path, env: dict[str, str], runs: int) -> list[list[Import]]:
    import_once(bundle, runtime, env)  # writes the bytecode, as the Lambda's would be
    return [import_once(bundle, runtime, env) for _ in range(runs)]


def report(label: str, samples: list[list[Import]]) -> float:
    totals = [total_ms(sample) for sample in samples]
    median = statistics.median(totals)
    typical = min(samples, key=lambda sample: abs(total_ms(sample) - median))
    packages: Counter[str] = Counter()
    for item in typical:
        packages[item.module.split(".")[0]] += item.own_us
    spread = f"{min(totals):.0f}..{max(totals):.0f}"
    print(f"\n{label}: {median:.0f} ms (median of {len(totals)}: {spread} ms)", end="")
    print(f", {len(typical)} modules")
    print("  top 10 modules by own time:")
    for item in sorted(typical, key=lambda i: i.own_us, reverse=True)[:10]:
        print(f"    {item.own_us / 1000:7.1f} ms  {item.module}")
    print("  by top-level package:")
    for name, own in packages.most_common(10):
        print(f"    {own / 1000:7.1f} ms  {name}")
    return median


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="imports per variant (default 7)")
    args = parser.parse_args(argv)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "KVS_ARN"))}
    base |= {"AWS_DEFAULT_REGION": "us-east-1", "PACKAGES_BUCKET": "bench"}
    with tempfile.TemporaryDirectory(prefix="pyshelf-cold-") as folder:
        workdir = Path(folder)
        runtime = workdir / "runtime"
        copy_into(runtime, RUNTIME)
        bundle, before = build(workdir, set_aside=True), build(workdir, set_aside=False)
        print(f"python {sys.version.split()[0]} on {sys.platform}; the bundle: {bundle}")
        shipped = report("bundle", measure(bundle, runtime, base, args.runs))
        kvs = base | {"KVS_ARN": "arn:aws:cloudfront::123456789012:key-value-store/bench"}
        fallthrough = report("bundle with KVS_ARN", measure(bundle, runtime, kvs, args.runs))
        crt = report("awscrt beside the handler", measure(before, runtime, base, args.runs))
    print(
        f"\nimport handler: {shipped:.0f} ms as shipped, {fallthrough:.0f} ms with KVS_ARN "
        f"(awscrt loaded), {crt:.0f} ms with awscrt beside the handler (before)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
