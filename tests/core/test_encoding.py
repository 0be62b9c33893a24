"""Content codings of pages: the deterministic gzip variant, and decoding what a reader got."""

from __future__ import annotations

import gzip

import pytest

from pyshelf.core import render
from pyshelf.core.encoding import UndecodableBody, decoded, gzip_body


def test_the_gzip_variant_is_deterministic_and_decodes_to_the_page() -> None:
    page = render.root_json([f"project-{n}" for n in range(100)])
    coded = gzip_body(page)
    assert coded == gzip_body(page)
    assert coded[:2] == b"\x1f\x8b"
    assert coded[4:8] == b"\0\0\0\0"  # mtime 0: the same page gives the same bytes
    assert gzip.decompress(coded) == page
    assert len(coded) < len(page)


@pytest.mark.parametrize("coding", [None, "", "identity", " Identity "])
def test_identity_bodies_are_returned_as_they_are(coding: str | None) -> None:
    assert decoded(b"\x1f\x8b not gzip", coding) == b"\x1f\x8b not gzip"


@pytest.mark.parametrize("coding", ["gzip", "x-gzip", "GZIP"])
def test_gzip_bodies_are_decompressed(coding: str) -> None:
    assert decoded(gzip.compress(b"{}"), coding) == b"{}"


@pytest.mark.parametrize(
    ("body", "coding", "message"),
    [
        (b"{}", "br", "unsupported Content-Encoding 'br'"),
        (b"{}", "gzip", "does not decompress"),
        (gzip.compress(b"{}")[:-4], "gzip", "does not decompress"),
    ],
)
def test_undecodable_bodies_say_why(body: bytes, coding: str, message: str) -> None:
    with pytest.raises(UndecodableBody, match=message):
        decoded(body, coding)
