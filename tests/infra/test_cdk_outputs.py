"""Stack name and outputs: what the CLI discovers from CloudFormation."""

from __future__ import annotations

import pytest
from cdk_support import Synth

from infra.stack import OUTPUT_KEYS

pytestmark = pytest.mark.cdk


def test_stack_is_named_after_the_environment(synths: dict[str, Synth]) -> None:
    for env, synth in synths.items():
        assert (synth.outdir / f"pyshelf-{env}.template.json").is_file()
        assert synth.json["Description"] == f"pyshelf package index ({env})"


def test_exactly_the_output_keys_the_cli_reads(each_env: Synth) -> None:
    assert OUTPUT_KEYS == (
        "BucketName",
        "DistributionDomainName",
        "IndexUrl",
        "QueueUrl",
        "FunctionName",
        "KeyValueStoreArn",
        "PublisherPolicyArn",
        "TokenAdminPolicyArn",
    )
    assert sorted(each_env.json["Outputs"]) == sorted(OUTPUT_KEYS)


def test_output_values(each_env: Synth) -> None:
    outputs = {key: value["Value"] for key, value in each_env.json["Outputs"].items()}
    distribution_id, _ = each_env.one("AWS::CloudFront::Distribution")
    domain = {"Fn::GetAtt": [distribution_id, "DomainName"]}
    assert outputs["BucketName"] == {"Ref": "PackagesBucket"}
    assert outputs["DistributionDomainName"] == domain
    assert outputs["IndexUrl"] == {"Fn::Join": ["", ["https://", domain, "/"]]}
    queue = each_env.logical_id("AWS::SQS::Queue", "Indexer/Events")
    assert outputs["QueueUrl"] == {"Ref": queue}
    function = each_env.logical_id("AWS::Lambda::Function", "Indexer/Function")
    assert outputs["FunctionName"] == {"Ref": function}
