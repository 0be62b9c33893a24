"""`pyshelf delete`, `yank`, `unyank`, `list` and `reindex` against an in-process moto bucket."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cli.helpers import BUCKET, Run, publish, write_sdist, write_wheel
from pyshelf.storage.s3 import S3Store


@pytest.fixture
def released(run: Run, tmp_path: Path) -> list[str]:
    """demo 1.0 (wheel + sdist) and demo 2.0 (wheel), uploaded."""
    paths = [
        write_wheel(tmp_path, "demo", "1.0"),
        write_sdist(tmp_path, "demo", "1.0"),
        write_wheel(tmp_path, "demo", "2.0"),
    ]
    assert run("upload", *map(str, paths)).exit_code == 0
    return [p.name for p in paths]


def _keys(s3: Any) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def _page(s3: Any, project: str) -> dict[str, Any]:
    page: dict[str, Any] = json.loads(
        s3.get_object(Bucket=BUCKET, Key=f"{project}/index.json")["Body"].read()
    )
    return page


def test_delete_shows_asks_and_keeps_everything_on_no(
    run: Run, s3: Any, released: list[str]
) -> None:
    result = run("delete", "demo", "1.0", input="n\n")
    assert result.exit_code == 1
    assert "2 file(s) of demo will be deleted:" in result.stdout
    assert f"s3://{BUCKET}/demo/{released[0]}" in result.stdout
    assert "The bucket keeps old versions (versioning is on)" in result.stdout
    assert "Aborted" in result.output
    assert _keys(s3) == {f"demo/{name}" for name in released}


def test_delete_a_version_with_yes_is_recoverable(run: Run, s3: Any, released: list[str]) -> None:
    result = run("delete", "Demo", "1.0", "--yes")
    assert result.exit_code == 0, result.output
    assert _keys(s3) == {f"demo/{released[2]}"}
    versions = s3.list_object_versions(Bucket=BUCKET, Prefix=f"demo/{released[0]}")
    assert len(versions["Versions"]) == 1 and len(versions["DeleteMarkers"]) == 1


def test_delete_one_file(run: Run, s3: Any, released: list[str]) -> None:
    result = run("delete", "demo", "--file", released[1], input="y\n")
    assert result.exit_code == 0, result.output
    assert _keys(s3) == {f"demo/{released[0]}", f"demo/{released[2]}"}


def test_deleting_a_whole_release_drops_its_yank_record(
    run: Run, s3: Any, released: list[str]
) -> None:
    assert run("yank", "demo", "1.0", "--reason", "old").exit_code == 0
    assert run("yank", "demo", "2.0").exit_code == 0
    one_file = run("delete", "demo", "--file", released[0], "--yes")
    assert "yank record" not in one_file.stdout  # 1.0 still has its sdist: still yanked
    assert "demo/1.0.yank" in _keys(s3)
    result = run("delete", "demo", "1.0", "--yes")
    assert result.exit_code == 0, result.output
    assert "removed the yank record of demo 1.0" in result.stdout
    assert _keys(s3) == {f"demo/{released[2]}", "demo/2.0.yank"}


def test_delete_without_versioning_warns(run: Run, s3: Any, released: list[str]) -> None:
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    result = run("delete", "demo", "2.0", "--yes")
    assert "versioning is NOT enabled" in result.stdout


def test_delete_nothing_matching_is_an_error(run: Run, released: list[str]) -> None:
    result = run("delete", "demo", "9.9", "--yes")
    assert result.exit_code == 1
    assert result.stderr == "Error: nothing to delete: no files of demo version 9.9 in the bucket\n"


def test_an_unknown_project_names_the_closest_published_ones(
    run: Run, shelf: S3Store, released: list[str]
) -> None:
    publish(shelf)
    result = run("delete", "dmeo", "--yes")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: nothing to delete: no files of dmeo in the bucket; did you mean: demo?\n",
    )
    result = run("yank", "zzz", "1.0")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: nothing to yank: no files of zzz 1.0 in the bucket "
        "(`pyshelf list` shows the published projects)\n",
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["delete", "bad!name", "--yes"], "is not a valid project name"),
        (["yank", "demo", "not.a.version!"], "is not a valid PEP 440 version"),
    ],
)
def test_bad_names_and_versions_are_usage_errors(run: Run, args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_yank_writes_the_record_and_the_indexer_marks_the_release(
    run: Run, s3: Any, shelf: S3Store, released: list[str]
) -> None:
    result = run("yank", "demo", "1.0", "--reason", "broken on Windows")
    assert result.exit_code == 0, result.output
    assert s3.get_object(Bucket=BUCKET, Key="demo/1.0.yank")["Body"].read() == b"broken on Windows"
    publish(shelf)
    files = {f["filename"]: f.get("yanked") for f in _page(s3, "demo")["files"]}
    assert files == {
        released[0]: "broken on Windows",
        released[1]: "broken on Windows",
        released[2]: None,
    }
    listing = run("list", "demo")
    assert "yanked: broken on Windows" in listing.stdout


def test_unyank_removes_the_record(run: Run, s3: Any, shelf: S3Store, released: list[str]) -> None:
    assert run("yank", "demo", "1.0").exit_code == 0
    result = run("unyank", "demo", "1.0")
    assert result.exit_code == 0
    assert result.stdout.strip() == "unyanked: demo 1.0"
    assert "demo/1.0.yank" not in _keys(s3)
    again = run("unyank", "demo", "1.0")
    assert again.exit_code == 0
    assert "was not yanked; nothing to do" in again.stdout


def test_yank_and_unyank_treat_equal_versions_as_one_release(
    run: Run, s3: Any, released: list[str]
) -> None:
    """1.0 and 1.0.0 are one release to pip and to the indexer: one record, found either way."""
    assert run("yank", "demo", "1.0", "--reason", "first").exit_code == 0
    assert run("yank", "demo", "1.0.0", "--reason", "second").exit_code == 0
    records = {k for k in _keys(s3) if k.endswith(".yank")}
    assert records == {"demo/1.0.yank"}
    assert s3.get_object(Bucket=BUCKET, Key="demo/1.0.yank")["Body"].read() == b"second"
    result = run("unyank", "demo", "1.0.0")
    assert result.stdout.strip() == "unyanked: demo 1.0.0"
    assert not {k for k in _keys(s3) if k.endswith(".yank")}


def test_yank_of_an_unknown_release_is_an_error(run: Run, s3: Any, released: list[str]) -> None:
    result = run("yank", "demo", "3.0")
    assert result.exit_code == 1
    assert "nothing to yank" in result.stderr
    assert "demo/3.0.yank" not in _keys(s3)


def test_list_projects_with_latest_release_and_file_count(
    run: Run, shelf: S3Store, tmp_path: Path, released: list[str]
) -> None:
    assert run("upload", str(write_wheel(tmp_path, "other-pkg", "0.1"))).exit_code == 0
    assert run("yank", "demo", "2.0").exit_code == 0
    publish(shelf)
    result = run("list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["PROJECT", "LATEST", "FILES"],
        ["demo", "1.0", "3"],
        ["other-pkg", "0.1", "1"],
    ]
    assert lines[0].split()[3:] == ["LAST", "UPLOAD"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", lines[1].split(maxsplit=3)[3])


def test_list_one_project(run: Run, shelf: S3Store, s3: Any, released: list[str]) -> None:
    publish(shelf)
    lines = run("list", "demo").stdout.splitlines()
    assert lines[0].split() == [
        "VERSION",
        "FILE",
        "SIZE",
        "UPLOADED",
        "REQUIRES-PYTHON",
        "SHA256",
        "STATUS",
    ]
    assert [line.split()[:2] for line in lines[1:]] == [
        ["1.0", released[0]] if released[0] < released[1] else ["1.0", released[1]],
        ["1.0", max(released[0], released[1])],
        ["2.0", released[2]],
    ]
    page = {f["filename"]: f for f in _page(s3, "demo")["files"]}
    for line in lines[1:]:
        _version, name, _size, day, hour, python, *_rest = line.split()
        assert f"{day}T{hour}" == page[name]["upload-time"][:16]
        assert python == page[name].get("requires-python", "-")


def test_list_json(run: Run, shelf: S3Store, s3: Any, released: list[str]) -> None:
    assert run("yank", "demo", "1.0", "--reason", "broken").exit_code == 0
    publish(shelf)
    listed = json.loads(run("list", "demo", "--json").stdout)
    page = {f["filename"]: f for f in _page(s3, "demo")["files"]}
    assert listed["name"] == "demo"
    assert {f["filename"] for f in listed["files"]} == set(released)
    for f in listed["files"]:
        assert f["upload-time"] == page[f["filename"]]["upload-time"]
        assert f["sha256"] == page[f["filename"]]["hashes"]["sha256"]
        assert f["yanked"] == ("broken" if f["version"] == "1.0" else None)
        assert f["rejected"] is None
    root = json.loads(run("list", "--json").stdout)
    assert [(p["name"], p["latest"], p["files"]) for p in root["projects"]] == [("demo", "2.0", 3)]
    assert root["projects"][0]["last-upload"] == max(f["upload-time"] for f in page.values())


def test_list_shows_rejected_files_with_the_reason(
    run: Run, shelf: S3Store, s3: Any, released: list[str]
) -> None:
    s3.put_object(Bucket=BUCKET, Key="demo/demo-3.0-py3-none-any.whl", Body=b"not a zip")
    publish(shelf)
    lines = run("list", "demo").stdout.splitlines()
    (row,) = [line for line in lines if "demo-3.0-py3-none-any.whl" in line]
    assert row.split()[0] == "3.0"
    assert "rejected: unreadable archive" in row
    listed = json.loads(run("list", "demo", "--json").stdout)
    (entry,) = [f for f in listed["files"] if f["filename"] == "demo-3.0-py3-none-any.whl"]
    assert entry["rejected"].startswith("unreadable archive")


def test_list_before_indexing_and_unknown_projects(run: Run, released: list[str]) -> None:
    assert "no projects published yet" in run("list").stdout
    result = run("list", "demo")
    assert result.exit_code == 1
    assert "Error: project demo is not in the index" in result.stderr


def test_reindex_direct_builds_pages_and_is_idempotent(
    run: Run, s3: Any, released: list[str]
) -> None:
    first = run("reindex", "--direct", "--all")
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == [
        "demo: rebuilt, 3 file(s)",
        "reindexed 1 project(s) and the root",
    ]
    assert {"index.json", "demo/index.json", "demo/index.html"} <= _keys(s3)
    second = run("reindex", "--direct", "demo")
    assert second.stdout.splitlines()[0] == "demo: unchanged, 3 file(s)"


def test_reindex_direct_removes_a_project_with_no_files(
    run: Run, s3: Any, released: list[str]
) -> None:
    assert run("reindex", "--direct", "--all").exit_code == 0
    assert run("delete", "demo", "--yes").exit_code == 0
    result = run("reindex", "--direct", "demo")
    assert result.stdout.splitlines()[0] == "demo: rebuilt, no files (removed from the index)"
    assert (
        json.loads(s3.get_object(Bucket=BUCKET, Key="index.json")["Body"].read())["projects"] == []
    )


@pytest.mark.parametrize("args", [[], ["demo", "--all"]])
def test_reindex_needs_projects_or_all(run: Run, args: list[str]) -> None:
    result = run("reindex", *args)
    assert result.exit_code == 2
    assert "name the projects to rebuild, or pass --all" in result.stderr
