"""The legacy upload endpoint (infra/upload.py, docs/publish.md): a Lambda function URL behind
CloudFront at /-/upload*, reached only through the CDN (the origin secret), only by what the
CloudFront Function lets through (a POST with an upload token: tests/infra/test_cdk_route.py),
with a role that puts and reads distributions and nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match
from cdk_support import REPO, Synth
from iam_eval import Request, allowed, as_list, object_arn
from sample_keys import DERIVED, DISTRIBUTIONS, INDEXER_WRITES, YANK

from infra.storage import BUCKET_LOGICAL_ID
from pyshelf.constants import UPLOAD_GRANT_HEADER, UPLOAD_SECRET_HEADER

pytestmark = pytest.mark.cdk

PATTERN = "/-/upload*"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CloudFront's managed policy


def distribution_config(synth: Synth) -> dict[str, Any]:
    _, props = synth.one("AWS::CloudFront::Distribution")
    config: dict[str, Any] = props["DistributionConfig"]
    return config


def upload_behavior(synth: Synth) -> dict[str, Any]:
    (behavior,) = [
        b for b in distribution_config(synth)["CacheBehaviors"] if b["PathPattern"] == PATTERN
    ]
    found: dict[str, Any] = behavior
    return found


def upload_origin(synth: Synth) -> dict[str, Any]:
    target = upload_behavior(synth)["TargetOriginId"]
    (origin,) = [o for o in distribution_config(synth)["Origins"] if o["Id"] == target]
    found: dict[str, Any] = origin
    return found


def function_id(synth: Synth) -> str:
    return synth.logical_id("AWS::Lambda::Function", "Upload/Function")


def secret_reference(synth: Synth) -> dict[str, Any]:
    """The dynamic reference to the origin secret, as CDK writes it."""
    secret_id = synth.logical_id("AWS::SecretsManager::Secret", "Upload/OriginSecret")
    return {
        "Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": secret_id}, ":SecretString:::}}"]]
    }


def test_the_endpoint_is_a_function_url_behind_the_cdn(each_env: Synth) -> None:
    template = each_env.template
    template.resource_count_is("AWS::Lambda::Url", 1)
    template.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {
            "DistributionConfig": Match.object_like(
                {
                    "CacheBehaviors": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "PathPattern": PATTERN,
                                    "AllowedMethods": Match.array_with(["POST"]),
                                    "Compress": False,
                                }
                            )
                        ]
                    )
                }
            )
        },
    )
    url_id, url = each_env.one("AWS::Lambda::Url")
    assert url["TargetFunctionArn"] == {"Fn::GetAtt": [function_id(each_env), "Arn"]}
    assert url["AuthType"] == "NONE"  # OAC cannot sign the clients' POSTs: see the secret
    origin = upload_origin(each_env)
    domain = json.dumps(origin["DomainName"])
    assert url_id in domain
    assert "FunctionUrl" in domain
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert "OriginAccessControlId" not in origin or not origin["OriginAccessControlId"]
    outputs = each_env.json["Outputs"]
    assert json.dumps(outputs["UploadUrl"]["Value"]).endswith('/-/upload/"]]}')


def test_only_the_upload_path_reaches_it_and_only_through_the_function(each_env: Synth) -> None:
    behavior = upload_behavior(each_env)
    route_id, _ = each_env.one("AWS::CloudFront::Function")
    # Every method reaches the CloudFront Function, which answers all but POST itself (405).
    assert behavior["FunctionAssociations"] == [
        {"EventType": "viewer-request", "FunctionARN": {"Fn::GetAtt": [route_id, "FunctionARN"]}}
    ]
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    assert behavior["CachePolicyId"] == CACHING_DISABLED
    origin_id = behavior["TargetOriginId"]
    others = [b for b in distribution_config(each_env)["CacheBehaviors"] if b is not behavior]
    others.append(distribution_config(each_env)["DefaultCacheBehavior"])
    for other in others:  # GET and HEAD only: CloudFront refuses a POST there itself
        assert other["TargetOriginId"] != origin_id
        assert other["AllowedMethods"] == ["GET", "HEAD"]


def test_only_the_form_type_and_the_edge_grant_are_forwarded(each_env: Synth) -> None:
    """Not Authorization (the token stays at the edge), not cookies or query strings."""
    policy_id = upload_behavior(each_env)["OriginRequestPolicyId"]["Ref"]
    config = each_env.props(policy_id)["OriginRequestPolicyConfig"]
    headers = config["HeadersConfig"]
    assert headers["HeaderBehavior"] == "whitelist"
    assert sorted(headers["Headers"]) == sorted(["content-type", UPLOAD_GRANT_HEADER])
    assert config["CookiesConfig"] == {"CookieBehavior": "none"}
    assert config["QueryStringsConfig"] == {"QueryStringBehavior": "none"}


def test_it_cannot_be_called_around_the_cdn(each_env: Synth) -> None:
    """CloudFront sends the origin secret; the function is told the same secret (and refuses
    any request without it: tests/publish/test_upload_handler.py). The template holds only a
    reference: Secrets Manager generates the value."""
    reference = secret_reference(each_env)
    assert upload_origin(each_env)["OriginCustomHeaders"] == [
        {"HeaderName": UPLOAD_SECRET_HEADER, "HeaderValue": reference}
    ]
    variables = each_env.props(function_id(each_env))["Environment"]["Variables"]
    assert variables["ORIGIN_SECRET"] == reference
    assert variables["PACKAGES_BUCKET"] == {"Ref": BUCKET_LOGICAL_ID}
    secret_id = each_env.logical_id("AWS::SecretsManager::Secret", "Upload/OriginSecret")
    generated = each_env.props(secret_id)["GenerateSecretString"]
    assert generated == {"ExcludePunctuation": True, "PasswordLength": 48}
    assert "SecretString" not in each_env.props(secret_id)


def test_it_is_invoked_through_its_url_only(each_env: Synth) -> None:
    """The public URL (guarded by the secret) is the only way in: InvokeFunction is granted
    only as part of a function URL call."""
    arn = {"Fn::GetAtt": [function_id(each_env), "Arn"]}
    permissions = [
        p
        for p in each_env.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == arn
    ]
    granted = sorted(
        (
            p["Properties"]["Action"],
            p["Properties"].get("FunctionUrlAuthType"),
            p["Properties"].get("InvokedViaFunctionUrl"),
        )
        for p in permissions
    )
    assert granted == [
        ("lambda:InvokeFunction", None, True),
        ("lambda:InvokeFunctionUrl", "NONE", None),
    ]


def role_statements(synth: Synth) -> list[dict[str, Any]]:
    role = synth.logical_id("AWS::IAM::Role", "Upload/Role")
    statements: list[dict[str, Any]] = []
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    assert not [
        p
        for p in synth.resources("AWS::IAM::ManagedPolicy").values()
        if {"Ref": role} in p["Properties"].get("Roles", [])
    ]
    assert "ManagedPolicyArns" not in synth.props(role)
    return statements


def upload_may(synth: Synth, action: str, key: str | None) -> bool:
    resource = f"<{BUCKET_LOGICAL_ID}.Arn>" if key is None else object_arn(BUCKET_LOGICAL_ID, key)
    policies = [role_statements(synth), synth.bucket_policy(BUCKET_LOGICAL_ID)]
    return allowed(policies, Request("<UploadRole.Arn>", action, resource))


def test_its_role_puts_and_reads_distributions_and_nothing_else(each_env: Synth) -> None:
    for key in DISTRIBUTIONS:
        assert upload_may(each_env, "s3:PutObject", key), key
        assert upload_may(each_env, "s3:GetObject", key), key  # HEAD, and hashing a file
        assert not upload_may(each_env, "s3:DeleteObject", key), key
    for key in (YANK, *DERIVED, "foo-1.0.tar.gz", "foo/notes.txt"):
        assert not upload_may(each_env, "s3:PutObject", key), key
    for key in (YANK, *INDEXER_WRITES, "foo/notes.txt"):  # pages, .metadata, the facts cache
        assert not upload_may(each_env, "s3:GetObject", key), key
    assert not upload_may(each_env, "s3:ListBucket", None)
    actions = {a for s in role_statements(each_env) for a in as_list(s["Action"])}
    assert {a for a in actions if not a.startswith("logs:")} == {"s3:PutObject", "s3:GetObject"}
    assert all(statement["Effect"] == "Allow" for statement in role_statements(each_env))


def test_with_kms_its_role_may_use_the_bucket_key(variant: Synth) -> None:
    actions = {a for s in role_statements(variant) for a in as_list(s["Action"])}
    kms = {a for a in actions if a.startswith("kms:")}
    assert kms == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert {a for a in actions if not a.startswith(("logs:", "kms:"))} == {
        "s3:PutObject",
        "s3:GetObject",
    }


def upload_bundle(synth: Synth) -> Path:
    key: str = synth.props(function_id(synth))["Code"]["S3Key"]
    return synth.outdir / f"asset.{key.removesuffix('.zip')}"


BUNDLE_SMOKE = """
import base64, hashlib, json, sys
bundle = sys.argv[1]
sys.path.insert(0, bundle)
import boto3
from moto import mock_aws
from urllib3 import encode_multipart_formdata
import handler, pyshelf, packaging
for module in (handler, pyshelf, packaging):
    assert module.__file__.startswith(bundle), module.__file__
