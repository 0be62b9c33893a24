from __future__ import annotations

import pytest
from packaging.utils import canonicalize_name

from pyshelf.core import layout


@pytest.mark.parametrize(
    ("key", "kind", "project"),
    [
        ("foo/foo-1.0-py3-none-any.whl", "distribution", "foo"),
        ("Foo_Bar-2.0+local-py3-none-any.whl", "distribution", "foo-bar"),
        ("other/foo-1.0.tar.gz", "distribution", "foo"),
        ("foo/foo-1.0-py3-none-any.whl.metadata", "metadata", "foo"),
        ("foo/index.html", "page", "foo"),
        ("foo/index.json", "page", "foo"),
        ("index.html", "page", None),
        ("index.json", "page", None),
        ("foo/1.0.yank", "yank", "foo"),
        ("foo/1.0+local.yank", "yank", "foo"),
        ("foo/not-a-version.yank", "other", None),
        ("Foo/1.0.yank", "other", None),
        ("_pyshelf/projects/foo.json", "facts-cache", "foo"),
        ("_pyshelf/tombstones/foo-bar", "tombstone", "foo-bar"),
        ("_pyshelf/tombstones/Foo_Bar", "other", None),
        ("_pyshelf/tombstones/foo/bar", "other", None),
        ("_pyshelf/tombstones/", "other", None),
        ("_pyshelf/other", "other", None),
        ("notes/readme.txt", "other", None),
        ("Foo_Bar/index.html", "other", None),
        # keys the layout cannot hold: an empty segment, or deeper than <folder>/<filename>
        ("foo//foo-1.1-py3-none-any.whl", "other", None),
        ("/foo-1.1-py3-none-any.whl", "other", None),
        ("foo/sub/foo-1.0.tar.gz", "other", None),
        ("foo//1.0.yank", "other", None),
        ("foo//index.json", "other", None),
        ("Foo Bar<x>/Foo Bar<x>-1.0.tar.gz", "other", None),
    ],
)
def test_classify(key: str, kind: str, project: str | None) -> None:
    info = layout.classify(key)
    assert (info.kind, getattr(info, "project", None)) == (kind, project)
    if isinstance(info, layout.OtherKey):
        assert info.reason


def test_classify_carries_the_parsed_parts() -> None:
    info = layout.classify("other/Foo_Bar-2.0-py3-none-any.whl")
    assert isinstance(info, layout.DistributionKey)
    assert (info.dist.filename, info.filed) == ("Foo_Bar-2.0-py3-none-any.whl", False)
    yank = layout.classify("foo/1.0.0.yank")
    assert isinstance(yank, layout.YankKey)
    assert str(yank.version) == "1.0.0"


@pytest.mark.parametrize(
    ("key", "filed"),
    [
        ("foo/foo-1.0.tar.gz", True),
        ("foo-bar/Foo_Bar-2.0-py3-none-any.whl", True),
        ("Foo_Bar/Foo_Bar-2.0-py3-none-any.whl", False),
        ("Foo_Bar-2.0-py3-none-any.whl", False),
        ("bar/foo-1.0.tar.gz", False),
        ("foo/sub/foo-1.0.tar.gz", False),
        ("foo//foo-1.0.tar.gz", False),
    ],
)
def test_is_filed(key: str, filed: bool) -> None:
    assert layout.is_filed(key) is filed


def test_yank_key_uses_the_canonical_version() -> None:
    assert layout.yank_key(canonicalize_name("foo"), "1.0.0-RC1") == "foo/1.0.0rc1.yank"


@pytest.mark.parametrize(
    ("key", "project"),
    [("foo/index.json.gz", "foo"), ("index.json.gz", None)],
)
def test_gzip_variants_of_json_pages(key: str, project: str | None) -> None:
    info = layout.classify(key)
    assert isinstance(info, layout.PageVariantKey)
    assert info.project == project
    page = key.removesuffix(".gz")
    assert layout.gzip_variant_key(page) == key
    assert (
        layout.headers_of(key)
        == layout.headers_of(page)
        == (
            layout.JSON_TYPE,
            layout.PAGE_CACHE_CONTROL,
        )
    )
    assert layout.content_encoding_of(key) == "gzip"
    assert layout.content_encoding_of(page) is None


@pytest.mark.parametrize(
    "key", ["foo/index.html.gz", "Foo_Bar/index.json.gz", "foo/bar/index.json.gz", "index.gz"]
)
def test_no_other_gz_key_is_a_page_variant(key: str) -> None:
    assert layout.classify(key).kind == "other"
    assert layout.content_encoding_of(key) is None


@pytest.mark.parametrize(
    "key", ["foo/index.html", "index.html", "foo/foo-1.0.tar.gz", "_pyshelf/projects/foo.json"]
)
def test_only_json_pages_have_a_gzip_variant(key: str) -> None:
    assert layout.gzip_variant_key(key) is None


def _wheel_key(folder_length: int, version: str) -> tuple[str, str]:
    """A filed wheel key whose project name is `folder_length` letters long, and its filename."""
    name = "a" * folder_length
    filename = f"{name}-{version}-py3-none-any.whl"
    return f"{name}/{filename}", filename


@pytest.mark.parametrize(
    ("folder_length", "version", "key_bytes", "kind"),
    [
        (496, "1.00", 1015, "distribution"),  # its .metadata key is exactly 1,024 bytes
        (497, "1.0", 1016, "other"),  # .metadata: 1,025 bytes
        (501, "1.0", 1024, "other"),  # the longest legal key
    ],
)
def test_a_distribution_whose_metadata_key_is_too_long_is_refused(
    folder_length: int, version: str, key_bytes: int, kind: str
) -> None:
    key, _ = _wheel_key(folder_length, version)
    assert len(key) == key_bytes
    info = layout.classify(key)
    assert info.kind == kind
    if isinstance(info, layout.OtherKey):
        assert "1025 bytes" in info.reason or "1033 bytes" in info.reason
        assert "S3 allows 1024" in info.reason


def test_a_misplaced_distribution_whose_filed_key_is_too_long_is_refused() -> None:
    """At the root the key fits, but `<project>/<filename>.metadata` would not."""
    _, filename = _wheel_key(496, "1.00")  # filed: 1,015 bytes, .metadata 1,024
    assert layout.classify(filename).kind == "distribution"
    _, filename = _wheel_key(497, "1.0")  # 519 bytes here, 1,025 with its folder and .metadata
    info = layout.classify(filename)
    assert isinstance(info, layout.OtherKey)
    assert "1025 bytes" in info.reason
