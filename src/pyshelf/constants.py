"""Settings shared by the package and the CDK app (`infra/`), as plain data.

This is the only module of `pyshelf` that `infra/` may import (an import-linter contract in
pyproject.toml says so): it imports nothing, so the stack's code never depends on the package's.
"""

from __future__ import annotations

# Distribution filenames pyshelf lists (docs/layout.md). Legacy `.tar.bz2`/`.tgz` sdists are
# still installed by pip and uv.
WHEEL_SUFFIX = ".whl"
SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")
ZIP_SUFFIXES = (WHEEL_SUFFIX, ".zip")  # zip archives; the rest are tarballs
DISTRIBUTION_SUFFIXES = (WHEEL_SUFFIX, *SDIST_SUFFIXES)

# Keys beside the distributions: PEP 658 core metadata, and yank records of whole releases.
METADATA_SUFFIX = ".metadata"
YANK_SUFFIX = ".yank"
# Keys whose creation or removal the indexer must hear about (the bucket's event filters).
EVENT_SUFFIXES = (*DISTRIBUTION_SUFFIXES, YANK_SUFFIX)

# The events queue, as both the stack and `pyshelf serve` build it: a message that fails this
# many receives goes to the dead-letter queue; both queues keep messages this long.
QUEUE_MAX_RECEIVE_COUNT = 5
QUEUE_RETENTION_DAYS = 14
# The stack's indexer Lambda may run this long per batch, and a message it received stays hidden
# this long, so a failed one is retried that much later (docs/deploy.md, "Failures and retries").
# SQS needs the visibility timeout to cover the function timeout plus the batching window.
INDEXER_TIMEOUT_SECONDS = 120
QUEUE_VISIBILITY_TIMEOUT_SECONDS = 300
# The SQS event source of the indexer: at most this many messages per invocation, gathered for at
# most this long, and (the default of `indexerMaxConcurrency` in cdk.json) this many invocations
# at once. bench/burst.py measures a burst against them (docs/requests.md, "Bursts").
INDEXER_BATCH_SIZE = 100
INDEXER_BATCHING_WINDOW_SECONDS = 3
INDEXER_MAX_CONCURRENCY = 2

# The token store of `pyshelf serve` (its S3 endpoint also answers the KeyValueStore API).
LOCAL_KVS_ARN = "arn:aws:cloudfront::000000000000:key-value-store/pyshelf-local"

# How long caches keep what the index serves: pages briefly (a new upload shows within seconds),
# files and `.metadata` for a year (they never change under one name).
PAGE_MAX_AGE_SECONDS = 10
IMMUTABLE_MAX_AGE_SECONDS = 365 * 24 * 3600
# What a private index tells viewers instead of the stored `public, ...`: their own caches (pip's,
# uv's) may keep a response, shared caches on the way (proxies) must not, since it was answered to
# one token. The edge still caches it and checks the token on every request, before its cache.
PRIVATE_PAGE_CACHE_CONTROL = f"private, max-age={PAGE_MAX_AGE_SECONDS}"
PRIVATE_FILE_CACHE_CONTROL = f"private, max-age={IMMUTABLE_MAX_AGE_SECONDS}, immutable"
# The Vary of every page (the stack's response headers policy, `pyshelf serve`): which page a
# request gets depends on Accept (HTML or JSON) and Accept-Encoding (a JSON page's gzip variant;
# the edge compresses HTML).
PAGE_VARY = "Accept, Accept-Encoding"

# The scheduled reconcile: a reindex request of every project (pyshelf.core.reindex_request) that
# the stack's schedule puts on the events queue, so that a change S3 never told the indexer about
# is caught. Its report is rewritten at `_pyshelf/reindex/<this id>.json` each time.
RECONCILE_REQUEST_ID = "scheduled-reconcile"
RECONCILE_MESSAGE = {"pyshelf": "reindex", "request": RECONCILE_REQUEST_ID, "projects": None}

# The legacy upload API (twine, uv publish, poetry publish; docs/publish.md): its path, under `/-/`
# where no project name starts; the header in which the edge passes the verified token's grant
# on to the upload handler; the header with which CloudFront proves a request came through it
# (the function URL refuses any request without it); and the largest body the edge lets through.
UPLOAD_URI = "/-/upload/"
UPLOAD_GRANT_HEADER = "x-pyshelf-upload"
UPLOAD_SECRET_HEADER = "x-pyshelf-origin-secret"
# A Lambda request payload is at most 6 MB (6,291,456 bytes) and a function URL hands the body
# over base64-encoded (4/3 of its size), beside the headers: 4,400,000 bytes of body leave
# 424 KiB of room. The largest file is this minus the form's other fields (a few KiB).
MAX_UPLOAD_BYTES = 4_400_000