sys.path.insert(0, sys.argv[2])
from distbuild import wheel
data = wheel("foo", "1.0")
body, content_type = encode_multipart_formdata([
    (":action", "file_upload"), ("name", "foo"), ("version", "1.0"),
    ("sha256_digest", hashlib.sha256(data).hexdigest()),
    ("content", ("foo-1.0-py3-none-any.whl", data))])
event = {"rawPath": "/-/upload/", "requestContext": {"http": {"method": "POST"}},
         "headers": {"content-type": content_type, "x-pyshelf-origin-secret": "s",
                     "x-pyshelf-upload": '{"n":"ci"}'},
         "body": base64.b64encode(body).decode(), "isBase64Encoded": True}
with mock_aws():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="pkgs")
    print(json.dumps(handler.handler(event, None)))
    head = s3.head_object(Bucket="pkgs", Key="foo/foo-1.0-py3-none-any.whl")
    print(head["Metadata"]["sha256"] == hashlib.sha256(data).hexdigest())
"""


def test_the_bundle_holds_packaging_only_and_runs_on_its_own(dev: Synth) -> None:
    bundle = upload_bundle(dev)
    assert (bundle / "handler.py").read_bytes() == (REPO / "lambdas/upload/handler.py").read_bytes()
    assert (bundle / "packaging" / "__init__.py").is_file()
    for absent in ("jinja2", "markupsafe", "awscrt", "boto3", "pyshelf/indexer", "pyshelf/cli"):
        assert not (bundle / absent).exists(), absent
    result = subprocess.run(
        [sys.executable, "-c", BUNDLE_SMOKE, str(bundle), str(REPO / "tests")],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "PACKAGES_BUCKET": "pkgs",
            "ORIGIN_SECRET": "s",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer, stored = result.stdout.splitlines()[:2]
    assert json.loads(answer)["statusCode"] == 200, answer
    assert stored == "True"
