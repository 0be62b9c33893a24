"""checkov on the synthesized templates (dev, prod and the variant): every finding is fixed or
skipped on its resource with a written reason (`infra.nag.skip_checkov`).

checkov lives in its own virtual environment (`make .venv-checkov/.installed`, pinned in
tests/infra/checkov-requirements.txt) and runs once per session over all three templates, offline
(`--skip-download`: no policy metadata is fetched)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cdk_support import REPO, Synth

from infra.nag import MIN_REASON_LENGTH

pytestmark = pytest.mark.cdk

CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
# Far fewer passed checks than this on a template would mean checkov barely read it.
MIN_PASSED_PER_TEMPLATE = 50


@dataclass(frozen=True)
class Report:
    templates: dict[str, Path]
    passed: list[dict[str, Any]]
    failed: list[dict[str, Any]]
    skipped: list[dict[str, Any]]
    parsing_errors: list[str]


def template_path(synth: Synth) -> Path:
    return synth.outdir / f"{synth.stack_name}.template.json"


@pytest.fixture(scope="session")
def checkov(synths: dict[str, Synth], variant: Synth) -> Report:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV} is missing: run `make .venv-checkov/.installed` first")
    templates = {env: template_path(synth) for env, synth in {**synths, "variant": variant}.items()}
    command = [
        str(CHECKOV),
        "--framework",
        "cloudformation",
        "--output",
        "json",
        "--skip-download",
        "--soft-fail",
        "--file",
        *map(str, templates.values()),
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if run.returncode != 0 or not run.stdout.strip():
        pytest.fail(f"checkov failed ({run.returncode}):\n{run.stderr[-3000:]}")
    data = json.loads(run.stdout)
    # One report per framework: a dict for one, a list for several.
    (report,) = data if isinstance(data, list) else [data]
    results = report["results"]
    return Report(
        templates,
        results["passed_checks"],
        results["failed_checks"],
        results["skipped_checks"],
        results["parsing_errors"],
    )


def describe(finding: dict[str, Any]) -> str:
    return (
        f"{finding['check_id']} {finding['resource']} in {Path(finding['file_abs_path']).name}: "
        f"{finding['check_name']}"
    )


def test_no_finding_is_left_unskipped(checkov: Report) -> None:
    if checkov.failed:
        findings = "\n".join(sorted(describe(f) for f in checkov.failed))
        pytest.fail(
            f"{len(checkov.failed)} checkov finding(s): fix them, or skip them on the resource "
            f"with infra.nag.skip_checkov and a reason:\n{findings}"
        )
    assert checkov.parsing_errors == []


def test_checkov_read_every_template(checkov: Report) -> None:
    for env, path in checkov.templates.items():
        passed = [c for c in checkov.passed if Path(c["file_abs_path"]) == path]
        assert len(passed) >= MIN_PASSED_PER_TEMPLATE, f"{env}: {len(passed)} checks passed"


def test_every_skip_has_a_reason(checkov: Report) -> None:
    assert checkov.skipped, "the stack skips known findings, so some checks must be skipped"
    for check in checkov.skipped:
        comment = check["check_result"].get("suppress_comment", "")
        assert len(comment) >= MIN_REASON_LENGTH, describe(check)


def skips_in_metadata(synth: Synth) -> set[tuple[str, str]]:
    """(check id, resource as checkov names it) of every skip written into the template."""
    return {
        (skip["id"], f"{resource['Type']}.{logical_id}")
        for logical_id, resource in synth.json["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }


def test_every_skip_names_a_check_of_its_resource(
    checkov: Report, synths: dict[str, Synth], variant: Synth
) -> None:
    """A skip with a misspelt id, or on a resource the check does not apply to, skips nothing;
    checkov reports each real skip as a skipped result."""
    for env, synth in {**synths, "variant": variant}.items():
        path = checkov.templates[env]
        skipped = {
            (c["check_id"], c["resource"])
            for c in checkov.skipped
            if Path(c["file_abs_path"]) == path
        }
        written = skips_in_metadata(synth)
        assert written, env
        assert written <= skipped, f"{env}: {sorted(written - skipped)}"
