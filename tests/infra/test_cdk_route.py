"""route.js (the CloudFront Function) under Node, as deployed (`function_code`), against the shared
case tables: routing_cases.json for a public index, auth_cases.json for a private one."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cdk_support import REPO

from infra.cdn.function_code import MAX_CODE_BYTES, function_code

CDN_DIR = REPO / "infra" / "cdn"
ROUTING_FILE = CDN_DIR / "routing_cases.json"
AUTH_FILE = CDN_DIR / "auth_cases.json"
ROUTING: list[dict[str, Any]] = json.loads(ROUTING_FILE.read_text())["cases"]
AUTH: list[dict[str, Any]] = json.loads(AUTH_FILE.read_text(encoding="utf-8"))["cases"]
RUNNER = Path(__file__).with_name("run_cf_cases.js")
ACCESS_MODES = ("public", "private")


def run_cases(code: str, cases_file: Path, tmp_path: Path) -> dict[str, Any]:
    """{"results": {name: got}, "stats": {kvsHandles, gets, logged}} of the code under Node."""
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
    output = json.loads(result.stdout)
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


@pytest.mark.parametrize("access", ACCESS_MODES)
def test_the_deployed_function_fits_cloudfronts_limit(access: str) -> None:
    size = len(function_code({"access": access}).encode("utf-8"))
    margin = MAX_CODE_BYTES - size
    print(f"\nroute.js ({access}): {size} bytes, {margin} under CloudFront's {MAX_CODE_BYTES}")
    assert size <= MAX_CODE_BYTES


def test_the_settings_line_is_the_one_the_synth_replaces() -> None:
    code = function_code({"access": "private"})
    assert code.count('var CONFIG = {"access":"private"};') == 1
    assert 'var CONFIG = {"access":"public"};' in (CDN_DIR / "route.js").read_text()
