"""The local CDN's settings: EdgeSettings' rules, plus plain http upstreams on this machine (one
`pyshelf serve` falling through to another); the stack's settings still demand https."""

from __future__ import annotations

import re

import pytest

from pyshelf.core.edge_auth import EdgeSettings
from pyshelf.local.edge_settings import local_edge_settings


@pytest.mark.parametrize(
    "upstream",
    [
        "http://127.0.0.1:8081/",
        "http://localhost/simple/",
        "http://LOCALHOST:9/simple/",
        "https://pypi.org/simple/",
    ],
)
def test_loopback_http_and_any_https_upstream(upstream: str) -> None:
    settings = local_edge_settings("private", upstream, ("acme-*",))
    assert (settings.upstream, settings.reserved) == (upstream, ("acme-*",))


@pytest.mark.parametrize("upstream", ["http://127.0.0.1:8081/", "http://localhost/simple/"])
def test_the_stack_settings_still_refuse_http(upstream: str) -> None:
    with pytest.raises(ValueError, match="https://"):
        EdgeSettings("public", upstream)


@pytest.mark.parametrize(
    ("upstream", "message"),
    [
        ("http://pypi.org/simple/", "http:// only for 127.0.0.1 or localhost"),
        ("http://127.0.0.1.example.com/", "http:// only for 127.0.0.1 or localhost"),
        ("http://10.0.0.1/simple/", "http:// only for 127.0.0.1 or localhost"),
        ("http://[::1]:8080/", "http:// only for 127.0.0.1 or localhost"),
        ("ftp://127.0.0.1/", "https://"),
        ("http://127.0.0.1:8081", "end with '/'"),
        ("http://user:secret@127.0.0.1:8081/", "credentials"),
        ("http://127.0.0.1:8081/?x=1", "query or fragment"),
        ("http://127.0.0.1:8081/a b/", "URL-safe"),
    ],
)
def test_other_upstreams_are_clear_errors(upstream: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        local_edge_settings("public", upstream)


def test_reserved_globs_follow_the_edge_rules() -> None:
    with pytest.raises(ValueError, match=re.escape("not normalized: write 'acme-*'")):
        local_edge_settings("public", "http://127.0.0.1:1/", ("Acme_*",))
    with pytest.raises(ValueError, match="set upstream too"):
        local_edge_settings("public", None, ("acme-*",))
