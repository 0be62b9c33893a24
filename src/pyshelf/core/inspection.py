"""Read a distribution once, with bounded work (pure: works on any binary stream, knows nothing
of S3).

`inspect` takes a file already hashed and pulls out what the pages need: for a wheel its
`*.dist-info/METADATA`, byte for byte, and Requires-Python; for a sdist the Requires-Python of its
PKG-INFO when present. The container is opened as its suffix says and only so (`.whl`, `.zip`:
zip; `.tar.gz`, `.tgz`: gzip; `.tar.bz2`: bz2), and every read counts against `Limits`
(`pyshelf.core.archives`). The verdict:

- REJECTED: the file does not open as its suffix claims, or is truncated, corrupt, not an
  archive, an empty archive, or 0 bytes. `problem` says why.
- LIMITED: it opens, but a limit was reached while reading it: hash and size, no metadata.
- OK: read to its end; `metadata` and `requires_python` when found, else `problem` says why.
"""

from __future__ import annotations

import enum
import hashlib
import io
import posixpath
import zipfile
from dataclasses import dataclass
from typing import IO

from packaging.metadata import parse_email
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from pyshelf.core.archives import (
    LIMITS,
    UNREADABLE_ARCHIVE,
    Budget,
    LimitReached,
    Limits,
    NotAnArchive,
    open_tar,
    open_zip,
    read_member,
    verify_zip,
    walk_tar,
)
from pyshelf.core.filenames import Distribution, Kind

__all__ = ["LIMITS", "UNREADABLE_ARCHIVE", "Inspection", "Limits", "Verdict", "inspect"]


class Verdict(enum.Enum):
    OK = "ok"
    LIMITED = "limited"  # listed with hash and size, without metadata
    REJECTED = "rejected"  # not a distribution of the kind its suffix claims: not listed


@dataclass(frozen=True, slots=True)
class Inspection:
    sha256: str
    size: int
    metadata: bytes | None  # the wheel's METADATA, served as `<file>.metadata`
    requires_python: str | None
    problem: str | None  # why metadata or Requires-Python is missing (or the file rejected)
    verdict: Verdict = Verdict.OK
    core_metadata: bytes | None = None  # what was read: a wheel's METADATA or a sdist's PKG-INFO
    unverified: str | None = None  # `verify`: the limit that stopped checking every member


class HashingWriter:
    """A write-only file that hashes what passes through it (on the way to `sink`, if any)."""

    def __init__(self, sink: IO[bytes] | None = None) -> None:
        self.sink = sink
        self.size = 0
        self._digest = hashlib.sha256()

    def write(self, chunk: bytes) -> int:
        self._digest.update(chunk)
        self.size += len(chunk)
        return self.sink.write(chunk) if self.sink else len(chunk)

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inspect(
    dist: Distribution,
    spooled: IO[bytes],
    sha256: str,
    size: int,
    *,
    limits: Limits = LIMITS,
    verify: bool = False,
) -> Inspection:
    """Inspect a distribution already copied (and hashed) into a seekable file. `verify` also
    reads every zip member to its end (CRC checks), as far as the limits allow."""
    if size == 0:
        return _rejected(sha256, size, "empty file (0 bytes)")
    spooled.seek(0)
    budget = Budget(limits)
    unverified = None
    try:
        if dist.is_zip:
            found, unverified = _from_zip(dist, spooled, size, budget, verify=verify)
        else:
            found = _from_tar(dist, spooled, size, budget)
    except LimitReached as exc:
        return Inspection(sha256, size, None, None, f"limit reached: {exc}", Verdict.LIMITED)
    except (NotAnArchive, *UNREADABLE_ARCHIVE) as exc:
        return _rejected(sha256, size, f"unreadable archive: {exc}")
    if isinstance(found, str):
        return Inspection(sha256, size, None, None, found, unverified=unverified)
    requires_python, problem = requires_python_of(found)
    served = found if dist.kind == "wheel" else None
    return Inspection(sha256, size, served, requires_python, problem, Verdict.OK, found, unverified)


def _rejected(sha256: str, size: int, problem: str) -> Inspection:
    return Inspection(sha256, size, None, None, problem, Verdict.REJECTED)


def _from_zip(
    dist: Distribution, fileobj: IO[bytes], size: int, budget: Budget, *, verify: bool
) -> tuple[bytes | str, str | None]:
    """(the metadata, or why there is none; the limit that stopped `verify`, if any)."""
    with open_zip(fileobj, size, budget) as archive:
        found = _zip_metadata(dist.kind, archive, budget)
        if not verify:
            return found, None
        try:
            verify_zip(archive, budget)
        except LimitReached as exc:
            return found, str(exc)
        return found, None


def _zip_metadata(kind: Kind, archive: zipfile.ZipFile, budget: Budget) -> bytes | str:
    names = archive.namelist()
    if kind == "wheel":
        candidates = [name for name in names if _is_dist_info_metadata(name)]
        if len(candidates) != 1:
            return f"expected one *.dist-info/METADATA, found {len(candidates)}"
    else:
        candidates = [name for name in names if _is_top_pkg_info(name)][:1]
        if not candidates:
            return "no PKG-INFO in the sdist"
    with archive.open(candidates[0]) as member:
        return read_member(member, budget)


def _from_tar(dist: Distribution, fileobj: IO[bytes], size: int, budget: Budget) -> bytes | str:
    with open_tar(dist.filename, fileobj, size, budget) as stream:
        pkg_info = walk_tar(stream, budget, _is_top_pkg_info)
    return "no PKG-INFO in the sdist" if pkg_info is None else pkg_info


def wheel_metadata(fileobj: IO[bytes], limits: Limits = LIMITS) -> bytes:
    """The METADATA of a wheel's single top-level `.dist-info` directory; ValueError if none."""
    size = fileobj.seek(0, io.SEEK_END)
    fileobj.seek(0)
    budget = Budget(limits)
    with open_zip(fileobj, size, budget) as archive:
        found = _zip_metadata("wheel", archive, budget)
    if isinstance(found, str):
        raise ValueError(found)
    return found


def requires_python_of(metadata: bytes) -> tuple[str | None, str | None]:
    """(Requires-Python, problem) from core metadata; an invalid specifier is dropped."""
    raw, _unparsed = parse_email(metadata)
    value = raw.get("requires_python")
    if not value:
        return None, None
    try:
        SpecifierSet(value)
    except InvalidSpecifier:
        return None, f"invalid Requires-Python {value!r} ignored"
    return value, None


def _is_dist_info_metadata(name: str) -> bool:
    return (
        name.count("/") == 1
        and posixpath.dirname(name).endswith(".dist-info")
        and posixpath.basename(name) == "METADATA"
    )


def _is_top_pkg_info(name: str) -> bool:
    parts = name.strip("/").split("/")
    return len(parts) == 2 and parts[1] == "PKG-INFO"
