"""CloudFront: OAC, HTTPS only, fresh pages, immutable files, short negative caching, headers."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

import pytest
from cdk_support import VARIANT_CERTIFICATE, VARIANT_DOMAIN, Synth

from infra.cdn import ROUTE_JS
from infra.cdn.function_code import function_code
from pyshelf.core.layout import PAGE_CACHE_CONTROL

pytestmark = pytest.mark.cdk

IMMUTABLE = {"*.whl", "*.tar.gz", "*.zip", "*.tar.bz2", "*.tgz", "*.metadata"}
UPLOAD = "/-/upload*"  # tests/infra/test_cdk_upload.py
YEAR = 365 * 24 * 3600


def config(synth: Synth) -> dict[str, Any]:
    _, props = synth.one("AWS::CloudFront::Distribution")
    distribution_config: dict[str, Any] = props["DistributionConfig"]
    return distribution_config


def cache_policy(synth: Synth, behavior: dict[str, Any]) -> dict[str, Any]:
    policy: dict[str, Any] = synth.props(behavior["CachePolicyId"]["Ref"])["CachePolicyConfig"]
    return policy


def headers_policy(synth: Synth, behavior: dict[str, Any]) -> dict[str, Any]:
    logical_id = behavior["ResponseHeadersPolicyId"]["Ref"]
    policy: dict[str, Any] = synth.props(logical_id)["ResponseHeadersPolicyConfig"]
    return policy


def behaviors(synth: Synth) -> list[dict[str, Any]]:
    cfg = config(synth)
    return [cfg["DefaultCacheBehavior"], *cfg["CacheBehaviors"]]


def test_function_runs_on_cloudfront_js_2(each_env: Synth) -> None:
    """Its code is route.js with the environment's settings (test_cdk_access.py)."""
    _, props = each_env.one("AWS::CloudFront::Function")
    assert props["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert props["AutoPublish"] is True


def test_function_fits_cloudfront_limits() -> None:
    """The deployed code (compacted, `infra/cdn/function_code.py`) is what the 10 KB cap
    applies to; tests/infra/test_cdk_route.py prints its margin for larger settings."""
    source = ROUTE_JS.read_text()
    assert len(function_code({"access": "private"}).encode()) < 10 * 1024
    assert "require(" not in source
    assert "fetch(" not in source


def bucket_behaviors(synth: Synth) -> list[dict[str, Any]]:
    """Every behaviour but the upload endpoint's."""
    return [b for b in behaviors(synth) if b.get("PathPattern") != UPLOAD]


def test_every_behaviour_is_https_only_and_routed(each_env: Synth) -> None:
    function_id, _ = each_env.one("AWS::CloudFront::Function")
    assert len(bucket_behaviors(each_env)) == len(behaviors(each_env)) - 1
    for behavior in behaviors(each_env):
        if behavior in bucket_behaviors(each_env):
            assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
            assert behavior["AllowedMethods"] == ["GET", "HEAD"]
        else:  # a redirect would turn the upload's POST into a GET
            assert behavior["ViewerProtocolPolicy"] == "https-only"
        assert behavior["FunctionAssociations"] == [
            {
                "EventType": "viewer-request",
                "FunctionARN": {"Fn::GetAtt": [function_id, "FunctionARN"]},
            }
        ]


def test_distribution_protocols(each_env: Synth) -> None:
    cfg = config(each_env)
    assert cfg["HttpVersion"] == "http2and3"
    assert cfg["IPV6Enabled"] is True
    assert cfg["Enabled"] is True


@pytest.mark.parametrize(("env", "price"), [("dev", "PriceClass_100"), ("prod", "PriceClass_All")])
def test_price_class_is_configured(synths: dict[str, Synth], env: str, price: str) -> None:
    assert config(synths[env])["PriceClass"] == price


def test_pages_are_fresh_within_seconds_and_compressed(each_env: Synth) -> None:
    pages = config(each_env)["DefaultCacheBehavior"]
    assert pages["Compress"] is True
    policy = cache_policy(each_env, pages)
    max_age = int(PAGE_CACHE_CONTROL.split("max-age=")[1])
    assert policy["MinTTL"] == 0
    assert policy["DefaultTTL"] == max_age
    assert policy["MaxTTL"] <= 60
    key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["EnableAcceptEncodingGzip"] is True
    assert key["EnableAcceptEncodingBrotli"] is True
    # The function has already turned Accept/?format= into the URI: nothing else in the key.
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "none"}


@pytest.mark.parametrize("key", ["index.json.gz", "foo/index.json.gz"])
def test_gzip_page_variants_are_pages_not_files(each_env: Synth, key: str) -> None:
    """The function's `<page>.gz` goes through the pages behaviour (short TTL, Vary), never a
    year-long files behaviour."""
    patterns = [b["PathPattern"] for b in config(each_env)["CacheBehaviors"]]
    assert not [pattern for pattern in patterns if fnmatchcase(key, pattern)]


