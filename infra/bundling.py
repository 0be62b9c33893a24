"""Bundle the indexer Lambda without Docker: handler + `pyshelf` + pinned wheels for arm64.

The asset hash is computed from the inputs (sources, pins, target platform), so a synth into an
existing `cdk.out` skips bundling, and wheels are downloaded once into a local wheelhouse so later
bundles work offline.
"""

from __future__ import annotations

import ast
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import DockerImage, ILocalBundling

REPO_ROOT = Path(__file__).resolve().parent.parent
PYTHON_VERSION = "3.14"
PLATFORM = "manylinux2014_aarch64"
_PIP_TARGET = (
    "--platform",
    PLATFORM,
    "--implementation",
    "cp",
    "--python-version",
    PYTHON_VERSION,
    "--only-binary=:all:",
)


# awscrt serves only the KeyValueStore API (SigV4A) of an index that falls through to PyPI, but
# botocore imports it at load whenever it can find it (about 50 ms of every cold start,
# docs/requests.md, "Cold start"). So its files are set aside in this folder of the bundle, which
# the handler puts on the path only when KVS_ARN is set (lambdas/indexer/handler.py).
KVS_ONLY_FOLDER = "kvs"
KVS_ONLY_NAMES = ("awscrt", "_awscrt")


class BundlingError(RuntimeError):
    """The Lambda bundle could not be built locally (Docker is never used instead)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexerSources:
    """What goes into the indexer bundle."""

    handler: Path = REPO_ROOT / "lambdas" / "indexer" / "handler.py"
    package: Path = REPO_ROOT / "src" / "pyshelf"
    requirements: Path = REPO_ROOT / "infra" / "indexer_requirements.txt"

    def check(self) -> None:
        for path in (self.handler, self.package, self.requirements):
            if not path.exists():
                raise BundlingError(f"indexer bundle input missing: {path}")

    def files(self) -> Iterator[tuple[str, Path]]:
        """(name in the bundle, source path) of every copied file, sorted: the handler, the
        package modules it imports (directly or not) with their packages' `__init__.py`, and the
        data files of those packages (templates). The CLI and local mode are not shipped."""
        yield "handler.py", self.handler
        for path in sorted(imported_files(self.handler, self.package)):
            yield f"{self.package.name}/{path.relative_to(self.package).as_posix()}", path


def imported_files(entry: Path, package: Path) -> set[Path]:
    """The files of `package` that `entry` imports, transitively (read from the source, so
    imports inside functions count too), plus the non-Python files beside those modules."""
    found: set[Path] = set()
    pending = [entry]
    while pending:
        for module in _package_imports(pending.pop(), package.name):
            for path in _module_files(package, module):
                if path not in found:
                    found.add(path)
                    pending.append(path)
    data = {path for folder in {path.parent for path in found} for path in _data_files(folder)}
    return found | data


def _data_files(folder: Path) -> Iterator[Path]:
    """Non-Python files of a package folder, and of its folders that are not packages."""
    for path in folder.iterdir():
        if path.is_file() and path.suffix not in (".py", ".pyc"):
            yield path
        elif path.is_dir() and path.name != "__pycache__" and not (path / "__init__.py").exists():
            yield from (p for p in path.rglob("*") if p.is_file() and p.suffix != ".pyc")


def _package_imports(source: Path, package: str) -> Iterator[str]:
    """Dotted names of the package's modules (or names within them) that a file imports."""
    for node in ast.walk(ast.parse(source.read_bytes())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _module_files(package: Path, dotted: str) -> list[Path]:
    """The module file of a dotted name and the `__init__.py` of every package on its way."""
    parts = dotted.split(".")
    if parts[0] != package.name:
        return []
    files = []
    folder = package
    files.append(folder / "__init__.py")
    for part in parts[1:]:
        if (folder / part).is_dir():
            folder = folder / part
            files.append(folder / "__init__.py")
        elif (folder / f"{part}.py").is_file():
            files.append(folder / f"{part}.py")
            break
        else:  # a name inside a module, not a module
            break
    return [path for path in files if path.is_file()]


def asset_hash(sources: IndexerSources) -> str:
    """sha256 of everything that decides the bundle's content."""
    sources.check()
    digest = hashlib.sha256(f"{PLATFORM} cp{PYTHON_VERSION} {KVS_ONLY_FOLDER}\n".encode())
    digest.update(sources.requirements.read_bytes())
    for name, path in sources.files():
        digest.update(f"\0{name}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def wheelhouse(requirements: Path) -> Path:
    """The local wheel cache for one set of pins (override with PYSHELF_WHEELHOUSE)."""
    base = os.environ.get("PYSHELF_WHEELHOUSE") or Path.home() / ".cache" / "pyshelf" / "wheels"
    key = hashlib.sha256(requirements.read_bytes() + PLATFORM.encode()).hexdigest()[:16]
    return Path(base) / f"{key}-cp{PYTHON_VERSION}"


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundlingError(f"{' '.join(command)} failed:\n{result.stderr}")


def _download(requirements: Path, cache: Path) -> None:
    """Fill the wheelhouse atomically (parallel synths may race for it)."""
    partial = cache.with_name(f"{cache.name}.partial-{os.getpid()}")
    _pip("download", *_PIP_TARGET, "--dest", str(partial), "-r", str(requirements))
    try:
        partial.rename(cache)
    except OSError:  # another synth finished first
        shutil.rmtree(partial)


def install_wheels(requirements: Path, target: Path) -> None:
    """Install the pinned wheels into `target`, downloading them once into the wheelhouse."""
    cache = wheelhouse(requirements)
    if not cache.exists():
        _download(requirements, cache)
    _pip(
        "install",
        *_PIP_TARGET,
        "--no-index",
        "--find-links",
        str(cache),
        "--no-compile",
        "--target",
        str(target),
        "-r",
        str(requirements),
    )


def build_bundle(sources: IndexerSources, output: Path) -> None:
    """Write the Lambda bundle into `output`."""
    sources.check()
    install_wheels(sources.requirements, output)
    set_aside_kvs_only(output)
    for name, path in sources.files():
        (output / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, output / name)


def set_aside_kvs_only(output: Path) -> None:
    """Move the installed KVS_ONLY_NAMES (packages, extension modules, dist-info) of a bundle
    into its KVS_ONLY_FOLDER."""
    folder = output / KVS_ONLY_FOLDER
    folder.mkdir()
    for path in sorted(output.iterdir()):
        if path.name.split(".")[0].split("-")[0] in KVS_ONLY_NAMES:
            path.rename(folder / path.name)


@jsii.implements(ILocalBundling)
class LocalPythonBundling:
    """`ILocalBundling` that always bundles on this machine (never falls back to Docker)."""

    def __init__(self, sources: IndexerSources) -> None:
        self._sources = sources

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        build_bundle(self._sources, Path(output_dir))
        return True
