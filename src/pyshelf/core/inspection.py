"""Read a distribution once, with bounded work (pure: works on any binary stream, knows nothing
of S3).

`inspect` takes a file already hashed and pulls out what the pages need: for a wheel its
`*.dist-info/METADATA`, byte for byte, and Requires-Python; for a sdist the Requires-Python of its
PKG-INFO when present. The verdict:

- REJECTED: the file does not open as its suffix claims, or is truncated, corrupt, not an
  archive, an empty archive, or 0 bytes. `problem` says why.
- LIMITED: it opens, but a limit was reached while reading it: hash and size, no metadata.
- OK: read to its end; `metadata` and `requires_python` when found, else `problem` says why.

The container is opened as its suffix says and only so: `.whl`, `.zip` as zip; `.tar.gz`, `.tgz`
as gzip and `.tar.bz2` as bz2 (never tarfile's `r:*`, which takes bz2 or xz under a `.tar.gz`
name). Every read counts against `Limits`: raw reads check the deadline (a gzip or bz2 stream of
empty members, or a huge gzip header, never spends time unseen), decompressed bytes count against
the byte limit, members against the member limit. No single raw read may be larger than the zip
central directory limit, so `zipfile` never parses more entries than that allows (it keeps about
470 bytes an entry). Tarballs are walked here, block by block, with `tarfile`'s header parser but
none of its state: no member list, no extended header over `Limits.header_bytes`.
"""

from __future__ import annotations

import bz2
import enum
import gzip
import hashlib
import io
import posixpath
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from packaging.metadata import parse_email
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from pyshelf.core.errors import PyshelfError
from pyshelf.core.filenames import Distribution, Kind

CHUNK = 256 * 1024
MiB = 1024 * 1024
# What reading a damaged archive can raise: bad headers, truncated or corrupt compressed streams
# (EOFError, zlib.error, OSError), encrypted members (RuntimeError), unknown compression methods.
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
class Limits:
    """The most work reading one archive may take."""

    members: int = 100_000  # entries of a zip, headers of a tarball
    decompressed_bytes: int = 1024 * MiB
    seconds: float = 15.0  # checked on every read
    central_directory_bytes: int = 8 * MiB  # a zip's; also the largest single raw read
    header_bytes: int = 64 * 1024  # a tar pax or GNU long-name header
    metadata_bytes: int = 16 * MiB  # METADATA or PKG-INFO


LIMITS = Limits()


class LimitReached(PyshelfError):
    """Reading the archive would take more than `Limits` allow; the message says which."""


class NotAnArchive(PyshelfError):
    """The file is not (a complete) archive of the kind its suffix claims."""


class _Budget:
    """What one inspection has spent so far."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._deadline = clock() + limits.seconds
        self.members = 0
        self.decompressed = 0

    def tick(self) -> None:
        if self._clock() > self._deadline:
            raise LimitReached(f"took more than {self.limits.seconds:g} s")

    def member(self, count: int = 1) -> None:
        self.members += count
        if self.members > self.limits.members:
            raise LimitReached(f"more than {self.limits.members:,} members")

    def inflated(self, count: int) -> None:
        self.tick()
        self.decompressed += count
        if self.decompressed > self.limits.decompressed_bytes:
            limit = _bytes(self.limits.decompressed_bytes)
            raise LimitReached(f"more than {limit} decompressed")


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
    budget = _Budget(limits)
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
    dist: Distribution, fileobj: IO[bytes], size: int, budget: _Budget, *, verify: bool
) -> tuple[bytes | str, str | None]:
    """(the metadata, or why there is none; the limit that stopped `verify`, if any)."""
    with _open_zip(fileobj, size, budget) as archive:
        found = _zip_metadata(dist.kind, archive, budget)
        if not verify:
            return found, None
        try:
            _verify_zip(archive, budget)
        except LimitReached as exc:
            return found, str(exc)
        return found, None


def _zip_metadata(kind: Kind, archive: zipfile.ZipFile, budget: _Budget) -> bytes | str:
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
        return _read_member(member, budget)


def _from_tar(dist: Distribution, fileobj: IO[bytes], size: int, budget: _Budget) -> bytes | str:
    with _open_tar(dist.filename, fileobj, size, budget) as stream:
        pkg_info = _walk_tar(stream, budget, _is_top_pkg_info)
    return "no PKG-INFO in the sdist" if pkg_info is None else pkg_info


def wheel_metadata(fileobj: IO[bytes], limits: Limits = LIMITS) -> bytes:
    """The METADATA of a wheel's single top-level `.dist-info` directory; ValueError if none."""
    size = fileobj.seek(0, io.SEEK_END)
    fileobj.seek(0)
    budget = _Budget(limits)
    with _open_zip(fileobj, size, budget) as archive:
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