def test_immutable_files_have_their_own_long_lived_behaviours(each_env: Synth) -> None:
    files = bucket_behaviors(each_env)[1:]
    assert {b["PathPattern"] for b in files} == IMMUTABLE
    for behavior in files:
        policy = cache_policy(each_env, behavior)
        assert policy["DefaultTTL"] == YEAR
        assert policy["MaxTTL"] == YEAR
        # Only text is compressed at the edge: archives are never gzipped again.
        assert behavior["Compress"] is (behavior["PathPattern"] == "*.metadata")


def test_missing_keys_are_negatively_cached_briefly(each_env: Synth) -> None:
    errors = {e["ErrorCode"]: e for e in config(each_env)["CustomErrorResponses"]}
    assert errors[404]["ErrorCachingMinTTL"] <= 10
    assert "ResponsePagePath" not in errors[403]


def test_a_missing_key_gets_the_human_404_page_with_status_404(each_env: Synth) -> None:
    errors = {e["ErrorCode"]: e for e in config(each_env)["CustomErrorResponses"]}
    assert errors[404]["ResponsePagePath"] == "/-/404.html"
    assert errors[404]["ResponseCode"] == 404  # pip and uv must still see a 404


def test_pages_vary_on_accept_and_accept_encoding(each_env: Synth) -> None:
    pages = headers_policy(each_env, config(each_env)["DefaultCacheBehavior"])
    vary = {"Header": "Vary", "Value": "Accept, Accept-Encoding", "Override": True}
    assert vary in pages["CustomHeadersConfig"]["Items"]
    files = headers_policy(each_env, config(each_env)["CacheBehaviors"][0])
    custom = files.get("CustomHeadersConfig", {}).get("Items", [])
    assert "Vary" not in {item["Header"] for item in custom}


def test_security_headers_on_every_behaviour(each_env: Synth) -> None:
    for behavior in behaviors(each_env):
        security = headers_policy(each_env, behavior)["SecurityHeadersConfig"]
        hsts = security["StrictTransportSecurity"]
        assert hsts["AccessControlMaxAgeSec"] >= YEAR
        assert hsts["IncludeSubdomains"] is True
        assert security["ContentTypeOptions"] == {"Override": True}
        assert security["FrameOptions"]["FrameOption"] == "DENY"
        assert "default-src 'none'" in security["ContentSecurityPolicy"]["ContentSecurityPolicy"]


def test_origin_is_the_bucket_through_origin_access_control(each_env: Synth) -> None:
    (bucket_origin,) = {b["TargetOriginId"] for b in bucket_behaviors(each_env)}
    (origin,) = [o for o in config(each_env)["Origins"] if o["Id"] == bucket_origin]
    oac_id, oac = each_env.one("AWS::CloudFront::OriginAccessControl")
    assert origin["DomainName"] == {"Fn::GetAtt": ["PackagesBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"


def test_cdn_may_list_the_bucket_so_missing_keys_are_404(each_env: Synth) -> None:
    distribution_id, _ = each_env.one("AWS::CloudFront::Distribution")
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in each_env.resources("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": "PackagesBucket"}
    ]
    cdn = [
        s
        for statements in policies
        for s in statements
        if s.get("Principal") == {"Service": "cloudfront.amazonaws.com"}
    ]
    actions = {
        a for s in cdn for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions == {"s3:GetObject", "s3:ListBucket"}
    for statement in cdn:
        source = statement["Condition"]["StringEquals"]["AWS:SourceArn"]
        assert distribution_id in str(source)


def test_access_logs(each_env: Synth) -> None:
    logging = config(each_env)["Logging"]
    assert logging["Bucket"] == {"Fn::GetAtt": ["AccessLogsBucket", "RegionalDomainName"]}
    assert logging["Prefix"] == "cloudfront/"


def test_default_certificate_without_custom_domain(dev: Synth) -> None:
    cfg = config(dev)
    assert "Aliases" not in cfg
    assert "ViewerCertificate" not in cfg


def test_custom_domain_uses_its_certificate_and_tls_1_2(variant: Synth) -> None:
    cfg = config(variant)
    assert cfg["Aliases"] == [VARIANT_DOMAIN]
    assert cfg["ViewerCertificate"] == {
        "AcmCertificateArn": VARIANT_CERTIFICATE,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }
    assert cfg["PriceClass"] == "PriceClass_200"
    assert variant.json["Outputs"]["IndexUrl"]["Value"] == f"https://{VARIANT_DOMAIN}/"
