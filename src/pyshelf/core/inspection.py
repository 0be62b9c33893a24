"""Read a distribution once (pure: works on any binary stream, knows nothing of S3).

`inspect` hashes the file and pulls out what the pages need: for a wheel its
`*.dist-info/METADATA`, byte for byte, and Requires-Python; for a sdist the Requires-Python of its
PKG-INFO when present. A damaged archive still yields its hash, with the reason metadata is missing.
"""

from __future__ import annotations

import hashlib
import posixpath
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO

from packaging.metadata import parse_email
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from pyshelf.core.filenames import Distribution

MAX_METADATA_BYTES = 16 * 1024 * 1024
# What reading a damaged archive can raise: bad headers, truncated or corrupt compressed streams
# (zlib.error), encrypted members (RuntimeError), unknown compression methods.
UNREADABLE_ARCHIVE = (
    zipfile.BadZipFile,
    tarfile.TarError,
    OSError,
    EOFError,
    ValueError,
    zlib.error,
    RuntimeError,
    NotImplementedError,
)


@dataclass(frozen=True, slots=True)
class Inspection:
    sha256: str
    size: int
    metadata: bytes | None  # the wheel's METADATA, served as `<file>.metadata`
    requires_python: str | None
    problem: str | None  # why metadata or Requires-Python is missing, if it is


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


def inspect(dist: Distribution, spooled: IO[bytes], sha256: str, size: int) -> Inspection:
    """Inspect a distribution already copied (and hashed) into a seekable file."""
    spooled.seek(0)
    metadata: bytes | None
    try:
        if dist.kind == "wheel":
            metadata = wheel_metadata(spooled)
        else:
            metadata = sdist_pkg_info(dist, spooled)
    except UNREADABLE_ARCHIVE as exc:
        return Inspection(sha256, size, None, None, f"unreadable archive: {exc}")
    if metadata is None:
        return Inspection(sha256, size, None, None, "no PKG-INFO in the sdist")
    requires_python, problem = requires_python_of(metadata)
    served = metadata if dist.kind == "wheel" else None
    return Inspection(sha256, size, served, requires_python, problem)


def wheel_metadata(fileobj: IO[bytes]) -> bytes:
    """The METADATA of the wheel's single top-level `.dist-info` directory."""
    with zipfile.ZipFile(fileobj) as archive:
        candidates = [
            name
            for name in archive.namelist()
            if name.count("/") == 1
            and posixpath.dirname(name).endswith(".dist-info")
            and posixpath.basename(name) == "METADATA"
        ]
        if len(candidates) != 1:
            raise ValueError(f"expected one *.dist-info/METADATA, found {len(candidates)}")
        return _read_member(archive.open(candidates[0]))


def sdist_pkg_info(dist: Distribution, fileobj: IO[bytes]) -> bytes | None:
    """The top-level PKG-INFO of a sdist (`<dir>/PKG-INFO`), or None."""
    if dist.is_zip:
        with zipfile.ZipFile(fileobj) as archive:
            for name in archive.namelist():
                if _is_top_pkg_info(name):
                    return _read_member(archive.open(name))
        return None
    with tarfile.open(fileobj=fileobj, mode="r:*") as archive:
        for member in archive:
            if member.isfile() and _is_top_pkg_info(member.name):
                extracted = archive.extractfile(member)
                return None if extracted is None else _read_member(extracted)
    return None


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


def _is_top_pkg_info(name: str) -> bool:
    parts = name.strip("/").split("/")
    return len(parts) == 2 and parts[1] == "PKG-INFO"


def _read_member(member: IO[bytes]) -> bytes:
    with member:
        data = member.read(MAX_METADATA_BYTES + 1)
    if len(data) > MAX_METADATA_BYTES:
        raise ValueError("metadata larger than 16 MiB")
    return data
