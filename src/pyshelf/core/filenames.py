"""Which filenames are distributions, and of which project and version (pure).

Every decision goes through `packaging`. Legacy sdist extensions that pip and uv still install
(`.tar.bz2`, `.tgz`) are parsed as the same stem with `.tar.gz`; everything else that `packaging`
does not accept is not a distribution, and the reason says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from pyshelf.constants import DISTRIBUTION_SUFFIXES, WHEEL_SUFFIX, ZIP_SUFFIXES
from pyshelf.core.errors import Exit, PyshelfError

_LEGACY_SDIST = {".tar.bz2": len(".tar.bz2"), ".tgz": len(".tgz")}

Kind = Literal["wheel", "sdist"]
# `/simple/` is the index's alias of its root, so a project of that name could never be reached.
RESERVED_PROJECTS = frozenset({"simple"})


class NotADistribution(PyshelfError, ValueError):
    """The filename is not one pyshelf indexes; the message is the reason."""

    exit_code = Exit.INVALID


@dataclass(frozen=True, slots=True)
class Distribution:
    """A distribution filename, parsed."""

    filename: str
    project: NormalizedName
    version: Version
    kind: Kind

    @property
    def is_zip(self) -> bool:
        return self.filename.endswith(ZIP_SUFFIXES)


def parse_distribution(filename: str) -> Distribution:
    """Parse a bare filename; raise `NotADistribution` with a specific reason."""
    dist = _parse(filename)
    _check_name(filename, _name_part(dist))
    if dist.project in RESERVED_PROJECTS:
        raise NotADistribution(
            f"{filename}: the project name {dist.project!r} is reserved "
            "(/simple/ is the index's alias of its root)"
        )
    return dist


def _parse(filename: str) -> Distribution:
    if "/" in filename or not filename:
        raise NotADistribution(f"{filename!r} is not a bare filename")
    try:
        if filename.endswith(WHEEL_SUFFIX):
            name, version, _build, _tags = parse_wheel_filename(filename)
            return Distribution(filename, name, version, "wheel")
        for suffix, length in _LEGACY_SDIST.items():
            if filename.endswith(suffix):
                name, version = parse_sdist_filename(filename[:-length] + ".tar.gz")
                return Distribution(filename, name, version, "sdist")
        if filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            return Distribution(filename, name, version, "sdist")
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion) as exc:
        raise NotADistribution(f"{filename}: {exc}") from None
    raise NotADistribution(
        f"{filename}: not a wheel or sdist (pyshelf lists {', '.join(DISTRIBUTION_SUFFIXES)})"
    )


def _name_part(dist: Distribution) -> str:
    """The project name as the filename spells it (before normalization)."""
    if dist.kind == "wheel":
        return dist.filename.split("-", 1)[0]
    suffix = next(s for s in (".tar.gz", ".zip", *_LEGACY_SDIST) if dist.filename.endswith(s))
    return dist.filename[: -len(suffix)].rpartition("-")[0]


def _check_name(filename: str, name: str) -> None:
    """The name part must be a valid project name in ASCII: anything else could not be served
    from its folder (the CDN routes normalized names only)."""
    try:
        valid = name.isascii() and bool(canonicalize_name(name, validate=True))
    except ValueError:
        valid = False
    if not valid:
        raise NotADistribution(f"{filename}: {name!r} is not a valid project name")


def normalize_project(name: str) -> NormalizedName:
    """The PEP 503 normalized form of a project name."""
    return canonicalize_name(name, validate=True)
