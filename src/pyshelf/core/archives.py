"""Reading archives with bounded work (pure): the limits, and readers that count against them.

Every read is counted: raw reads check the deadline (a gzip or bz2 stream of empty members, or a
huge gzip header, never gets to spend time unseen); decompressed bytes count against the byte
limit; members against the member limit. No single read of the raw file may be larger than the
zip central directory limit, so `zipfile` never parses more entries than that allows (the
memory it keeps is about 470 bytes an entry). Tarballs are walked here, block by block, with
`tarfile`'s header parser but none of its state: no member list, no extended header bigger than
`Limits.header_bytes`. A tarball is opened with its suffix's compression only (`.tar.gz`/`.tgz`
gzip, `.tar.bz2` bz2): never `r:*`, which would take bz2 or xz under a `.tar.gz` name.
"""

from __future__ import annotations

import bz2
import gzip
import io
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from pyshelf.core.errors import PyshelfError

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


class Budget:
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


class TimedFile:
    """A seekable binary file whose reads check the deadline and are at most `max_read`."""

    def __init__(self, raw: IO[bytes], size: int, budget: Budget) -> None:
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
def open_zip(fileobj: IO[bytes], size: int, budget: Budget) -> Iterator[zipfile.ZipFile]:
    with zipfile.ZipFile(TimedFile(fileobj, size, budget)) as archive:
        entries = len(archive.infolist())
        budget.member(entries)
        if not entries:
            raise NotAnArchive("an empty archive")
        yield archive


def read_member(member: IO[bytes], budget: Budget) -> bytes:
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


def verify_zip(archive: zipfile.ZipFile, budget: Budget) -> None:
    """Read every member to its end, so zipfile checks each one's CRC."""
    for info in archive.infolist():
        with archive.open(info) as member:
            while chunk := member.read(CHUNK):
                budget.inflated(len(chunk))


class Inflated:
    """A decompressed stream, read in counted chunks."""

    def __init__(self, stream: io.BufferedIOBase, budget: Budget) -> None:
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


def _gzip(raw: TimedFile) -> io.BufferedIOBase:
    return gzip.GzipFile(fileobj=raw, mode="rb")


def _bz2(raw: TimedFile) -> io.BufferedIOBase:
    return bz2.BZ2File(raw)


# suffix: (name, magic bytes, opener)
_COMPRESSIONS: dict[str, tuple[str, bytes, Callable[[TimedFile], io.BufferedIOBase]]] = {
    ".tar.gz": ("gzip", b"\x1f\x8b", _gzip),
    ".tgz": ("gzip", b"\x1f\x8b", _gzip),
    ".tar.bz2": ("bz2", b"BZh", _bz2),
}


@contextmanager
def open_tar(filename: str, fileobj: IO[bytes], size: int, budget: Budget) -> Iterator[Inflated]:
    """The decompressed stream of a tarball, by the compression its suffix names (only)."""
    suffix = next((s for s in _COMPRESSIONS if filename.endswith(s)), None)
    if suffix is None:
        raise NotAnArchive(f"{filename}: not a tarball's suffix")
    name, magic, opener = _COMPRESSIONS[suffix]
    if fileobj.read(len(magic)) != magic:
        raise NotAnArchive(f"not {name}-compressed, as its suffix {suffix} says")
    fileobj.seek(0)
    with opener(TimedFile(fileobj, size, budget)) as stream:
        yield Inflated(stream, budget)


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


def walk_tar(stream: Inflated, budget: Budget, wanted: Callable[[str], bool]) -> bytes | None:
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


def _next_header(stream: Inflated) -> tarfile.TarInfo | None:
    block = stream.read(BLOCK)
    if not block or block == _END_BLOCK:
        return None
    if len(block) < BLOCK:
        raise NotAnArchive("truncated: the data ends inside a header")
    try:
        return tarfile.TarInfo.frombuf(block, tarfile.ENCODING, "surrogateescape")
    except tarfile.HeaderError as exc:
        raise NotAnArchive(f"not a tar header: {exc}") from None


def _header_data(stream: Inflated, size: int, limits: Limits) -> bytes:
    if size > limits.header_bytes:
        limit = _bytes(limits.header_bytes)
        raise LimitReached(f"a tar extended header of {_bytes(size)} (over {limit})")
    return stream.read_exact(_padded(size), "a header")[:size]


def _member_data(stream: Inflated, size: int, limits: Limits) -> bytes:
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
