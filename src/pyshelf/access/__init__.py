"""Access tokens: the CloudFront KeyValueStore that holds their records (`store`, `memory`,
`cloudfront`) and the race-free registry that creates, lists and revokes them (`registry`).

No module here imports click; only `cloudfront` imports botocore."""
