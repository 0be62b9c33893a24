"""Checking local distributions before upload (pyshelf.publish.checks)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from distbuild import metadata_text, sdist, wheel
from hostile_archives import Case, MiB, cases

from pyshelf.core.inspection import Limits, Verdict
from pyshelf.publish.checks import InvalidDistribution, check, check_all

WHEEL = "demo_pkg-1.0-py3-none-any.whl"
TEST_LIMITS = Limits(members=10_000, decompressed_bytes=64 * MiB)  # the bombs stop sooner


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def test_a_valid_wheel_is_hashed_and_filed_under_its_normalized_name(tmp_path: Path) -> None:
    data = wheel("Demo.Pkg", "1.0")
    local = check(_write(tmp_path, WHEEL, data))
    assert local.key == f"demo-pkg/{WHEEL}"
    assert local.sha256 == hashlib.sha256(data).hexdigest()
    assert local.size == len(data)


def test_a_valid_sdist_passes(tmp_path: Path) -> None:
    local = check(_write(tmp_path, "demo_pkg-2.0.tar.gz", sdist("demo-pkg", "2.0")))
    assert (local.dist.kind, str(local.dist.version)) == ("sdist", "2.0")


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        ("demo_pkg-1.0.egg", b"x", "not a wheel or sdist"),
        ("demo_pkg-one-py3-none-any.whl", wheel("demo-pkg", "1.0"), "Invalid wheel filename"),
        (WHEEL, b"not a zip at all", "unreadable wheel"),
        (WHEEL, _zip({"demo_pkg/__init__.py": b""}), "expected one *.dist-info/METADATA"),
        (WHEEL, wheel("other-pkg", "1.0"), "METADATA names project 'other-pkg'"),
        (WHEEL, wheel("demo-pkg", "1.1"), "METADATA has version 1.1, the filename 1.0"),
        (
            WHEEL,
            wheel("demo-pkg", "1.0", metadata=b"Metadata-Version: 2.1\nName: demo-pkg\n\n"),
            "METADATA lacks Name or Version",
        ),
        ("demo_pkg-1.0.tar.gz", sdist("demo-pkg", "1.0")[:-40], "unreadable sdist"),
        ("demo_pkg-1.0.tar.gz", b"\x1f\x8b garbage", "unreadable sdist"),
        ("demo_pkg-1.0.zip", b"PK nonsense", "unreadable sdist"),
        ("demo_pkg-1.0.tar.gz", sdist("demo-pkg", "2.0"), "PKG-INFO has version 2.0"),
    ],
)
def test_invalid_files_are_refused_with_a_reason(
    tmp_path: Path, filename: str, data: bytes, reason: str
) -> None:
    with pytest.raises(InvalidDistribution) as caught:
        check(_write(tmp_path, filename, data))
    assert reason in str(caught.value)


def test_metadata_name_is_compared_normalized(tmp_path: Path) -> None:
    metadata = metadata_text("Demo_PKG", "1.0.0")
    local = check(_write(tmp_path, WHEEL, wheel("demo-pkg", "1.0", metadata=metadata)))
    assert local.project == "demo-pkg"


def test_check_all_reports_every_problem_and_duplicates(tmp_path: Path) -> None:
    good = _write(tmp_path, WHEEL, wheel("demo-pkg", "1.0"))
    other = tmp_path / "copy"
    other.mkdir()
    duplicate = _write(other, WHEEL, wheel("demo-pkg", "1.0"))
    missing = tmp_path / "nothere-1.0.tar.gz"
    bad = _write(tmp_path, "bad.txt", b"")
    files, problems = check_all([good, duplicate, missing, bad])
    assert [f.path for f in files] == [good]
    assert problems == [
        f"{duplicate}: same filename as {good}",
        f"{missing}: not a file",
        f"{bad}: not a wheel or sdist (pyshelf lists .whl, .tar.gz, .zip, .tar.bz2, .tgz)",
    ]


HOSTILE = cases(TEST_LIMITS)


@pytest.mark.parametrize("case", HOSTILE, ids=[c.name for c in HOSTILE])
def test_upload_refuses_what_the_index_would_not_list_and_notes_the_limits(
    tmp_path: Path, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    path = _write(tmp_path, case.filename, case.build())
    kind = "wheel" if case.filename.endswith(".whl") else "sdist"
    if case.verdict is Verdict.REJECTED:
        with pytest.raises(InvalidDistribution) as caught:
            check(path, TEST_LIMITS)
        assert str(caught.value).startswith(f"unreadable {kind}: ")
        assert case.reason in str(caught.value)
        return
    local = check(path, TEST_LIMITS)
    (note,) = local.notes
    if case.verdict is Verdict.LIMITED:
        assert note.startswith("the index will list it without metadata: limit reached: ")
        assert case.reason in note
    else:
        assert note == f"not every member was read to check it: {case.unverified}"
    assert [r.getMessage() for r in caplog.records] == [f"{path}: {note}"]


def test_a_clean_file_has_no_notes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert check(_write(tmp_path, WHEEL, wheel("demo-pkg", "1.0"))).notes == ()
    assert caplog.records == []
