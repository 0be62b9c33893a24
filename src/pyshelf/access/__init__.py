"""Access tokens: the CloudFront KeyValueStore that holds their records (`store`, `memory`,
`cloudfront`), the race-free registry that creates, lists and revokes them (`registry`), and
the optimistic-write loop both it and the indexer's private project set use (`optimistic`).

No module here imports click; only `cloudfront` imports botocore."""
