"""The package bucket: private, TLS only, encrypted, versioned, retained in production."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match
from cdk_support import Synth

from infra.storage import BUCKET_LOGICAL_ID, LOGS_BUCKET_LOGICAL_ID

pytestmark = pytest.mark.cdk


def bucket(synth: Synth) -> dict[str, Any]:
    resource: dict[str, Any] = synth.json["Resources"][BUCKET_LOGICAL_ID]
    return resource


def test_bucket_logical_id_is_pinned(each_env: Synth) -> None:
    """Renaming constructs must never replace the bucket that holds every package."""
    assert bucket(each_env)["Type"] == "AWS::S3::Bucket"
    assert "Storage/Bucket" in bucket(each_env)["Metadata"]["aws:cdk:path"]
    assert each_env.json["Outputs"]["BucketName"]["Value"] == {"Ref": "PackagesBucket"}


def test_all_public_access_blocked(each_env: Synth) -> None:
    assert bucket(each_env)["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }


def test_tls_is_enforced_by_policy(each_env: Synth) -> None:
    each_env.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": BUCKET_LOGICAL_ID},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


def test_s3_managed_encryption_by_default(each_env: Synth) -> None:
    rules = bucket(each_env)["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules[0]["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    # The only key is the alarm topic's (test_cdk_monitoring.py).
    keys = each_env.resources("AWS::KMS::Key").values()
    assert [k["Metadata"]["aws:cdk:path"] for k in keys] == [
        f"{each_env.stack_name}/Monitoring/TopicKey/Resource"
    ]


def test_kms_encryption_when_configured(variant: Synth) -> None:
    key_id = variant.logical_id("AWS::KMS::Key", "Storage/Key")
    key = variant.props(key_id)
    assert key["EnableKeyRotation"] is True
    rules = bucket(variant)["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules[0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
    }
    assert rules[0]["BucketKeyEnabled"] is True


def test_versioning_and_ownership(each_env: Synth) -> None:
    props = bucket(each_env)["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


@pytest.mark.parametrize(("env", "days"), [("dev", 7), ("prod", 365)])
def test_noncurrent_versions_expire_after_configured_days(
    synths: dict[str, Synth], env: str, days: int
) -> None:
    rules = bucket(synths[env])["Properties"]["LifecycleConfiguration"]["Rules"]
    assert [rule["NoncurrentVersionExpiration"] for rule in rules] == [{"NoncurrentDays": days}]
    assert rules[0]["Status"] == "Enabled"


def test_production_retains_its_buckets_and_objects(prod: Synth) -> None:
    for logical_id in (BUCKET_LOGICAL_ID, LOGS_BUCKET_LOGICAL_ID):
        resource = prod.json["Resources"][logical_id]
        assert resource["DeletionPolicy"] == "Retain"
        assert resource["UpdateReplacePolicy"] == "Retain"
    assert not prod.resources("Custom::S3AutoDeleteObjects")


def test_dev_is_destroyed_with_its_objects_as_configured(dev: Synth) -> None:
    assert bucket(dev)["DeletionPolicy"] == "Delete"
    auto_delete = dev.resources("Custom::S3AutoDeleteObjects")
    emptied = {r["Properties"]["BucketName"]["Ref"] for r in auto_delete.values()}
    assert emptied == {BUCKET_LOGICAL_ID, LOGS_BUCKET_LOGICAL_ID}


def test_server_access_logs_go_to_the_private_log_bucket(each_env: Synth) -> None:
    props = bucket(each_env)["Properties"]
    assert props["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": LOGS_BUCKET_LOGICAL_ID},
        "LogFilePrefix": "s3/",
    }
    logs = each_env.json["Resources"][LOGS_BUCKET_LOGICAL_ID]["Properties"]
    assert logs["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    assert logs["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 365
