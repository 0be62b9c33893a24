"""Bucket keys to ask the synthesized policies about (tests/infra)."""

from __future__ import annotations

from packaging.utils import canonicalize_name

from pyshelf.core import layout

SOMEONE = "arn:aws:iam::123456789012:role/an-admin-or-a-publisher"
FOO = canonicalize_name("foo")
WHEEL = layout.distribution_key(FOO, "foo-1.0-py3-none-any.whl")
# What the indexer writes, as core/layout.py names it.
INDEXER_WRITES = (
    *layout.page_keys(None),
    *layout.page_keys(FOO),
    layout.metadata_key(WHEEL),
    layout.metadata_key("foo/foo-1.0.tar.gz"),
    layout.facts_cache_key(FOO),
)
# Reserved for the indexer: the above, and anything else under _pyshelf/.
DERIVED = (*INDEXER_WRITES, "_pyshelf/anything/else.whl")
DISTRIBUTIONS = (
    WHEEL,
    "foo/foo-1.0.tar.gz",
    "foo/foo-1.0.zip",
    "foo/foo-1.0.tar.bz2",
    "foo/foo-1.0.tgz",
    "index-html/index-html-1.0.tar.gz",
)
YANK = layout.yank_key(FOO, "1.0")
PUBLISHED = (*DISTRIBUTIONS, YANK)
