"""Real distributions on disk for the end-to-end tests (built by tests/distbuild.py)."""

from __future__ import annotations

from pathlib import Path

from distbuild import sdist, wheel
from packaging.utils import canonicalize_name


def _stem(name: str, version: str) -> str:
    return f"{canonicalize_name(name).replace('-', '_')}-{version}"


def build_wheel(
    directory: Path, name: str, version: str, *, requires_python: str | None = None
) -> Path:
    """A pure-Python wheel whose module `<name>_mod` defines VERSION."""
    module = canonicalize_name(name).replace("-", "_") + "_mod"
    target = directory / f"{_stem(name, version)}-py3-none-any.whl"
    target.write_bytes(wheel(name, version, requires_python, module=module))
    return target


def build_sdist(directory: Path, name: str, version: str) -> Path:
    target = directory / f"{_stem(name, version)}.tar.gz"
    target.write_bytes(sdist(name, version))
    return target
