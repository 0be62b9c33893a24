from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import zipfile

import pytest
from distbuild import metadata_text, sdist, wheel

from pyshelf.core.filenames import parse_distribution
from pyshelf.core.inspection import HashingWriter, Verdict, inspect, requires_python_of


def _inspect(filename: str, data: bytes):  # type: ignore[no-untyped-def]
    spool = io.BytesIO()
    writer = HashingWriter(spool)
    writer.write(data)
    return inspect(parse_distribution(filename), spool, writer.sha256, writer.size)


def test_wheel_metadata_is_byte_for_byte() -> None:
    metadata = (
        b"Metadata-Version: 2.1\r\nName: foo\r\nVersion: 1.0\r\n"
        b"Requires-Python: >=3.9\r\n\r\nbody\xc3\xa9"
    )
    data = wheel("foo", "1.0", metadata=metadata)
    found = _inspect("foo-1.0-py3-none-any.whl", data)
    assert found.metadata == metadata
    assert found.requires_python == ">=3.9"
    assert found.sha256 == hashlib.sha256(data).hexdigest()
    assert found.size == len(data)
    assert found.problem is None


def test_sdist_requires_python_from_pkg_info_but_no_served_metadata() -> None:
    found = _inspect("foo-1.0.tar.gz", sdist("foo", "1.0", "<4,>=3.10"))
    assert found.requires_python == "<4,>=3.10"
    assert found.metadata is None


def test_zip_sdist() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("foo-1.0/PKG-INFO", metadata_text("foo", "1.0", ">=3.8"))
        archive.writestr("foo-1.0/sub/PKG-INFO", metadata_text("foo", "1.0", ">=2.7"))
    assert _inspect("foo-1.0.zip", buffer.getvalue()).requires_python == ">=3.8"


@pytest.mark.parametrize(
    ("filename", "data", "problem"),
    [
        ("foo-1.0-py3-none-any.whl", b"not a zip at all", "unreadable archive"),
        ("foo-1.0.tar.gz", b"\x1f\x8b broken gzip", "unreadable archive"),
        ("foo-1.0-py3-none-any.whl", b"", "empty file (0 bytes)"),
    ],
)
def test_damaged_archives_keep_their_hash(filename: str, data: bytes, problem: str) -> None:
    found = _inspect(filename, data)
    assert found.sha256 == hashlib.sha256(data).hexdigest()
    assert found.metadata is None
    assert found.verdict is Verdict.REJECTED
    assert found.problem is not None and problem in found.problem


def _damaged_wheel(damage: str) -> bytes:
    """A wheel whose METADATA member is damaged in one specific way."""
    buffer = io.BytesIO()
    info = zipfile.ZipInfo("foo-1.0.dist-info/METADATA")
    info.compress_type = zipfile.ZIP_DEFLATED if damage == "deflate" else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(info, metadata_text("foo", "1.0") * 20)
    data = bytearray(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        member = archive.getinfo("foo-1.0.dist-info/METADATA")
        start = member.header_offset + 30 + len(member.filename)
    if damage == "deflate":  # an invalid deflate block: zlib.error
        data[start : start + 8] = b"\xff" * 8
    central = data.rindex(b"PK\x01\x02")
    if damage == "encrypted":  # the "encrypted" flag, in both headers: RuntimeError
        data[member.header_offset + 6] |= 0x1
        data[central + 8] |= 0x1
    if damage == "method":  # compression method 99, in both headers: NotImplementedError
        data[member.header_offset + 8] = 99
        data[central + 10] = 99
    return bytes(data)


@pytest.mark.parametrize("damage", ["deflate", "encrypted", "method"])
def test_any_unreadable_member_is_a_problem_not_a_crash(damage: str) -> None:
    data = _damaged_wheel(damage)
    found = _inspect("foo-1.0-py3-none-any.whl", data)
    assert found.sha256 == hashlib.sha256(data).hexdigest()
    assert found.metadata is None
    assert found.verdict is Verdict.REJECTED
    assert found.problem is not None and "unreadable archive" in found.problem


def test_wheel_with_two_dist_info_dirs_is_ambiguous() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a-1.0.dist-info/METADATA", metadata_text("a", "1.0"))
        archive.writestr("b-1.0.dist-info/METADATA", metadata_text("b", "1.0"))
    found = _inspect("a-1.0-py3-none-any.whl", buffer.getvalue())
    assert (found.metadata, found.verdict) == (None, Verdict.OK)  # listed, without metadata
    assert found.problem is not None and "expected one" in found.problem


@pytest.mark.parametrize(
    ("metadata", "expected", "has_problem"),
    [
        (metadata_text("foo", "1.0", ">=3.9"), ">=3.9", False),
        (metadata_text("foo", "1.0"), None, False),
        (metadata_text("foo", "1.0", "not a specifier"), None, True),
    ],
)
def test_requires_python(metadata: bytes, expected: str | None, has_problem: bool) -> None:
    value, problem = requires_python_of(metadata)
    assert value == expected
    assert (problem is not None) is has_problem


def _tarball(members: list[tuple[tarfile.TarInfo, bytes]], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=fmt) as archive:
        for info, data in members:
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, **fields: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in fields.items():
        setattr(info, key, value)
    return info


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])
def test_pkg_info_under_a_long_directory_name(fmt: int) -> None:
    """Names over 100 bytes come in a pax header or a GNU long-name header."""
    top = "foo-1.0-" + "x" * 120
    data = _tarball([(_member(f"{top}/PKG-INFO"), metadata_text("foo", "1.0", ">=3.11"))], fmt)
    found = _inspect("foo-1.0.tar.gz", data)
    assert (found.verdict, found.requires_python) == (Verdict.OK, ">=3.11")


