"""Private index, stack side: the token store beside the function, the function's settings
(access, fall-through), and the derived keys that only the indexer may write (the bucket policy,
evaluated with iam_eval)."""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk.assertions import Match
from cdk_support import VARIANT_RESERVED, VARIANT_UPSTREAM, Synth
from iam_eval import Request, denied, object_arn, render
from sample_keys import DERIVED, INDEXER_WRITES, PUBLISHED, SOMEONE

from infra.cdn.function_code import MAX_CODE_BYTES, function_code
from infra.storage import BUCKET_LOGICAL_ID, DERIVED_WRITE_ACTIONS
from pyshelf.core import layout
from pyshelf.core.edge_auth import EdgeSettings

PYPI = "https://pypi.org/simple/"

pytestmark = pytest.mark.cdk


def role(synth: Synth, path_part: str) -> str:
    return render({"Fn::GetAtt": [synth.logical_id("AWS::IAM::Role", path_part), "Arn"]})


def writes(principal: str, keys: tuple[str, ...]) -> list[Request]:
    return [
        Request(principal, action, object_arn(BUCKET_LOGICAL_ID, key))
        for key in keys
        for action in DERIVED_WRITE_ACTIONS
    ]


def test_the_sample_keys_are_what_the_core_says() -> None:
    derived_kinds = {"page", "metadata", "facts-cache"}
    assert {layout.classify(key).kind for key in INDEXER_WRITES} == derived_kinds
    assert {layout.classify(key).kind for key in PUBLISHED} == {"distribution", "yank"}


def test_function_code_carries_the_access_setting(synths: dict[str, Synth], variant: Synth) -> None:
    for synth, access in ((synths["dev"], "private"), (synths["prod"], "private")):
        _, props = synth.one("AWS::CloudFront::Function")
        assert props["FunctionCode"] == function_code({"access": access})
    _, props = variant.one("AWS::CloudFront::Function")
    assert props["FunctionCode"] == function_code(
        {"access": "public", "upstream": VARIANT_UPSTREAM, "reserved": list(VARIANT_RESERVED)}
    )


def deployed_settings(synth: Synth) -> EdgeSettings:
    """The settings the synthesized function runs with, read back as the edge's twin reads them."""
    _, props = synth.one("AWS::CloudFront::Function")
    (line,) = re.findall(r"^var CONFIG = (\{.*\});$", props["FunctionCode"], re.MULTILINE)
    return EdgeSettings.from_mapping(json.loads(line))


def test_the_variants_function_falls_through_except_for_reserved_names(variant: Synth) -> None:
    assert (VARIANT_UPSTREAM, VARIANT_RESERVED) == (PYPI, ("acme-*", "internal-?-lib"))
    config = (
        'var CONFIG = {"access":"public","reserved":["acme-*","internal-?-lib"],'
        '"upstream":"https://pypi.org/simple/"};'
    )
    variant.template.has_resource_properties(
        "AWS::CloudFront::Function",
        {"FunctionCode": Match.string_like_regexp(f"(^|\\n){re.escape(config)}\\n")},
    )
    assert deployed_settings(variant) == EdgeSettings("public", VARIANT_UPSTREAM, VARIANT_RESERVED)


def test_dev_and_prod_do_not_fall_through(each_env: Synth) -> None:
    assert deployed_settings(each_env) == EdgeSettings("private")


def test_the_variants_deployed_function_fits_cloudfronts_limit(variant: Synth) -> None:
    _, props = variant.one("AWS::CloudFront::Function")
    size = len(props["FunctionCode"].encode("utf-8"))
    print(f"\nroute.js as deployed (variant): {size} bytes, {MAX_CODE_BYTES - size} to spare")
    assert size <= MAX_CODE_BYTES


@pytest.mark.parametrize("env", ["dev", "prod", "variant"])
def test_the_token_store_is_associated_with_the_function(
    synths: dict[str, Synth], variant: Synth, env: str
) -> None:
    synth = variant if env == "variant" else synths[env]
    store_id, _ = synth.one("AWS::CloudFront::KeyValueStore")
    _, function = synth.one("AWS::CloudFront::Function")
    store_arn = {"Fn::GetAtt": [store_id, "Arn"]}
    assert function["FunctionConfig"]["KeyValueStoreAssociations"] == [
        {"KeyValueStoreARN": store_arn}
    ]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert synth.json["Outputs"]["KeyValueStoreArn"]["Value"] == store_arn


def test_only_the_indexer_writes_derived_keys(each_env: Synth) -> None:
    policy = each_env.bucket_policy(BUCKET_LOGICAL_ID)
    indexer = role(each_env, "Indexer/Role")
    for request in writes(SOMEONE, DERIVED):
        assert denied([policy], request), request
    for request in writes(indexer, DERIVED):
        assert not denied([policy], request), request


def test_published_keys_are_not_reserved(each_env: Synth) -> None:
    policy = each_env.bucket_policy(BUCKET_LOGICAL_ID)
    for request in writes(SOMEONE, PUBLISHED):
        assert not denied([policy], request), request


def test_dev_can_still_be_emptied_by_cdk_destroy(dev: Synth) -> None:
    """The auto-delete role deletes every object version before the bucket goes."""
    policy = dev.bucket_policy(BUCKET_LOGICAL_ID)
    auto_delete = role(dev, "Custom::S3AutoDeleteObjectsCustomResourceProvider/Role")
    for request in writes(auto_delete, DERIVED):
        assert not denied([policy], request), request


def test_prod_excepts_the_indexer_alone(prod: Synth) -> None:
    (deny,) = [
        s
        for s in prod.bucket_policy(BUCKET_LOGICAL_ID)
        if s["Effect"] == "Deny" and "StringNotLike" in s.get("Condition", {})
    ]
    indexer = prod.logical_id("AWS::IAM::Role", "Indexer/Role")
    assert deny["Condition"]["StringNotLike"] == {
        "aws:PrincipalArn": [{"Fn::GetAtt": [indexer, "Arn"]}]
    }


def cache_control_overrides(synth: Synth) -> dict[str, str | None]:
    """Each response headers policy's Cache-Control toward viewers (None: the stored one)."""
    found: dict[str, str | None] = {}
    for logical_id, resource in synth.resources("AWS::CloudFront::ResponseHeadersPolicy").items():
        props = resource["Properties"]
        config = props["ResponseHeadersPolicyConfig"]
        headers = config.get("CustomHeadersConfig", {}).get("Items", [])
        values = [h["Value"] for h in headers if h["Header"] == "Cache-Control"]
        assert all(h["Override"] for h in headers if h["Header"] == "Cache-Control")
        found[logical_id] = values[0] if values else None
    return found


def test_a_private_index_tells_viewers_its_answers_are_private(
    synths: dict[str, Synth], variant: Synth
) -> None:
    """Shared caches must not keep what was answered to one token; the edge's cache follows the
    stored headers and the function checks the token before it."""
    for synth in synths.values():  # dev and prod are private
        overrides = cache_control_overrides(synth)
        assert sorted(v for v in overrides.values() if v) == [
            "private, max-age=10",
            "private, max-age=31536000, immutable",
        ]
    assert set(cache_control_overrides(variant).values()) == {None}  # the variant is public
