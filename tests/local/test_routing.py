"""The Python routing port against the shared case table (the contract with route.js)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, get_args

import pytest

from pyshelf.core import layout
from pyshelf.core.routing import (
    Answer,
    Forward,
    PageName,
    Request,
    negotiate,
    parse_accept,
    route,
)

CASES_FILE = Path(__file__).parents[2] / "infra" / "cdn" / "routing_cases.json"
CASES: list[dict[str, Any]] = json.loads(CASES_FILE.read_text())["cases"]


def _request(raw: dict[str, Any]) -> Request:
    return Request(raw["method"], raw["uri"], raw["headers"], raw["querystring"])


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_table(case: dict[str, Any]) -> None:
    outcome = route(_request(case["request"]))
    expect = case["expect"]
    if "uri" in expect:
        assert isinstance(outcome, Forward)
        assert outcome.uri == expect["uri"]
    else:
        assert outcome == Answer(expect["status"], expect.get("location"))


def test_the_table_covers_every_kind_of_outcome() -> None:
    """Each kind of answer the function gives is pinned by some row (in both languages)."""
    expected = [case["expect"] for case in CASES]
    uris = {e["uri"].rpartition("/")[2] for e in expected if "uri" in e}
    assert {"index.html", "index.json"} <= uris  # both page representations
    assert uris - {"index.html", "index.json"}  # and files, forwarded as they are
    statuses = {e["status"] for e in expected if "status" in e}
    assert {301, 404} <= statuses
    assert any(e.get("location", "").endswith("?format=json") for e in expected)


def test_page_names_are_the_bucket_layout_names() -> None:
    assert set(get_args(PageName)) == set(layout.PAGE_NAMES)


@pytest.mark.parametrize(
    ("uri", "negotiated"),
    [("/", True), ("/simple/", True), ("/foo/", True), ("/foo/foo-1.0.tar.gz", False)],
)
def test_pages_are_negotiated_files_are_not(uri: str, negotiated: bool) -> None:
    outcome = route(Request("GET", uri))
    assert isinstance(outcome, Forward)
    assert outcome.negotiated is negotiated


@pytest.mark.parametrize(
    ("uri", "key"),
    [
        ("/", "index.html"),
        ("/foo/", "foo/index.html"),
        (
            "/foo-bar/foo_bar-2.0%2Blocal-py3-none-any.whl",
            "foo-bar/foo_bar-2.0+local-py3-none-any.whl",
        ),
        ("/foo/a+b.whl", "foo/a+b.whl"),
    ],
)
def test_key_is_the_decoded_uri(uri: str, key: str) -> None:
    outcome = route(Request("GET", uri))
    assert isinstance(outcome, Forward)
    assert outcome.key == key


@pytest.mark.parametrize(
    ("query", "accept", "page"),
    [
        ({"format": "JSON"}, "", "index.json"),
        (
            {"format": "application/vnd.pypi.simple.v1+html"},
            "application/vnd.pypi.simple.v1+json",
            "index.html",
        ),
        ({"format": "nonsense"}, "application/vnd.pypi.simple.v1+json", "index.json"),
        ({}, "application/vnd.pypi.simple.v1+json;q=abc", "index.html"),
        ({}, "image/png", "index.html"),
        ({}, "application/vnd.pypi.simple.v1+json;q=0.5, */*;q=0.4", "index.json"),
        ({}, "application/vnd.pypi.simple.v1+json;q=0.4, */*;q=0.5", "index.html"),
    ],
)
def test_negotiation_edges(query: dict[str, str], accept: str, page: str) -> None:
    assert negotiate(Request("GET", "/foo/", {"accept": accept}, query)) == page


def test_parse_accept_lowercases_and_reads_q() -> None:
    assert parse_accept("Text/HTML;level=1;Q=0.5, ,a/b") == [("text/html", 0.5), ("a/b", 1.0)]


@pytest.mark.parametrize(
    ("q", "value"),
    [
        ("1", 1.0),
        ("1.000", 1.0),
        ("0.123", 0.123),
        ("0.", 0.0),
        ("2", 0.0),
        ("-1", 0.0),
        ("0.1234", 0.0),
        ("1e-3", 0.0),
        ("0x1", 0.0),
        ("infinity", 0.0),
        ("nan", 0.0),
        ("", 0.0),
    ],
)
def test_q_follows_the_rfc_grammar_else_zero(q: str, value: float) -> None:
    assert parse_accept(f"a/b;q={q}") == [("a/b", value)]


@pytest.mark.parametrize("uri", ["/%E2%84%AAfoo/", "/%C5%BFoo/", "/caf%C3%A9/x.whl"])
def test_non_ascii_names_are_404_even_when_they_fold_to_ascii(uri: str) -> None:
    assert route(Request("GET", uri)) == Answer(404)


@pytest.mark.parametrize("uri", ["foo/", "", "*"])
def test_a_target_without_a_leading_slash_is_404(uri: str) -> None:
    assert route(Request("GET", uri)) == Answer(404)


@pytest.mark.parametrize(
    ("uri", "location"),
    [
        ("/simple/Foo_Bar/x-1.0.tar.gz", "/simple/foo-bar/x-1.0.tar.gz"),
        ("/simple", "/simple/"),
        ("/FOO", "/foo/"),
    ],
)
def test_redirects(uri: str, location: str) -> None:
    assert route(Request("GET", uri)) == Answer(301, location)


def test_redirect_keeps_the_query_as_sent() -> None:
    request = Request(
        "GET", "/foo", {}, {"format": "application%2Fvnd.pypi.simple.v1+json", "x": ""}
    )
    assert route(request) == Answer(301, "/foo/?format=application%2Fvnd.pypi.simple.v1+json&x=")


@pytest.mark.parametrize(
    "raw", ["application%2Fvnd.pypi.simple.v1%2Bjson", "application/vnd.pypi.simple.v1+json"]
)
def test_format_is_percent_decoded_and_plus_is_literal(raw: str) -> None:
    assert negotiate(Request("GET", "/foo/", {}, {"format": raw})) == "index.json"
