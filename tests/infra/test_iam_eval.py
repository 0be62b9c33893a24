"""The small IAM evaluator the policy tests rely on: wildcards, Deny over Allow, no silent skips."""

from __future__ import annotations

import pytest
from iam_eval import Request, allowed, denied, like, render

BUCKET = {"Fn::GetAtt": ["PackagesBucket", "Arn"]}


def objects(pattern: str) -> dict[str, object]:
    return {"Fn::Join": ["", [BUCKET, f"/{pattern}"]]}


def put(principal: str, key: str) -> Request:
    return Request(principal, "s3:PutObject", f"<PackagesBucket.Arn>/{key}")


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("*/index.html", "foo/index.html", True),
        ("*/index.html", "a/b/index.html", True),  # `*` crosses `/` in IAM
        ("*/index.html", "index.html", False),
        ("*/*.whl", "foo.whl", False),
        ("*/*.whl", "foo/foo.whl.metadata", False),
        ("repo:acme/lib:ref:refs/tags/v*", "repo:acme/lib:ref:refs/tags/v1", True),
        ("v?", "v10", False),
        ("a.b", "axb", False),  # no regex meaning
    ],
)
def test_like(pattern: str, text: str, expected: bool) -> None:
    assert like(pattern, text) is expected


def test_render() -> None:
    assert render(objects("*.whl")) == "<PackagesBucket.Arn>/*.whl"
    assert render({"Ref": "Policy"}) == "<Policy>"


def test_deny_wins_and_conditions_are_evaluated() -> None:
    allow = {"Effect": "Allow", "Action": "s3:*", "Resource": objects("*")}
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": ["s3:PutObject"],
        "Resource": [objects("*.metadata")],
        "Condition": {"StringNotLike": {"aws:PrincipalArn": ["<Indexer.Arn>"]}},
    }
    assert allowed([[allow]], put("me", "foo/x.whl.metadata"))
    assert not allowed([[allow], [deny]], put("me", "foo/x.whl.metadata"))
    assert denied([[deny]], put("me", "foo/x.whl.metadata"))
    assert allowed([[allow], [deny]], put("<Indexer.Arn>", "foo/x.whl.metadata"))
    assert allowed([[allow], [deny]], put("me", "foo/x.whl"))
    assert not allowed([[deny]], put("<Indexer.Arn>", "foo/x.whl.metadata"))  # no Allow


def test_a_resource_policy_allows_only_its_principal() -> None:
    grant = {
        "Effect": "Allow",
        "Principal": {"AWS": "<Role.Arn>"},
        "Action": "s3:PutObject",
        "Resource": objects("*"),
    }
    assert allowed([[grant]], put("<Role.Arn>", "x"))
    assert not allowed([[grant]], put("<Other.Arn>", "x"))


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        },
        {
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1"}},
        },
    ],
)
def test_what_it_does_not_understand_raises(statement: dict[str, object]) -> None:
    with pytest.raises((ValueError, KeyError)):
        denied([[statement]], put("me", "x"))
