"""The upload path at the edge (Python twin, `pyshelf.core.edge_auth.route_upload`) against the
shared upload case table, which route.js passes too (tests/infra/test_cdk_route.py), in a
public and a private index alike; plus the table's own consistency."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from edge_table import outcome_json, viewer_request

from pyshelf.core.edge_auth import EdgeSettings, route_viewer
from pyshelf.core.routing import Request
from pyshelf.core.tokens import TokenRecord, token_key
from pyshelf.core.upload_grant import MAX_UPLOAD_BYTES, UploadGrant

CDN_DIR = Path(__file__).parents[2] / "infra" / "cdn"
TABLE: dict[str, Any] = json.loads((CDN_DIR / "upload_cases.json").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = TABLE["cases"]
SETTINGS = {"public": EdgeSettings(), "private": EdgeSettings("private")}


class FailingStore:
    """The table's store: a dict whose `kvsErrors` keys fail to read."""

    def __init__(self) -> None:
        self.values = {entry["key"]: entry["value"] for entry in TABLE["kvs"]}
        self.failing = set(TABLE["kvsErrors"])

    def get(self, key: str) -> str | None:
        if key in self.failing:
            raise OSError("KeyValueStore: internal error")
        return self.values.get(key)


@pytest.mark.parametrize("access", SETTINGS)
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case_table(case: dict[str, Any], access: str) -> None:
    request = viewer_request(case["request"])
    outcome = route_viewer(request, SETTINGS[access], FailingStore(), TABLE["now"])
    assert outcome_json(outcome) == case["expect"]


def test_case_names_are_unique_and_every_outcome_is_covered() -> None:
    assert len({case["name"] for case in CASES}) == len(CASES)
    statuses = {case["expect"].get("status", 200) for case in CASES}
    assert statuses == {200, 403, 404, 405, 413}


def test_every_store_key_is_the_sha256_of_its_named_token_and_records_are_valid() -> None:
    for entry in TABLE["kvs"]:
        assert entry["key"] == token_key(TABLE["tokens"][entry["token"]]), entry["token"]
        record = TokenRecord.decode(entry["value"])
        assert record is not None
        assert record.encode() == entry["value"]
    assert TABLE["kvsErrors"] == [token_key(TABLE["tokens"]["store-error"])]


def test_the_length_cases_straddle_the_limit() -> None:
    lengths = {
        int(value): case["expect"].get("status", 200)
        for case in CASES
        if (value := case["request"]["headers"].get("content-length", "")).isdigit()
    }
    assert lengths[MAX_UPLOAD_BYTES] == 200
    assert lengths[MAX_UPLOAD_BYTES + 1] == 413


def test_forwarded_grants_decode_to_the_tokens_scope() -> None:
    grants = {case["expect"]["upload"] for case in CASES if "upload" in case["expect"]}
    decoded = {UploadGrant.decode(grant) for grant in grants}
    assert decoded == {
        UploadGrant("uploader"),
        UploadGrant("ci"),
        UploadGrant("acme-ci", ("acme-*", "tools")),
    }


def test_a_public_index_without_a_store_takes_no_upload() -> None:
    case = CASES[0]
    assert case["name"] == "upload token: forwarded with its grant"
    outcome = route_viewer(viewer_request(case["request"]), EdgeSettings(), None, TABLE["now"])
    assert outcome_json(outcome)["status"] == 403


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "[]",
        '{"n":"ci","x":1}',
        '{"n":"-ci"}',
        '{"n":"ci","p":[]}',
        '{"n":"ci","p":["A"]}',
    ],
)
def test_malformed_grants_decode_to_nothing(value: str | None) -> None:
    assert UploadGrant.decode(value) is None


def test_the_upload_path_is_never_a_page_or_a_file() -> None:
    """A GET of /-/upload/ with a read token gets 405, not a page or S3 key."""
    reader = next(c for c in CASES if c["name"] == "under /simple/: not the upload path")
    headers = reader["request"]["headers"]
    outcome = route_viewer(
        Request("GET", "/-/upload/", headers), EdgeSettings("private"), FailingStore(), TABLE["now"]
    )
    assert outcome_json(outcome)["status"] == 405
