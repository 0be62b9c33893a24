"""cdk-nag AwsSolutionsChecks: no unacknowledged findings; every acknowledgment has a reason."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdk_support import Synth

pytestmark = pytest.mark.cdk


def acknowledgments(synth: Synth) -> list[dict[str, Any]]:
    found = []
    for resource in synth.json["Resources"].values():
        found += resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    return found


def test_the_checks_neither_fail_nor_warn(each_env: Synth) -> None:
    """A violation fails the synth (the fixture stops the run); a warning only prints."""
    report = json.loads((each_env.outdir / "validation-report.json").read_text())
    assert report["pluginReports"] == []
    assert "AwsSolutions" not in each_env.output


def test_checks_ran_and_every_acknowledgment_has_a_reason(each_env: Synth) -> None:
    found = acknowledgments(each_env)
    ids = {a["id"] for a in found}
    # The dead-letter queue, the log bucket and the indexer's object wildcard are always there.
    assert {"AwsSolutions-SQS3", "AwsSolutions-S1"} <= ids
    assert "AwsSolutions-IAM5[Resource::<PackagesBucket.Arn>/*]" in ids
    for acknowledgment in found:
        assert len(acknowledgment["reason"]) >= 30, acknowledgment


def test_custom_certificate_needs_no_tls_acknowledgment(dev: Synth, variant: Synth) -> None:
    assert "AwsSolutions-CFR4" in {a["id"] for a in acknowledgments(dev)}
    assert "AwsSolutions-CFR4" not in {a["id"] for a in acknowledgments(variant)}


def test_the_checks_ran_on_the_variant_with_kms_and_a_domain(variant: Synth) -> None:
    """A violation fails the synth itself; that the rules ran on this variant is shown by the
    acknowledgments the checks read (and the domain's certificate needing none for TLS)."""
    ids = {a["id"] for a in acknowledgments(variant)}
    assert {"AwsSolutions-SQS3", "AwsSolutions-S1"} <= ids
    report = json.loads((variant.outdir / "validation-report.json").read_text())
    assert report["pluginReports"] == []
