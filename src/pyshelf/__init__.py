"""pyshelf: a serverless, self-hosted Python package index on S3 + CloudFront."""

__version__ = "0.1.0"
