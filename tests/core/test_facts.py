from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from distbuild import metadata_text, sdist, wheel

from pyshelf.core.filenames import parse_distribution
from pyshelf.core.inspection import HashingWriter, inspect, requires_python_of


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
        ("foo-1.0-py3-none-any.whl", b"", "unreadable archive"),
    ],
)
def test_damaged_archives_keep_their_hash(filename: str, data: bytes, problem: str) -> None:
    found = _inspect(filename, data)
    assert found.sha256 == hashlib.sha256(data).hexdigest()
    assert found.metadata is None
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
    assert found.problem is not None and "unreadable archive" in found.problem


def test_wheel_with_two_dist_info_dirs_is_ambiguous() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a-1.0.dist-info/METADATA", metadata_text("a", "1.0"))
        archive.writestr("b-1.0.dist-info/METADATA", metadata_text("b", "1.0"))
    found = _inspect("a-1.0-py3-none-any.whl", buffer.getvalue())
    assert found.metadata is None
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