# Reading archives: the raw file, zip, tar.


class _TimedFile:
    """A seekable binary file whose reads check the deadline and are at most `max_read`."""

    def __init__(self, raw: IO[bytes], size: int, budget: _Budget) -> None:
        self._raw = raw
        self._size = size
        self._budget = budget
        self._max_read = max(budget.limits.central_directory_bytes, CHUNK)

    def read(self, n: int = -1, /) -> bytes:
        self._budget.tick()
        if n < 0:
            n = max(self._size - self._raw.tell(), 0)
        if n > self._max_read:
            limit = _bytes(self._max_read)
            raise LimitReached(f"a zip central directory of {_bytes(n)} (over {limit})")
        return self._raw.read(n)

    def seek(self, offset: int, whence: int = 0, /) -> int:
        self._budget.tick()
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True


@contextmanager
def _open_zip(fileobj: IO[bytes], size: int, budget: _Budget) -> Iterator[zipfile.ZipFile]:
    with zipfile.ZipFile(_TimedFile(fileobj, size, budget)) as archive:
        entries = len(archive.infolist())
        budget.member(entries)
        if not entries:
            raise NotAnArchive("an empty archive")
        yield archive


def _read_member(member: IO[bytes], budget: _Budget) -> bytes:
    """A metadata file's bytes (at most `Limits.metadata_bytes`)."""
    limit = budget.limits.metadata_bytes
    parts: list[bytes] = []
    total = 0
    while chunk := member.read(min(CHUNK, limit + 1 - total)):
        budget.inflated(len(chunk))
        parts.append(chunk)
        total += len(chunk)
        if total > limit:
            raise LimitReached(f"a metadata file larger than {_bytes(limit)}")
    return b"".join(parts)


def _verify_zip(archive: zipfile.ZipFile, budget: _Budget) -> None:
    """Read every member to its end, so zipfile checks each one's CRC."""
    for info in archive.infolist():
        with archive.open(info) as member:
            while chunk := member.read(CHUNK):
                budget.inflated(len(chunk))


class _Inflated:
    """A decompressed stream, read in counted chunks."""

    def __init__(self, stream: io.BufferedIOBase, budget: _Budget) -> None:
        self._stream = stream
        self._budget = budget

    def read(self, n: int) -> bytes:
        """n bytes, fewer only at the end of the stream."""
        parts: list[bytes] = []
        while n > 0 and (chunk := self._stream.read(min(n, CHUNK))):
            self._budget.inflated(len(chunk))
            parts.append(chunk)
            n -= len(chunk)
        return b"".join(parts)

    def read_exact(self, n: int, what: str) -> bytes:
        data = self.read(n)
        if len(data) < n:
            raise NotAnArchive(f"truncated: the data ends inside {what}")
        return data

    def skip(self, n: int, what: str) -> None:
        while n > 0:
            n -= len(self.read_exact(min(n, CHUNK), what))

    def drain(self) -> None:
        while self.read(CHUNK):
            pass


def _gzip(raw: _TimedFile) -> io.BufferedIOBase:
    return gzip.GzipFile(fileobj=raw, mode="rb")


def _bz2(raw: _TimedFile) -> io.BufferedIOBase:
    return bz2.BZ2File(raw)


# suffix: (name, magic bytes, opener)
_COMPRESSIONS: dict[str, tuple[str, bytes, Callable[[_TimedFile], io.BufferedIOBase]]] = {
    ".tar.gz": ("gzip", b"\x1f\x8b", _gzip),
    ".tgz": ("gzip", b"\x1f\x8b", _gzip),
    ".tar.bz2": ("bz2", b"BZh", _bz2),
}


@contextmanager
def _open_tar(filename: str, fileobj: IO[bytes], size: int, budget: _Budget) -> Iterator[_Inflated]:
    """The decompressed stream of a tarball, by the compression its suffix names (only)."""
    suffix = next((s for s in _COMPRESSIONS if filename.endswith(s)), None)
    if suffix is None:
        raise NotAnArchive(f"{filename}: not a tarball's suffix")
    name, magic, opener = _COMPRESSIONS[suffix]
    if fileobj.read(len(magic)) != magic:
        raise NotAnArchive(f"not {name}-compressed, as its suffix {suffix} says")
    fileobj.seek(0)
    with opener(_TimedFile(fileobj, size, budget)) as stream:
        yield _Inflated(stream, budget)


