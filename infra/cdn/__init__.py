"""The CDN: CloudFront in front of the package bucket, routed by the `route.js` function."""

from infra.cdn.distribution import PRICE_CLASSES, PackageCdn
from infra.cdn.function_code import ROUTE_JS

__all__ = ["PRICE_CLASSES", "ROUTE_JS", "PackageCdn"]