def test_directories_links_and_a_nested_pkg_info_are_walked_past() -> None:
    data = _tarball(
        [
            (_member("foo-1.0", tarfile.DIRTYPE), b""),
            (_member("foo-1.0/link", tarfile.SYMTYPE, linkname="PKG-INFO"), b""),
            (_member("foo-1.0/sub/PKG-INFO"), metadata_text("foo", "1.0", ">=2.7")),
            (_member("foo-1.0/PKG-INFO"), metadata_text("foo", "1.0", ">=3.9")),
        ]
    )
    assert _inspect("foo-1.0.tgz", data).requires_python == ">=3.9"


def _pax(records: bytes) -> bytes:
    info = tarfile.TarInfo("pax")
    info.type, info.size = tarfile.XHDTYPE, len(records)
    return info.tobuf(tarfile.USTAR_FORMAT) + records + bytes(-len(records) % 512)


def _raw_tarball(*blocks: bytes) -> bytes:
    return gzip.compress(b"".join(blocks) + bytes(1024))


def _record(key: str, value: str) -> bytes:
    body = f" {key}={value}\n"
    length = len(body) + 1
    length += len(str(length)) - 1
    return f"{length}{body}".encode()


def test_a_pax_size_overrides_the_header_size_as_tarfile_reads_it() -> None:
    """The member's header says 0 bytes, its pax header 700: 1024 bytes of data follow."""
    pkg_info = metadata_text("foo", "1.0", ">=3.12")
    member = tarfile.TarInfo("foo-1.0/data")
    member.size = 0
    info = tarfile.TarInfo("foo-1.0/PKG-INFO")
    info.size = len(pkg_info)
    data = _raw_tarball(
        _pax(_record("size", "700")),
        member.tobuf(tarfile.USTAR_FORMAT),
        bytes(1024),
        info.tobuf(tarfile.USTAR_FORMAT) + pkg_info + bytes(-len(pkg_info) % 512),
    )
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:  # pip's reading agrees
        assert [m.size for m in archive] == [700, len(pkg_info)]
    assert _inspect("foo-1.0.tar.gz", data).requires_python == ">=3.12"


@pytest.mark.parametrize(
    ("blocks", "problem"),
    [
        ((_pax(b"99 path=x\n"),), "a malformed pax header"),
        ((_pax(b"0 path=x\n"),), "a malformed pax header"),
        ((_member("a", tarfile.GNUTYPE_SPARSE).tobuf(tarfile.GNU_FORMAT),), "GNU sparse"),
        ((b"x" * 512,), "not a tar header"),
    ],
)
def test_malformed_tarballs_are_rejected(blocks: tuple[bytes, ...], problem: str) -> None:
    found = _inspect("foo-1.0.tar.gz", _raw_tarball(*blocks))
    assert found.verdict is Verdict.REJECTED
    assert found.problem is not None and problem in found.problem


def test_a_member_cut_short_is_rejected() -> None:
    info = tarfile.TarInfo("foo-1.0/big")
    info.size = 10_000
    found = _inspect("foo-1.0.tar.gz", gzip.compress(info.tobuf() + bytes(2048)))
    assert (found.verdict, found.problem) == (
        Verdict.REJECTED,
        "unreadable archive: truncated: the data ends inside a member",
    )