BLOCK = tarfile.BLOCKSIZE
_END_BLOCK = bytes(BLOCK)
_EXTENSIONS = frozenset(
    {
        tarfile.GNUTYPE_LONGNAME,
        tarfile.GNUTYPE_LONGLINK,
        tarfile.XHDTYPE,
        tarfile.XGLTYPE,
        tarfile.SOLARIS_XHDTYPE,
    }
)


def _walk_tar(stream: _Inflated, budget: _Budget, wanted: Callable[[str], bool]) -> bytes | None:
    """Read a tar stream to its end; the data of the first regular member whose name is
    `wanted` (at most `Limits.metadata_bytes`), else None. Names and sizes from pax and GNU
    long-name headers apply as tarfile applies them."""
    found: bytes | None = None
    members = 0
    defaults: dict[str, str] = {}  # pax global header
    pending: dict[str, str] = {}  # pax or GNU long-name header of the next member
    while (info := _next_header(stream)) is not None:
        budget.member()
        if info.type in _EXTENSIONS:
            data = _header_data(stream, _size(info.size), budget.limits)
            (defaults if info.type == tarfile.XGLTYPE else pending).update(_fields(info, data))
            continue
        if info.type == tarfile.GNUTYPE_SPARSE:
            raise NotAnArchive(f"{info.name}: a GNU sparse member")
        members += 1
        fields = {**defaults, **pending}
        pending = {}
        size = _size(fields.get("size", info.size))
        if not (info.isreg() or info.type not in tarfile.SUPPORTED_TYPES):
            continue  # directories and links: no data follows, whatever their size says
        if found is None and info.isreg() and wanted(fields.get("path", info.name)):
            found = _member_data(stream, size, budget.limits)
        else:
            stream.skip(_padded(size), "a member")
    stream.drain()  # to the end: gzip and bz2 check the stream is complete
    if not members:
        raise NotAnArchive("an empty archive")
    return found


def _next_header(stream: _Inflated) -> tarfile.TarInfo | None:
    block = stream.read(BLOCK)
    if not block or block == _END_BLOCK:
        return None
    if len(block) < BLOCK:
        raise NotAnArchive("truncated: the data ends inside a header")
    try:
        return tarfile.TarInfo.frombuf(block, tarfile.ENCODING, "surrogateescape")
    except tarfile.HeaderError as exc:
        raise NotAnArchive(f"not a tar header: {exc}") from None


def _header_data(stream: _Inflated, size: int, limits: Limits) -> bytes:
    if size > limits.header_bytes:
        limit = _bytes(limits.header_bytes)
        raise LimitReached(f"a tar extended header of {_bytes(size)} (over {limit})")
    return stream.read_exact(_padded(size), "a header")[:size]


def _member_data(stream: _Inflated, size: int, limits: Limits) -> bytes:
    if size > limits.metadata_bytes:
        raise LimitReached(f"a metadata file larger than {_bytes(limits.metadata_bytes)}")
    return stream.read_exact(_padded(size), "a member")[:size]


def _fields(info: tarfile.TarInfo, data: bytes) -> dict[str, str]:
    if info.type == tarfile.GNUTYPE_LONGNAME:
        return {"path": data.split(b"\0", 1)[0].decode(tarfile.ENCODING, "surrogateescape")}
    if info.type == tarfile.GNUTYPE_LONGLINK:
        return {}  # a link's target: nothing read here depends on it
    return _pax_records(data)


def _pax_records(data: bytes) -> dict[str, str]:
    """The `path` and `size` records of a pax header ("<length> <key>=<value>\\n" each)."""
    records: dict[str, str] = {}
    at = 0
    while at < len(data) and data[at] != 0:
        space = data.index(b" ", at)
        end = at + int(data[at:space])
        if end <= space or end > len(data) or data[end - 1 : end] != b"\n":
            raise NotAnArchive("a malformed pax header")
        key, _, value = data[space + 1 : end - 1].partition(b"=")
        if key in (b"path", b"size"):
            records[key.decode()] = value.decode("utf-8", "surrogateescape")
        at = end
    return records


def _size(value: int | str) -> int:
    size = int(value)
    if size < 0:
        raise NotAnArchive(f"a member of negative size {size}")
    return size


def _padded(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


def _bytes(count: int) -> str:
    if count >= MiB and count % MiB == 0:
        return f"{count // MiB:,} MiB"
    if count >= 1024 and count % 1024 == 0:
        return f"{count // 1024:,} KiB"
    return f"{count:,} bytes"
