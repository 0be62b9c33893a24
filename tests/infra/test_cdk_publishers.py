"""Who may publish: the publisher policy (evaluated together with the bucket policy), GitHub
Actions roles limited to their repository and ref, and the token admins' policy."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from cdk_support import VARIANT_GITHUB_PUBLISHERS, Synth
from iam_eval import Request, allowed, as_list, like, object_arn
from sample_keys import DERIVED, DISTRIBUTIONS, INDEXER_WRITES, PUBLISHED, SOMEONE, YANK

from infra.config import parse_environment
from infra.github import GithubPublishers
from infra.stack import GITHUB_PROVIDER_OUTPUT
from infra.storage import BUCKET_LOGICAL_ID
from infra.token_admins import STORE_ACTIONS

pytestmark = pytest.mark.cdk

BUCKET = f"<{BUCKET_LOGICAL_ID}.Arn>"
IMPORTED_PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def publisher_policy(synth: Synth) -> list[dict[str, Any]]:
    return synth.policy_statements(synth.logical_id("AWS::IAM::ManagedPolicy", "Publishers/"))


def publisher_may(synth: Synth, action: str, key: str | None) -> bool:
    """What a principal holding only the publisher policy may do, bucket policy included."""
    resource = BUCKET if key is None else object_arn(BUCKET_LOGICAL_ID, key)
    policies = [publisher_policy(synth), synth.bucket_policy(BUCKET_LOGICAL_ID)]
    return allowed(policies, Request(SOMEONE, action, resource))


def test_publishers_put_distributions_and_yank_records(each_env: Synth) -> None:
    for key in PUBLISHED:
        assert publisher_may(each_env, "s3:PutObject", key), key
        assert publisher_may(each_env, "s3:AbortMultipartUpload", key), key
    assert publisher_may(each_env, "s3:DeleteObject", YANK)  # unyank, re-yank


def test_publishers_read_what_upload_yank_and_list_read(each_env: Synth) -> None:
    assert publisher_may(each_env, "s3:ListBucket", None)
    for key in (*PUBLISHED, *DERIVED):
        assert publisher_may(each_env, "s3:GetObject", key), key


def test_publishers_never_write_derived_keys(each_env: Synth, variant: Synth) -> None:
    for synth in (each_env, variant):
        for key in DERIVED:
            for action in ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"):
                assert not publisher_may(synth, action, key), (action, key)


def test_the_publisher_policy_alone_allows_no_page_or_metadata(each_env: Synth) -> None:
    """Even without the bucket policy (an Allow on *.whl matches no page, .metadata, cache)."""
    statements = publisher_policy(each_env)
    for key in INDEXER_WRITES:
        request = Request(SOMEONE, "s3:PutObject", object_arn(BUCKET_LOGICAL_ID, key))
        assert not allowed([statements], request), key


def test_publishers_put_only_into_project_folders(each_env: Synth) -> None:
    for key in ("foo-1.0.tar.gz", "foo/notes.txt", "foo/foo-1.0.exe"):
        assert not publisher_may(each_env, "s3:PutObject", key), key


@pytest.mark.parametrize(("env", "can_delete"), [("dev", True), ("prod", False)])
def test_publishers_delete_distributions_only_where_allowed(
    synths: dict[str, Synth], env: str, can_delete: bool
) -> None:
    synth = synths[env]
    for key in DISTRIBUTIONS:
        assert publisher_may(synth, "s3:DeleteObject", key) is can_delete, key
    assert publisher_may(synth, "s3:GetBucketVersioning", None) is can_delete
    assert not publisher_may(synth, "s3:DeleteObjectVersion", "foo/foo-1.0.tar.gz")


def test_publishers_never_touch_the_token_store(each_env: Synth, variant: Synth) -> None:
    for synth in (each_env, variant):
        actions = {a for s in publisher_policy(synth) for a in as_list(s["Action"])}
        assert {a.split(":")[0] for a in actions} <= {"s3", "cloudformation", "kms"}
        assert not [a for a in actions if "*" in a]


def test_token_admins_edit_this_store_only(each_env: Synth) -> None:
    store_id, _ = each_env.one("AWS::CloudFront::KeyValueStore")
    policy_id = each_env.logical_id("AWS::IAM::ManagedPolicy", "TokenAdmins/")
    granted = {
        (action, str(resource))
        for statement in each_env.policy_statements(policy_id)
        for action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    store = str({"Fn::GetAtt": [store_id, "Arn"]})
    assert granted == {
        *((action, store) for action in STORE_ACTIONS),
        ("cloudfront:DescribeKeyValueStore", store),
        ("cloudformation:DescribeStacks", str({"Ref": "AWS::StackId"})),
    }
    assert {"PutKey", "UpdateKeys", "DeleteKey", "ListKeys"} <= {
        action.split(":")[1] for action in STORE_ACTIONS
    }
    outputs = each_env.json["Outputs"]
    assert outputs["TokenAdminPolicyArn"]["Value"] == {"Ref": policy_id}
    publisher = each_env.logical_id("AWS::IAM::ManagedPolicy", "Publishers/")
    assert outputs["PublisherPolicyArn"]["Value"] == {"Ref": publisher}


def test_dev_and_prod_have_no_github_roles(each_env: Synth) -> None:
    assert not each_env.resources("AWS::IAM::OIDCProvider")
    assert not [o for o in each_env.json["Outputs"] if o.startswith("Github")]


def github_role(synth: Synth, number: int) -> tuple[str, dict[str, Any]]:
    logical_id = synth.logical_id("AWS::IAM::Role", f"Github/Publisher{number}/")
    return logical_id, synth.props(logical_id)


def trusted_subject(role: dict[str, Any], provider: Any) -> str:
    """The `sub` pattern of the role's only trust statement, after checking the rest of it."""
    (statement,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": provider}
    condition = statement["Condition"]
    assert set(condition) == {"StringEquals", "StringLike"}
    assert condition["StringEquals"] == {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com"
    }
    (key,) = condition["StringLike"]
    assert key == "token.actions.githubusercontent.com:sub"
    subject: str = condition["StringLike"][key]
    return subject


def test_github_roles_trust_only_their_repository_and_ref(variant: Synth) -> None:
    provider_id, _ = variant.one("AWS::IAM::OIDCProvider")
    subjects = [
        trusted_subject(github_role(variant, number)[1], {"Ref": provider_id}) for number in (1, 2)
    ]
    assert subjects == [f"repo:{p['repository']}:ref:{p['ref']}" for p in VARIANT_GITHUB_PUBLISHERS]
    tags = subjects[0]
    assert like(tags, "repo:acme/lib:ref:refs/tags/v1.2.0")
    for other in (
        "repo:acme/lib:ref:refs/heads/main",
        "repo:acme/lib:pull_request",
        "repo:acme/lib:environment:release",
        "repo:acme/lib-fork:ref:refs/tags/v1.2.0",
        "repo:evil/lib:ref:refs/tags/v1.2.0",
    ):
        assert not like(tags, other), other
    assert not like(subjects[1], "repo:acme/tools:ref:refs/heads/main-old")


def test_github_roles_carry_the_publisher_policy_only(variant: Synth) -> None:
    publisher = variant.logical_id("AWS::IAM::ManagedPolicy", "Publishers/")
    inline = [
        p
        for p in variant.resources("AWS::IAM::Policy").values()
        for r in p["Properties"].get("Roles", [])
        if "Github" in str(r)
    ]
    assert not inline
    for number in (1, 2):
        role_id, role = github_role(variant, number)
        assert role["ManagedPolicyArns"] == [{"Ref": publisher}]
        assert role["MaxSessionDuration"] == 3600
        output = variant.json["Outputs"][f"GithubPublisherRole{number}Arn"]
        assert output["Value"] == {"Fn::GetAtt": [role_id, "Arn"]}


def test_created_github_provider_outlives_the_stack(variant: Synth) -> None:
    provider_id, provider = variant.one("AWS::IAM::OIDCProvider")
    assert provider["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["ClientIdList"] == ["sts.amazonaws.com"]
    assert variant.json["Resources"][provider_id]["DeletionPolicy"] == "Retain"
    assert variant.json["Outputs"][GITHUB_PROVIDER_OUTPUT]["Value"] == {"Ref": provider_id}


def test_an_existing_github_provider_is_imported_not_created() -> None:
    config = parse_environment(
        "ci",
        {
            "githubPublishers": [dict(p) for p in VARIANT_GITHUB_PUBLISHERS[:1]],
            "githubOidcProviderArn": IMPORTED_PROVIDER,
        },
    )
    stack = Stack(App(), "Small")
    policy = iam.ManagedPolicy(
        stack, "Policy", statements=[iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"])]
    )
    GithubPublishers(
        stack,
        "Github",
        publishers=config.github_publishers,
        provider_arn=config.github_oidc_provider_arn,
        policy=policy,
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::OIDCProvider", 0)
    (role,) = template.find_resources("AWS::IAM::Role").values()
    subject = trusted_subject(role["Properties"], IMPORTED_PROVIDER)
    assert subject == "repo:acme/lib:ref:refs/tags/v*"
