"""A corpus of hostile and broken distribution files, built here (no binaries in the repository):
bombs by member count, by compression ratio and by oversized headers; type confusion (bz2 or xz
under a `.tar.gz` name, a tar under a `.whl` name, random bytes); truncated, empty and 0-byte
files. Each case says what inspection must make of it, with the default `Limits`.

Large inflated sizes come from repeating one small compressed chunk: gzip and bz2 readers take a
file of many concatenated members or streams as one stream, so building stays fast.

Used by tests/core/test_hostile_archives.py, tests/cli/test_validate.py and
bench/hostile_archives.py; `python tests/hostile_archives.py write DIR` writes the corpus.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import random
import resource
import shutil
import struct
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from distbuild import metadata_text, sdist, wheel

from pyshelf.core.filenames import parse_distribution
from pyshelf.core.inspection import LIMITS, HashingWriter, Inspection, Limits, Verdict, inspect
from pyshelf.publish.checks import InvalidDistribution, check

MiB = 1024 * 1024
GiB = 1024 * MiB
WHEEL = "bomb-1.0-py3-none-any.whl"
SDIST = "bomb-1.0.tar.gz"


@dataclass(frozen=True)
class Case:
    name: str
    filename: str
    build: Callable[[], bytes]
    verdict: Verdict  # what the indexer's inspection makes of it
    reason: str  # in the problem it reports
    unverified: str | None = None  # verify=True (pyshelf upload) stops at this limit


def _tar_header(name: str, size: int, kind: bytes = tarfile.REGTYPE) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.type = size, kind
    return info.tobuf(format=tarfile.GNU_FORMAT)


def _pad(data: bytes) -> bytes:
    return data + bytes(-len(data) % tarfile.BLOCKSIZE)


def _end() -> bytes:
    return bytes(2 * tarfile.BLOCKSIZE)


def _pkg_info_member() -> bytes:
    data = metadata_text("bomb", "1.0", ">=3.8")
    return _tar_header("bomb-1.0/PKG-INFO", len(data)) + _pad(data)


def _repeat_gzip(chunk: bytes, times: int) -> bytes:
    """`chunk * times`, gzip-compressed (as `times` gzip members)."""
    return gzip.compress(chunk, mtime=0) * times


def tar_gz_many(count: int) -> bytes:
    """`count` empty members (one 512-byte header each), then PKG-INFO."""
    per_chunk = 2048
    header = _tar_header("bomb-1.0/x", 0)
    body = _repeat_gzip(header * per_chunk, count // per_chunk)
    return body + gzip.compress(_pkg_info_member() + _end(), mtime=0)


def tar_bz2_many(count: int) -> bytes:
    per_chunk = 2048
    stream = bz2.compress(_tar_header("bomb-1.0/x", 0) * per_chunk)
    return stream * (count // per_chunk) + bz2.compress(_end())


def tar_gz_huge(size: int) -> bytes:
    """A member of `size` zero bytes before PKG-INFO: a ratio bomb (about 1000:1)."""
    head = gzip.compress(_tar_header("bomb-1.0/zeros", size), mtime=0)
    return head + _repeat_gzip(bytes(MiB), size // MiB) + gzip.compress(_pkg_info_member())


def bz2_zeros(size: int) -> bytes:
    """`size` zero bytes, bz2-compressed (streams of 32 MiB: about 25 KB for 10 GiB)."""
    block = 32 * MiB
    stream = bz2.compress(bytes(block))
    return stream * (size // block)


def tar_gz_huge_header(kind: bytes) -> bytes:
    """An extended header (pax or GNU long name) that claims 1 GiB, and provides it."""
    head = gzip.compress(_tar_header("././@LongLink", GiB, kind), mtime=0)
    return head + _repeat_gzip(b"9" * MiB, GiB // MiB)


def empty_tar_gz() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz"):
        pass
    return buffer.getvalue()


def xz_tar() -> bytes:
    return lzma.compress(_pkg_info_member() + _end())


def plain_tar() -> bytes:
    return _pkg_info_member() + _end()


def zip_entries(count: int, name_length: int) -> bytes:
    """A zip of `count` empty stored entries, names `name_length` characters or more, written
    record by record (zipfile takes seconds for this): local headers, central directory, then
    the zip64 end records and the classic one."""
    names = [format(i, "x").rjust(name_length, "z").encode() for i in range(count)]
    local, central, offset = [], [], 0
    for name in names:
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0x21, 0, 0, 0, len(name), 0)
        local.append(header + name)
        central.append(
            struct.pack(
                "<4s6H3L5H2L", b"PK\x01\x02", 45, 20, 0, 0, 0, 0x21, 0, 0, 0, len(name),
                0, 0, 0, 0, 0, offset,
            )
            + name
        )  # fmt: skip
        offset += len(header) + len(name)
    directory = b"".join(central)
    zip64_end = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(directory), offset
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, offset + len(directory), 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return b"".join(local) + directory + zip64_end + locator + end


def wheel_large_member(size: int) -> bytes:
    """A valid wheel plus a member of `size` zero bytes (deflated: about 1000:1)."""
    buffer = io.BytesIO(wheel("bomb", "1.0"))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        _write_zeros(archive, "bomb/zeros.bin", size)
    return buffer.getvalue()


def _write_zeros(archive: zipfile.ZipFile, name: str, size: int) -> None:
    zeros = bytes(MiB)
    with archive.open(name, "w", force_zip64=True) as member:
        for _ in range(size // MiB):
            member.write(zeros)


def wheel_large_metadata(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb-1.0.dist-info/METADATA", metadata_text("bomb", "1.0") + bytes(size))
    return buffer.getvalue()


def empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w"):
        pass
    return buffer.getvalue()


def _random(size: int) -> bytes:
    return random.Random(size).randbytes(size)


def cases(limits: Limits = LIMITS) -> list[Case]:
    """The corpus, and what inspection with `limits` makes of each file."""
    members = f"more than {limits.members:,} members"
    inflated = f"more than {limits.decompressed_bytes // MiB:,} MiB decompressed"
    metadata = f"a metadata file larger than {limits.metadata_bytes // MiB:,} MiB"
    big = 2 * limits.decompressed_bytes
    limited, rejected, ok = Verdict.LIMITED, Verdict.REJECTED, Verdict.OK
    bz2_name = "bomb-1.0.tar.bz2"
    return [
        # bombs by member count
        Case("tar.gz, 2.5M empty members", SDIST, lambda: tar_gz_many(2_500_000), limited, members),
        Case("tar.bz2, 2.5M empty members", bz2_name, lambda: tar_bz2_many(2_500_000), limited,
             members),
        Case("zip, central directory over its limit", WHEEL, lambda: zip_entries(100_000, 60),
             limited, "zip central directory"),
        Case("zip, 160k entries (just under that limit)", WHEEL, lambda: zip_entries(160_000, 1),
             limited, members),
        # bombs by ratio or by header size
        Case("tar.gz, a 10 GiB member before PKG-INFO", SDIST, lambda: tar_gz_huge(10 * GiB),
             limited, inflated),
        Case("tar.bz2, 10 GiB of zeros", bz2_name, lambda: bz2_zeros(10 * GiB), limited, inflated),
        Case("wheel, a large member beside METADATA", WHEEL, lambda: wheel_large_member(big),
             ok, "", unverified=inflated),
        Case("wheel, METADATA of 64 MiB", WHEEL, lambda: wheel_large_metadata(64 * MiB), limited,
             metadata),
        Case("tar.gz, a 1 GiB pax header", SDIST, lambda: tar_gz_huge_header(tarfile.XHDTYPE),
             limited, "a tar extended header of 1,024 MiB"),
        Case("tar.gz, a 1 GiB GNU long name", SDIST,
             lambda: tar_gz_huge_header(tarfile.GNUTYPE_LONGNAME), limited,
             "a tar extended header of 1,024 MiB"),
        # type confusion
        Case("bz2 of 10 GiB of zeros named .tar.gz", SDIST, lambda: bz2_zeros(10 * GiB), rejected,
             "not gzip-compressed"),
        Case("xz tarball named .tar.gz", SDIST, xz_tar, rejected, "not gzip-compressed"),
        Case("gzip tarball named .tar.bz2", bz2_name, lambda: sdist("bomb", "1.0"), rejected,
             "not bz2-compressed"),
        Case("plain tar named .tgz", "bomb-1.0.tgz", plain_tar, rejected, "not gzip-compressed"),
        Case("a tarball named .whl", WHEEL, lambda: sdist("bomb", "1.0"), rejected,
             "not a zip file"),
        Case("a wheel named .tar.gz", SDIST, lambda: wheel("bomb", "1.0"), rejected,
             "not gzip-compressed"),
        Case("500 random bytes named .whl", WHEEL, lambda: _random(500), rejected,
             "not a zip file"),
        Case("gzip of random bytes named .tar.gz", SDIST, lambda: gzip.compress(_random(5000)),
             rejected, "not a tar header"),
        # truncated, empty
        Case("truncated wheel", WHEEL, lambda: wheel("bomb", "1.0")[:-100], rejected,
             "not a zip file"),
        Case("truncated sdist", SDIST, lambda: sdist("bomb", "1.0")[:-30], rejected,
             "Compressed file ended before the end-of-stream marker"),
        Case("0-byte wheel", WHEEL, lambda: b"", rejected, "empty file (0 bytes)"),
        Case("0-byte sdist", SDIST, lambda: b"", rejected, "empty file (0 bytes)"),
        Case("empty zip named .whl", WHEEL, empty_zip, rejected, "an empty archive"),
        Case("empty tarball", SDIST, empty_tar_gz, rejected, "an empty archive"),
        Case("gzip of nothing", SDIST, lambda: gzip.compress(b""), rejected, "an empty archive"),
    ]  # fmt: skip


def write_corpus(directory: Path, limits: Limits = LIMITS) -> list[tuple[Case, Path]]:
    """Every case as a file: DIR/<index>/<filename>."""
    written = []
    for index, case in enumerate(cases(limits)):
        folder = directory / f"{index:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / case.filename
        path.write_bytes(case.build())
        written.append((case, path))
    return written


def as_indexer(path: Path, limits: Limits) -> Inspection:
    """What the indexer does with a file (pyshelf.indexer.file_facts): stream it into a spool
    (memory up to 32 MiB, then disk), hashing it, then inspect the spool."""
    with tempfile.SpooledTemporaryFile(max_size=32 * MiB) as spool, path.open("rb") as source:
        writer = HashingWriter(spool)
        shutil.copyfileobj(source, writer)
        dist = parse_distribution(path.name)
        return inspect(dist, spool, writer.sha256, writer.size, limits=limits)


def as_uploader(path: Path, limits: Limits) -> str:
    """What `pyshelf upload` makes of a file: refused (the reason), noted, or accepted."""
    try:
        local = check(path, limits)
    except InvalidDistribution as exc:
        return f"refused: {exc}"
    return "; ".join(f"noted: {note}" for note in local.notes) or "accepted"


def measure(paths: list[Path], limits: Limits) -> dict[str, object]:
    """Inspect each file as the indexer and as `pyshelf upload` do, in this process; what each
    gave and took, and the process's peak RSS."""
    rows = []
    for path in paths:
        started = time.monotonic()
        found = as_indexer(path, limits)
        indexed = time.monotonic() - started
        started = time.monotonic()
        uploaded = as_uploader(path, limits)
        rows.append(
            {
                "verdict": found.verdict.value,
                "problem": found.problem,
                "index_seconds": round(indexed, 3),
                "upload": uploaded,
                "upload_seconds": round(time.monotonic() - started, 3),
            }
        )
    return {"rows": rows, **peak_rss_mib()}


def peak_rss_mib() -> dict[str, float]:
    """This process's peak RSS: `ru_maxrss`, and Linux's VmHWM. Linux carries the high-water mark
    of the parent's memory across fork and exec into `ru_maxrss` (not into VmHWM), so only a
    small parent gets its children's own peak from `ru_maxrss`."""
    peaks = {"ru_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks["vmhwm_mib"] = int(line.split()[1]) / 1024
    return {name: round(value, 1) for name, value in peaks.items()}


def main(argv: list[str]) -> None:
    """`write DIR`: write the corpus. `measure LIMITS_JSON PATH...`: print `measure`'s JSON."""
    if argv[:1] == ["write"] and len(argv) == 2:
        for case, path in write_corpus(Path(argv[1])):
            print(f"{path}  {path.stat().st_size:>12,}  {case.name}")
    elif argv[:1] == ["measure"] and len(argv) >= 2:
        limits = Limits(**json.loads(argv[1]))
        print(json.dumps(measure([Path(p) for p in argv[2:]], limits)))
    else:
        sys.exit(main.__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
