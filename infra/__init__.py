"""The pyshelf CDK app: one stack per environment (storage, indexer, CDN). See docs/deploy.md."""
