"""CloudFront in front of the package bucket.

Freshness: index pages are cached at the edge for at most PAGE_MAX_TTL (the indexer writes them
with `Cache-Control: public, max-age=10`), so a new upload is visible within about 10 s plus the
indexer's batching window, without invalidations. Invalidations would cost $0.005 per path beyond
1,000 paths a month (every upload touches 3-4 paths) and take tens of seconds themselves; a short
TTL costs one conditional S3 GET per page, edge location and 10 s while the page is being read.
Files and `.metadata` never change under their name, so they are cached for a year. Missing keys
(404, e.g. a project that is about to appear) are cached for NOT_FOUND_TTL only.

Compression: CloudFront compresses text/html (and `.metadata`) itself, but not the PEP 691 type
`application/vnd.pypi.simple.v1+json`. So the indexer stores beside each JSON page its gzip
variant `<page>.gz` (`Content-Encoding: gzip`), and the function sends a viewer whose
Accept-Encoding accepts gzip there (docs/layout.md); everyone else gets the plain page. The cache
key needs nothing more: the function runs before the cache, so the rewritten URI (`index.json`
or `index.json.gz`) is in the key already. The policies' Accept-Encoding normalization (gzip and
br on) also puts the normalized value (br, gzip or none) in the key, which lets the edge keep
its own compressed copies of HTML and only splits the plain JSON page's entries further. The
edge never compresses the variant again: it carries Content-Encoding. Pages carry
`Vary: Accept, Accept-Encoding` for caches on the way.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.cdn.function_code import function_code
from infra.nag import acknowledge, skip_checkov
from pyshelf.constants import (
    DISTRIBUTION_SUFFIXES,
    METADATA_SUFFIX,
    PAGE_VARY,
    PRIVATE_FILE_CACHE_CONTROL,
    PRIVATE_PAGE_CACHE_CONTROL,
    UPLOAD_GRANT_HEADER,
    UPLOAD_SECRET_HEADER,
    UPLOAD_URI,
)

IMMUTABLE_SUFFIXES = (*DISTRIBUTION_SUFFIXES, METADATA_SUFFIX)
# Text is compressed at the edge; archives are not (never gzip a .tar.gz twice).
COMPRESSED_SUFFIXES = (METADATA_SUFFIX,)
PAGE_DEFAULT_TTL = Duration.seconds(10)
PAGE_MAX_TTL = Duration.seconds(60)
IMMUTABLE_TTL = Duration.days(365)
NOT_FOUND_TTL = Duration.seconds(5)
NOT_FOUND_PAGE_PATH = "/-/404.html"  # written by the indexer with the root (docs/pages.md)
HSTS_MAX_AGE = Duration.days(730)
LOG_PREFIX = "cloudfront/"
# `/-/upload` and `/-/upload/` (route.js answers anything else there); a project path never
# starts with `/-`.
UPLOAD_PATH_PATTERN = UPLOAD_URI.rstrip("/") + "*"
UPLOAD_CSP = "default-src 'none'"
# Pages: the human pages load their style sheet and script from the index itself (`/-/`) and
# fetch a release's description from it; nothing inline, nothing from elsewhere.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class PackageCdn(Construct):
    """HTTPS front door: routes, negotiates and caches; reads the bucket through OAC.
    `function_settings` is the function's `CONFIG` (`EnvironmentConfig.function_settings`)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        logs_bucket: s3.IBucket,
        price_class: cloudfront.PriceClass,
        function_settings: Mapping[str, object],
        domain_name: str | None = None,
        certificate_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # A private index's answers are for one token: viewers get `private` Cache-Control (the
        # edge's own cache still follows the stored headers; the function runs before it).
        self._private = function_settings.get("access") != "public"
        # The read tokens the function checks (a private index) and, with an upstream, the
        # private names the indexer writes. Created for a public index too, so that tokens can be
        # issued before switching it to private. Deleted with the stack (CDK's default): a
        # retained store would keep its name and block a new deploy.
        self.tokens = cloudfront.KeyValueStore(
            self, "Tokens", comment="pyshelf read tokens (hashed), checked at the edge"
        )
        self.function = cloudfront.Function(
            self,
            "Route",
            code=cloudfront.FunctionCode.from_inline(function_code(function_settings)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            key_value_store=self.tokens,
            comment="pyshelf: route, normalize and negotiate viewer requests",
        )
        # LIST lets S3 answer 404 (not 403) for a missing key.
        self._origin = origins.S3BucketOrigin.with_origin_access_control(
            bucket, origin_access_levels=[cloudfront.AccessLevel.READ, cloudfront.AccessLevel.LIST]
        )
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
            if certificate_arn
            else None
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="pyshelf package index",
            default_behavior=self._pages(),
            additional_behaviors=self._files(),
            # The function always rewrites `/`; this only guards the LIST grant should the
            # function ever be detached (S3 would list the bucket for a bare `/`).
            default_root_object="index.html",
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            # Only a custom certificate can raise the minimum (the default one stays at TLSv1).
            minimum_protocol_version=(
                cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None
            ),
            price_class=price_class,
            domain_names=[domain_name] if domain_name else None,
            certificate=certificate,
            # A missing key is answered with the human 404 page (docs/pages.md), status 404, to
            # every client (pip and uv ignore a 404's body). Answers of the function itself
            # (its 404s of malformed paths, 401, 403) are not origin errors: left as they are.
            error_responses=[
                cloudfront.ErrorResponse(http_status=403, ttl=NOT_FOUND_TTL),
                cloudfront.ErrorResponse(
                    http_status=404,
                    ttl=NOT_FOUND_TTL,
                    response_http_status=404,
                    response_page_path=NOT_FOUND_PAGE_PATH,
                ),
            ],
            enable_logging=True,
            log_bucket=logs_bucket,
            log_file_prefix=LOG_PREFIX,
        )
        self.domain_name = domain_name or self.distribution.distribution_domain_name
        self._acknowledge(custom_certificate=certificate is not None)

    def route_uploads(self, url: lambda_.IFunctionUrl, secret: str) -> None:
        """Send `/-/upload*` to the upload Lambda's function URL, with `secret` (a dynamic
        reference) in the origin header the Lambda checks. The viewer request function runs
        there too: it answers everything but a POST with a usable upload token, and passes on
        only the token's grant (UPLOAD_GRANT_HEADER) and the form's Content-Type. Never
        cached; HTTPS only (a redirect would turn the POST into a GET)."""
        origin = origins.FunctionUrlOrigin(url, custom_headers={UPLOAD_SECRET_HEADER: secret})
        forwarded = cloudfront.OriginRequestPolicy(
            self,
            "UploadRequest",
            comment="pyshelf uploads: the form's type and the edge's grant, nothing else",
            header_behavior=cloudfront.OriginRequestHeaderBehavior.allow_list(
                "content-type", UPLOAD_GRANT_HEADER
            ),
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.none(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
        )
        self.distribution.add_behavior(
            UPLOAD_PATH_PATTERN,
            origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=forwarded,
            response_headers_policy=_security_headers(
                self, "UploadHeaders", csp=UPLOAD_CSP, custom={}
            ),
            compress=False,
            function_associations=[
                cloudfront.FunctionAssociation(
                    function=self.function, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                )
            ],
        )

    def _acknowledge(self, *, custom_certificate: bool) -> None:
        acknowledge(
            self.distribution,
            "Annotation::@aws-cdk/aws-cloudfront-origins:listBucketSecurityRisk",
            "route.js never forwards a URI ending in `/` (it rewrites pages to index.html or "
            "index.json), and the cache policies forward no query string to S3, so S3 never "
            "lists the bucket; defaultRootObject is set as well.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "A package index serves its users wherever they are; restrict countries per "
            "deployment if a policy requires it.",
        )
        no_waf = (
            "Read-only static content behind OAC with GET/HEAD only; a web ACL costs at least "
            "$5/month and can be attached per deployment if wanted."
        )
        acknowledge(self.distribution, "AwsSolutions-CFR2", no_waf)
        skip_checkov(self.distribution, "CKV_AWS_68", no_waf)
        if not custom_certificate:
            default_certificate = (
                "No custom domain is configured, so the *.cloudfront.net certificate is used "
                "and its TLSv1 floor cannot be raised; set domainName + certificateArn to get "
                "TLSv1.2_2021."
            )
            acknowledge(self.distribution, "AwsSolutions-CFR4", default_certificate)
            skip_checkov(self.distribution, "CKV_AWS_174", default_certificate)

    def _behavior(
        self,
        cache_policy: cloudfront.ICachePolicy,
        headers: cloudfront.IResponseHeadersPolicy,
        *,
        compress: bool,
    ) -> cloudfront.BehaviorOptions:
        return cloudfront.BehaviorOptions(
            origin=self._origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
            cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
            cache_policy=cache_policy,
            response_headers_policy=headers,
            compress=compress,
            function_associations=[
                cloudfront.FunctionAssociation(
                    function=self.function, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                )
            ],
        )

    def _pages(self) -> cloudfront.BehaviorOptions:
        """Default behaviour: index pages (and anything else the function lets through)."""
        cache = _cache_policy(
            self,
            "PagesCache",
            comment="pyshelf pages: honour the origin's short max-age",
            default_ttl=PAGE_DEFAULT_TTL,
            max_ttl=PAGE_MAX_TTL,
        )
        custom = {"Vary": PAGE_VARY}
        if self._private:
            custom["Cache-Control"] = PRIVATE_PAGE_CACHE_CONTROL
        headers = _security_headers(self, "PagesHeaders", csp=PAGE_CSP, custom=custom)
        return self._behavior(cache, headers, compress=True)

    def _files(self) -> dict[str, cloudfront.BehaviorOptions]:
        cache = _cache_policy(
            self,
            "FilesCache",
            comment="pyshelf files and .metadata: immutable",
            default_ttl=IMMUTABLE_TTL,
            max_ttl=IMMUTABLE_TTL,
        )
        custom = {"Cache-Control": PRIVATE_FILE_CACHE_CONTROL} if self._private else {}
        headers = _security_headers(self, "FilesHeaders", csp="default-src 'none'", custom=custom)
        return {
            f"*{suffix}": self._behavior(cache, headers, compress=suffix in COMPRESSED_SUFFIXES)
            for suffix in IMMUTABLE_SUFFIXES
        }


def _cache_policy(
    scope: Construct, construct_id: str, *, comment: str, default_ttl: Duration, max_ttl: Duration
) -> cloudfront.CachePolicy:
    """Honour the origin's Cache-Control between 0 and max_ttl; compressed variants cached."""
    return cloudfront.CachePolicy(
        scope,
        construct_id,
        comment=comment,
        default_ttl=default_ttl,
        min_ttl=Duration.seconds(0),
        max_ttl=max_ttl,
        enable_accept_encoding_gzip=True,
        enable_accept_encoding_brotli=True,
    )


def _security_headers(
    scope: Construct, construct_id: str, *, csp: str, custom: dict[str, str]
) -> cloudfront.ResponseHeadersPolicy:
    return cloudfront.ResponseHeadersPolicy(
        scope,
        construct_id,
        security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
            strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                access_control_max_age=HSTS_MAX_AGE, include_subdomains=True, override=True
            ),
            content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
            frame_options=cloudfront.ResponseHeadersFrameOptions(
                frame_option=cloudfront.HeadersFrameOption.DENY, override=True
            ),
            referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
            ),
            content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                content_security_policy=csp, override=True
            ),
        ),
        custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
            custom_headers=[
                cloudfront.ResponseCustomHeader(header=name, value=value, override=True)
                for name, value in custom.items()
            ]
        )
        if custom
        else None,
    )
