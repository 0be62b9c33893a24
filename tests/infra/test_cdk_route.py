"""route.js (the CloudFront Function) under Node, as deployed (`function_code`), against the shared
case tables: routing_cases.json for a public index, auth_cases.json for a private one,
fallthrough_cases.json for both with an upstream and reserved globs, and upload_cases.json
(the upload path) for both."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cdk_support import REPO, VARIANT_RESERVED, VARIANT_UPSTREAM

from infra.cdn.function_code import MAX_CODE_BYTES, function_code
from pyshelf.core.edge_auth import EdgeSettings

CDN_DIR = REPO / "infra" / "cdn"
ROUTING_FILE = CDN_DIR / "routing_cases.json"
AUTH_FILE = CDN_DIR / "auth_cases.json"
FALLTHROUGH_FILE = CDN_DIR / "fallthrough_cases.json"
UPLOAD_FILE = CDN_DIR / "upload_cases.json"
ROUTING: list[dict[str, Any]] = json.loads(ROUTING_FILE.read_text())["cases"]
AUTH: list[dict[str, Any]] = json.loads(AUTH_FILE.read_text(encoding="utf-8"))["cases"]
FALLTHROUGH: dict[str, Any] = json.loads(FALLTHROUGH_FILE.read_text(encoding="utf-8"))
UPLOAD: list[dict[str, Any]] = json.loads(UPLOAD_FILE.read_text(encoding="utf-8"))["cases"]
# The largest settings the size test builds: an upstream and several reserved globs.
BIG_SETTINGS = {
    "upstream": "https://pypi-mirror.internal.example.com:8443/repository/pypi-proxy/simple/",
    "reserved": [f"team{n:02d}-*" for n in range(12)] + ["acme-*", "internal-?", "corp-*-lib"],
}
# The settings of the test-only variant environment the infra tests synthesize.
VARIANT_SETTINGS = {"upstream": VARIANT_UPSTREAM, "reserved": list(VARIANT_RESERVED)}
RUNNER = Path(__file__).with_name("run_cf_cases.js")
ACCESS_MODES = ("public", "private")


def run_cases(code: str, cases_file: Path, tmp_path: Path) -> dict[str, Any]:
    """{"results": {name: got}, "projects": {name: [project: keys read]}, "stats": {kvsHandles,
    gets, exists, logged}} of the code under Node."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required to run the CloudFront Function")
    function = tmp_path / "function.js"
    function.write_text(code, encoding="utf-8")
    result = subprocess.run(
        [node, str(RUNNER), str(function), str(cases_file)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    output: dict[str, Any] = json.loads(result.stdout)
    output["projects"] = {item["name"]: item["projects"] for item in output["results"]}
    output["results"] = {item["name"]: item["got"] for item in output["results"]}
    return output


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    code = function_code({"access": "public"})
    return run_cases(code, ROUTING_FILE, tmp_path_factory.mktemp("public"))


@pytest.fixture(scope="module")
def private(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    code = function_code({"access": "private"})
    return run_cases(code, AUTH_FILE, tmp_path_factory.mktemp("private"))


@pytest.fixture(scope="module")
def fallthrough(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The fall-through table's cases of each access mode, run by the function built for it."""
    runs = {}
    for access in ACCESS_MODES:
        tmp_path = tmp_path_factory.mktemp(f"fallthrough-{access}")
        cases = [case for case in FALLTHROUGH["cases"] if case["access"] == access]
        table = tmp_path / "cases.json"
        table.write_text(json.dumps({**FALLTHROUGH, "cases": cases}), encoding="utf-8")
        code = function_code({"access": access, **FALLTHROUGH["settings"]})
        runs[access] = run_cases(code, table, tmp_path)
    return runs


@pytest.fixture(scope="module")
def uploads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The upload table run by the public and by the private function."""
    return {
        access: run_cases(
            function_code({"access": access}), UPLOAD_FILE, tmp_path_factory.mktemp(access)
        )
        for access in ACCESS_MODES
    }


def test_case_names_are_unique() -> None:
    assert len({case["name"] for case in ROUTING}) == len(ROUTING)


@pytest.mark.parametrize("case", ROUTING, ids=[case["name"] for case in ROUTING])
def test_public_case(case: dict[str, Any], public: dict[str, Any]) -> None:
    assert public["results"][case["name"]] == case["expect"]


def test_a_public_index_never_opens_the_store(public: dict[str, Any]) -> None:
    """Without a store associated, cf.kvs() throws: a public function must not call it."""
    assert public["stats"]["kvsHandles"] == 0


@pytest.mark.parametrize("case", AUTH, ids=[case["name"] for case in AUTH])
def test_private_case(case: dict[str, Any], private: dict[str, Any]) -> None:
    assert private["results"][case["name"]] == case["expect"]


def test_the_function_never_logs(public: dict[str, Any], private: dict[str, Any]) -> None:
    assert public["stats"]["logged"] == private["stats"]["logged"] == 0
    assert private["stats"]["gets"] > 0  # the private table did reach the store


def test_without_an_upstream_no_project_is_looked_up(private: dict[str, Any]) -> None:
    assert private["stats"]["exists"] == 0
    assert not any(private["projects"].values())


@pytest.mark.parametrize(
    "case", FALLTHROUGH["cases"], ids=[case["name"] for case in FALLTHROUGH["cases"]]
)
def test_fallthrough_case(case: dict[str, Any], fallthrough: dict[str, dict[str, Any]]) -> None:
    run = fallthrough[case["access"]]
    assert run["results"][case["name"]] == case["expect"]
    assert run["projects"][case["name"]] == case["projects"]


def test_fallthrough_never_logs_and_reads_the_store(
    fallthrough: dict[str, dict[str, Any]],
) -> None:
    for run in fallthrough.values():
        assert run["stats"]["logged"] == 0
        assert run["stats"]["exists"] > 0


@pytest.mark.parametrize("access", ACCESS_MODES)
@pytest.mark.parametrize("case", UPLOAD, ids=[case["name"] for case in UPLOAD])
def test_upload_case(case: dict[str, Any], access: str, uploads: dict[str, Any]) -> None:
    assert uploads[access]["results"][case["name"]] == case["expect"]


def test_uploads_never_log_and_read_the_store(uploads: dict[str, dict[str, Any]]) -> None:
    for run in uploads.values():
        assert run["stats"]["logged"] == 0
        assert run["stats"]["gets"] > 0


@pytest.mark.parametrize("access", ACCESS_MODES)
@pytest.mark.parametrize(
    "extra",
    [{}, VARIANT_SETTINGS, BIG_SETTINGS],
    ids=["plain", "variant", "upstream+reserved"],
)
def test_the_deployed_function_fits_cloudfronts_limit(access: str, extra: dict[str, Any]) -> None:
    settings = EdgeSettings.from_mapping({"access": access, **extra}).to_mapping()
    size = len(function_code(settings).encode("utf-8"))
    margin = MAX_CODE_BYTES - size
    label = f"{access}, {len(extra.get('reserved', []))} reserved globs" if extra else access
    print(f"\nroute.js ({label}): {size} bytes, {margin} under CloudFront's {MAX_CODE_BYTES}")
    assert size <= MAX_CODE_BYTES


def test_the_settings_line_is_the_one_the_synth_replaces() -> None:
    code = function_code({"access": "private"})
    assert code.count('var CONFIG = {"access":"private"};') == 1
    assert 'var CONFIG = {"access":"public"};' in (CDN_DIR / "route.js").read_text()
