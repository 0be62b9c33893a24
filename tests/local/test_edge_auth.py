"""The private index's edge check (Python twin) against the shared auth case table, which
route.js passes too (tests/infra/test_cdk_route.py); plus the table's own consistency."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from edge_table import outcome_json, viewer_request

from pyshelf.core.edge_auth import (
    MAX_AUTHORIZATION,
    EdgeSettings,
    presented_token,
    route_viewer,
)
from pyshelf.core.routing import Forward, Request
from pyshelf.core.tokens import TokenRecord, token_key

CDN_DIR = Path(__file__).parents[2] / "infra" / "cdn"
TABLE: dict[str, Any] = json.loads((CDN_DIR / "auth_cases.json").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = TABLE["cases"]
ROUTING: list[dict[str, Any]] = json.loads((CDN_DIR / "routing_cases.json").read_text())["cases"]
PRIVATE = EdgeSettings("private")


class DictStore:
    """A token store over a dict, counting look-ups."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.keys: list[str] = []

    def get(self, key: str) -> str | None:
        self.keys.append(key)
        return self.values.get(key)


def _store() -> DictStore:
    return DictStore({entry["key"]: entry["value"] for entry in TABLE["kvs"]})


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_table(case: dict[str, Any]) -> None:
    outcome = route_viewer(viewer_request(case["request"]), PRIVATE, _store(), TABLE["now"])
    assert outcome_json(outcome) == case["expect"]


def test_case_names_are_unique_and_every_outcome_is_covered() -> None:
    assert len({case["name"] for case in CASES}) == len(CASES)
    statuses = {case["expect"].get("status", 200) for case in CASES}
    assert statuses == {200, 301, 401, 403, 404}


def test_every_store_key_is_the_sha256_of_its_named_token() -> None:
    for entry in TABLE["kvs"]:
        assert entry["key"] == token_key(TABLE["tokens"][entry["token"]]), entry["token"]


def test_revoked_and_unknown_tokens_have_no_record() -> None:
    stored = {entry["token"] for entry in TABLE["kvs"]}
    assert {"revoked", "unknown"} <= set(TABLE["tokens"]) - stored


def test_well_formed_records_are_what_tokens_py_writes() -> None:
    """The valid records decode and re-encode to the same text (the edge reads that format)."""
    valid = {"reader", "ci", "uploader", "expired", "expires-now", "scoped", "many-globs"}
    for entry in TABLE["kvs"]:
        record = TokenRecord.decode(entry["value"])
        assert (record is not None) == (entry["token"] in valid), entry["token"]
        if record is not None:
            assert record.encode() == entry["value"]


@pytest.mark.parametrize("case", [c for c in CASES if "basic" in c], ids=lambda c: c["name"])
def test_basic_notes_match_the_headers(case: dict[str, Any]) -> None:
    names = {name.replace("-", "_"): token for name, token in TABLE["tokens"].items()}
    credentials = case["basic"].format(**names).encode("utf-8")
    scheme, encoded = case["request"]["headers"]["authorization"].split(None, 1)
    assert (scheme.lower(), encoded.strip()) == ("basic", base64.b64encode(credentials).decode())


def test_the_cap_cases_straddle_the_limit() -> None:
    lengths = {
        case["name"]: len(case["request"]["headers"]["authorization"])
        for case in CASES
        if "characters" in case["name"]
    }
    assert sorted(lengths.values())[-2:] == [MAX_AUTHORIZATION, MAX_AUTHORIZATION + 1]


@pytest.mark.parametrize("case", ROUTING, ids=[c["name"] for c in ROUTING])
def test_a_public_index_routes_as_before_and_never_reads_the_store(case: dict[str, Any]) -> None:
    store = _store()
    outcome = route_viewer(viewer_request(case["request"]), EdgeSettings(), store, TABLE["now"])
    expect = case["expect"]
    assert outcome_json(outcome) == expect
    assert store.keys == []


def test_a_public_index_ignores_authorization() -> None:
    request = Request("GET", "/", {"authorization": "Basic !!!"})
    assert route_viewer(request, EdgeSettings(), None, 0) == Forward("/index.html", True)


def test_the_store_is_asked_by_hash_only() -> None:
    store = _store()
    token = TABLE["tokens"]["reader"]
    header = "Basic " + base64.b64encode(f"__token__:{token}".encode()).decode()
    route_viewer(Request("GET", "/", {"authorization": header}), PRIVATE, store, TABLE["now"])
    assert store.keys == [token_key(token)]
    assert token not in store.keys[0]


def test_expiry_follows_the_clock() -> None:
    token = TABLE["tokens"]["ci"]
    header = "Basic " + base64.b64encode(f"__token__:{token}".encode()).decode()
    request = Request("GET", "/", {"authorization": header})
    (record,) = (e for e in TABLE["kvs"] if e["token"] == "ci")
    expires = json.loads(record["value"])["e"]
    assert isinstance(route_viewer(request, PRIVATE, _store(), expires - 0.5), Forward)
    assert route_viewer(request, PRIVATE, _store(), expires).status == 401  # type: ignore[union-attr]


def test_a_private_index_needs_a_store() -> None:
    with pytest.raises(ValueError, match="token store"):
        route_viewer(Request("GET", "/"), PRIVATE, None, 0)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Basic " + base64.b64encode(b"__token__:abc").decode(), "abc"),
        ("Basic " + base64.b64encode(b"abc:").decode(), "abc"),
        ("Basic " + base64.b64encode(b"abc:d:e").decode(), "d:e"),
        ("BASIC " + base64.b64encode(b":abc").decode(), "abc"),
        ("Basic " + base64.b64encode(b"abc").decode(), None),
        ("Basic " + base64.b64encode(b":").decode(), None),
        ("Basic =", None),
        ("Basic " + "\u00e9" * 4, None),
        (None, None),
    ],
)
def test_presented_token(header: str | None, token: str | None) -> None:
    assert presented_token(header) == token


@pytest.mark.parametrize(
    ("settings", "expect"),
    [({}, "public"), ({"access": "public"}, "public"), ({"access": "private"}, "private")],
)
def test_settings_from_the_config_line(settings: dict[str, object], expect: str) -> None:
    assert EdgeSettings.from_mapping(settings).access == expect


def test_unknown_access_mode_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="access must be one of"):
        EdgeSettings.from_mapping({"access": "Private"})
