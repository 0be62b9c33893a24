"""Local mode (`pyshelf serve`): the indexer, unchanged, against an S3 + SQS emulator, behind a
local CDN that routes like the CloudFront Function."""
