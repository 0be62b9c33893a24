"""Fall-through to an upstream index (Python twin) against the shared table
infra/cdn/fallthrough_cases.json, which route.js passes too (tests/infra/test_cdk_route.py); the
table's own consistency; and the settings' validation."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from edge_table import outcome_json, viewer_request

from pyshelf.core.edge_auth import EdgeSettings, project_key, route_viewer
from pyshelf.core.routing import Answer, Forward, Request
from pyshelf.core.tokens import TokenRecord, token_key

CDN_DIR = Path(__file__).parents[2] / "infra" / "cdn"
TABLE: dict[str, Any] = json.loads((CDN_DIR / "fallthrough_cases.json").read_text("utf-8"))
CASES: list[dict[str, Any]] = TABLE["cases"]
ROUTING: list[dict[str, Any]] = json.loads((CDN_DIR / "routing_cases.json").read_text())["cases"]
UPSTREAM = TABLE["settings"]["upstream"]


class TableStore:
    """The table's store: values by key, reads of `kvsErrors` keys fail; every key asked for is
    recorded."""

    def __init__(self, failing: list[str] | None = None) -> None:
        self.values = {entry["key"]: entry["value"] for entry in TABLE["kvs"]}
        self.failing = set(TABLE["kvsErrors"] if failing is None else failing)
        self.keys: list[str] = []

    def get(self, key: str) -> str | None:
        self.keys.append(key)
        if key in self.failing:
            raise RuntimeError("KeyValueStore: internal error")
        return self.values.get(key)

    def projects(self) -> list[str]:
        return [key for key in self.keys if key.startswith("project:")]


def _settings(access: str) -> EdgeSettings:
    return EdgeSettings.from_mapping({"access": access, **TABLE["settings"]})


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_table(case: dict[str, Any]) -> None:
    store = TableStore()
    settings = _settings(case["access"])
    outcome = route_viewer(viewer_request(case["request"]), settings, store, TABLE["now"])
    assert outcome_json(outcome) == case["expect"]
    assert store.projects() == case["projects"]


def test_the_table_covers_both_modes_and_every_outcome() -> None:
    names = [case["name"] for case in CASES]
    assert len(set(names)) == len(names)
    for access in ("public", "private"):
        statuses = {c["expect"].get("status", 200) for c in CASES if c["access"] == access}
        assert {200, 301, 307} <= statuses, access
    assert {c["expect"].get("status") for c in CASES if c["access"] == "private"} >= {401, 403}


def test_every_redirect_upstream_is_the_normalized_name_without_credentials() -> None:
    for case in CASES:
        expect = case["expect"]
        if expect.get("status") == 307:
            name = expect["location"].removeprefix(UPSTREAM)
            assert name.endswith("/") and "/" not in name[:-1], case["name"]
            assert case["projects"] == [project_key(name[:-1])], case["name"]
            assert expect["headers"] == {"cache-control": "no-store"}, case["name"]


def test_token_records_are_keyed_by_their_hash_and_decode() -> None:
    records = [entry for entry in TABLE["kvs"] if "token" in entry]
    for entry in records:
        assert entry["key"] == token_key(TABLE["tokens"][entry["token"]]), entry["token"]
        assert TokenRecord.decode(entry["value"]) is not None, entry["token"]
    assert "unknown" not in {entry["token"] for entry in records}


@pytest.mark.parametrize("case", [c for c in CASES if "basic" in c], ids=lambda c: c["name"])
def test_basic_notes_match_the_headers(case: dict[str, Any]) -> None:
    names = {name.replace("-", "_"): token for name, token in TABLE["tokens"].items()}
    credentials = case["basic"].format(**names).encode("utf-8")
    encoded = case["request"]["headers"]["authorization"].split(None, 1)[1]
    assert encoded == base64.b64encode(credentials).decode()


@pytest.mark.parametrize("case", ROUTING, ids=[c["name"] for c in ROUTING])
def test_routing_table_is_unchanged_when_every_name_is_private(case: dict[str, Any]) -> None:
    """With an upstream and every name in the store, a public index routes as without one."""

    class Everything(TableStore):
        def get(self, key: str) -> str | None:
            self.keys.append(key)
            return "live"

    settings = EdgeSettings("public", UPSTREAM)
    outcome = route_viewer(viewer_request(case["request"]), settings, Everything(), TABLE["now"])
    assert outcome_json(outcome) == case["expect"]


def test_without_an_upstream_the_store_is_never_asked_about_projects() -> None:
    for case in CASES:
        store = TableStore()
        settings = EdgeSettings(case["access"])
        route_viewer(viewer_request(case["request"]), settings, store, TABLE["now"])
        assert store.projects() == [], case["name"]


def test_a_store_error_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    outcome = route_viewer(Request("GET", "/flaky/"), _settings("public"), TableStore(), 0)
    assert outcome == Forward("/flaky/index.html", negotiated=True)
    assert "cannot read project:flaky" in caplog.text


def test_falling_through_needs_the_store() -> None:
    with pytest.raises(ValueError, match="store of private names"):
        route_viewer(Request("GET", "/foo/"), _settings("public"), None, 0)


def test_the_redirect_has_no_vary_and_no_query() -> None:
    request = Request("GET", "/Requests", {"accept": "text/html"}, {"format": "json"})
    outcome = route_viewer(request, _settings("public"), TableStore(), 0)
    assert outcome == Answer(307, f"{UPSTREAM}requests/", (("cache-control", "no-store"),))


# Settings


def test_settings_round_trip_through_the_config_form() -> None:
    settings = _settings("private")
    assert settings.upstream == UPSTREAM
    assert settings.reserved == ("acme-*", "internal-?")
    assert EdgeSettings.from_mapping(settings.to_mapping()) == settings
    assert EdgeSettings().to_mapping() == {"access": "public"}


@pytest.mark.parametrize(
    "upstream",
    [
        "https://pypi.org/simple/",
        "https://mirror.example.com:8443/pypi/simple/",
        "https://example.com/",
        "https://example.com/a%20b/",
    ],
)
def test_good_upstreams(upstream: str) -> None:
    assert EdgeSettings.from_mapping({"upstream": upstream}).upstream == upstream


@pytest.mark.parametrize(
    ("upstream", "message"),
    [
        ("http://pypi.org/simple/", "https://"),
        ("pypi.org/simple/", "https://"),
        ("https://pypi.org/simple", "end with '/'"),
        ("https://user:secret@pypi.org/simple/", "credentials"),
        ("https://token@pypi.org/simple/", "credentials"),
        ("https://pypi.org/simple/?x=1", "query or fragment"),
        ("https://pypi.org/simple/#top", "query or fragment"),
        ("https://pypi.org/sim ple/", "URL-safe"),
        ('https://pypi.org/"/', "URL-safe"),
        ("https://pypi.org//", "URL-safe"),
        ("https://pypi.org/simple/\n/", "URL-safe"),
        ("https://:443/simple/", "URL-safe"),
        ("https://pypi.org/" + "a" * 200 + "/", "at most 200"),
        (42, "URL string"),
    ],
)
def test_bad_upstreams_are_clear_errors(upstream: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        EdgeSettings.from_mapping({"upstream": upstream})


@pytest.mark.parametrize(
    ("reserved", "message"),
    [
        ("acme-*", "a list of project globs"),
        (["Acme_*"], "not normalized: write 'acme-*'"),
        (["acme/*"], "reserved project glob"),
        ([""], "reserved project glob"),
        ([7], "strings"),
    ],
)
def test_bad_reserved_globs_are_clear_errors(reserved: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        EdgeSettings.from_mapping({"upstream": UPSTREAM, "reserved": reserved})


def test_reserved_without_an_upstream_is_an_error() -> None:
    with pytest.raises(ValueError, match="only matter with an upstream"):
        EdgeSettings.from_mapping({"reserved": ["acme-*"]})
    assert EdgeSettings.from_mapping({"reserved": []}) == EdgeSettings()


def test_unknown_settings_are_an_error() -> None:
    with pytest.raises(ValueError, match=r"unknown edge settings \['upsteam'\]"):
        EdgeSettings.from_mapping({"upsteam": UPSTREAM})


def test_settings_are_checked_when_built_directly() -> None:
    with pytest.raises(ValueError, match="https://"):
        EdgeSettings("public", "ftp://example.com/")
    with pytest.raises(ValueError, match="access must be one of"):
        EdgeSettings("Private")  # type: ignore[arg-type]
