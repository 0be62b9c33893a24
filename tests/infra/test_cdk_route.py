"""route.js (the CloudFront Function) under Node against the shared routing case table."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cdk_support import REPO

from infra.cdn import ROUTE_JS

CASES_FILE = REPO / "infra" / "cdn" / "routing_cases.json"
CASES: list[dict[str, Any]] = json.loads(CASES_FILE.read_text())["cases"]
RUNNER = Path(__file__).with_name("run_cf_cases.js")


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is required to run the CloudFront Function")
    result = subprocess.run(
        [node, str(RUNNER), str(ROUTE_JS), str(CASES_FILE)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return {item["name"]: item["got"] for item in json.loads(result.stdout)}


def test_case_names_are_unique() -> None:
    assert len({case["name"] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_case(case: dict[str, Any], outcomes: dict[str, Any]) -> None:
    assert outcomes[case["name"]] == case["expect"]
