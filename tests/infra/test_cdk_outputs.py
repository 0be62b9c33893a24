"""Stack name and outputs: what the CLI discovers from CloudFormation."""

from __future__ import annotations

import pytest
from cdk_support import Synth

from pyshelf.cli.run.connection import BUCKET_OUTPUT, INDEX_URL_OUTPUT
from pyshelf.cli.token import KVS_ARN_OUTPUT

pytestmark = pytest.mark.cdk


def test_stack_is_named_after_the_environment(synths: dict[str, Synth]) -> None:
    for env, synth in synths.items():
        assert synth.json["Description"] == f"pyshelf package index ({env})"


def test_the_outputs_the_cli_reads_are_there(each_env: Synth) -> None:
    """`--stack` reads these outputs (the bucket and index URL for every command, the token
    store for `pyshelf token`): renaming one on either side fails here."""
    read_by_the_cli = {BUCKET_OUTPUT, INDEX_URL_OUTPUT, KVS_ARN_OUTPUT}
    assert read_by_the_cli <= set(each_env.json["Outputs"])


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
    topic, _ = each_env.one("AWS::SNS::Topic")
    assert outputs["AlarmTopicArn"] == {"Ref": topic}
    log_group = each_env.logical_id("AWS::Logs::LogGroup", "Indexer/Logs")
    assert outputs["IndexerLogGroupName"] == {"Ref": log_group}
