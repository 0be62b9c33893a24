"""Check local distribution files before upload (no network): the filename parses, the archive
is readable, and the metadata inside names the same project and version as the filename."""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from packaging.metadata import parse_email
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from pyshelf.core import layout
from pyshelf.core.errors import Exit, PyshelfError
from pyshelf.core.filenames import Distribution, NotADistribution, parse_distribution
from pyshelf.core.inspection import (
    UNREADABLE_ARCHIVE,
    HashingWriter,
    sdist_pkg_info,
    wheel_metadata,
)

CHUNK = 1024 * 1024


class InvalidDistribution(PyshelfError, ValueError):
    """The file cannot be uploaded; the message says why (one line)."""

    exit_code = Exit.INVALID


@dataclass(frozen=True, slots=True)
class LocalDistribution:
    """A checked local file, with its sha256 and size."""

    path: Path
    dist: Distribution
    sha256: str
    size: int

    @property
    def filename(self) -> str:
        return self.dist.filename

    @property
    def project(self) -> NormalizedName:
        return self.dist.project

    @property
    def key(self) -> str:
        return layout.distribution_key(self.dist.project, self.dist.filename)


def check_all(paths: Iterable[Path]) -> tuple[list[LocalDistribution], list[str]]:
    """Check every file; return the good ones and one line per problem (duplicates included)."""
    good: list[LocalDistribution] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            local = check(path)
        except InvalidDistribution as exc:
            problems.append(f"{path}: {exc}")
            continue
        if local.key in seen:
            problems.append(f"{path}: same filename as {seen[local.key]}")
            continue
        seen[local.key] = path
        good.append(local)
    return good, problems


def check(path: Path) -> LocalDistribution:
    if not path.is_file():
        raise InvalidDistribution("not a file")
    try:
        dist = parse_distribution(path.name)
    except NotADistribution as exc:
        raise InvalidDistribution(str(exc).removeprefix(f"{path.name}: ")) from None
    with path.open("rb") as handle:
        sha256, size = _hash(handle)
        handle.seek(0)
        try:
            metadata = _metadata(dist, handle)
        except UNREADABLE_ARCHIVE as exc:
            raise InvalidDistribution(f"unreadable {dist.kind}: {exc}") from None
    if metadata is not None:
        _check_metadata(dist, metadata)
    return LocalDistribution(path, dist, sha256, size)


def _hash(handle: IO[bytes]) -> tuple[str, int]:
    digest = HashingWriter()
    shutil.copyfileobj(handle, digest, CHUNK)
    return digest.sha256, digest.size


def _metadata(dist: Distribution, handle: IO[bytes]) -> bytes | None:
    """The wheel's METADATA (required), or the sdist's PKG-INFO (if any), after reading the
    whole archive, so that a truncated or corrupt file is caught."""
    if dist.is_zip:
        with zipfile.ZipFile(handle) as archive:
            _test_zip(archive)
    else:
        with tarfile.open(fileobj=handle, mode="r:*") as archive:
            for member in archive:
                if member.isfile():
                    extracted = archive.extractfile(member)
                    while extracted is not None and extracted.read(CHUNK):
                        pass
    handle.seek(0)
    return wheel_metadata(handle) if dist.kind == "wheel" else sdist_pkg_info(dist, handle)


def _test_zip(archive: zipfile.ZipFile) -> None:
    bad = archive.testzip()
    if bad is not None:
        raise zipfile.BadZipFile(f"corrupt member {bad}")


def _check_metadata(dist: Distribution, metadata: bytes) -> None:
    raw, _unparsed = parse_email(metadata)
    what = "METADATA" if dist.kind == "wheel" else "PKG-INFO"
    name, version = raw.get("name"), raw.get("version")
    if not name or not version:
        raise InvalidDistribution(f"{what} lacks Name or Version")
    if canonicalize_name(name) != dist.project:
        raise InvalidDistribution(f"{what} names project {name!r}, the filename {dist.project!r}")
    try:
        same = Version(version) == dist.version
    except InvalidVersion:
        raise InvalidDistribution(f"{what} has an invalid Version {version!r}") from None
    if not same:
        raise InvalidDistribution(f"{what} has version {version}, the filename {dist.version}")
