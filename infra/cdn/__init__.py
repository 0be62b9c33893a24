"""The CDN: CloudFront in front of the package bucket, routed by the `route.js` function."""

from infra.cdn.distribution import PackageCdn
from infra.cdn.function_code import ROUTE_JS

__all__ = ["ROUTE_JS", "PackageCdn"]
