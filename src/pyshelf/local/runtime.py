"""`pyshelf serve` assembled: emulator, bucket and queues, (restored data), indexer worker, CDN.

Start-up order matters: data is loaded and reindexed before the bucket's notifications exist, so
restoring raises no events; the CDN starts last, so once it answers everything is ready.
Stopping goes the other way, and the final `--data` sync runs while S3 is still up.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pyshelf.core.edge_auth import Access, EdgeSettings
from pyshelf.core.errors import PyshelfError
from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.project_set import ProjectSet
from pyshelf.indexer.regenerate import reindex
from pyshelf.local import aws, moto_compat, provision
from pyshelf.local.accesslog import AccessLog
from pyshelf.local.banner import Endpoints, banner
from pyshelf.local.cdn import CDN
from pyshelf.local.datadir import DataDir
from pyshelf.local.edge_settings import local_edge_settings
from pyshelf.local.emulator import Emulator, EmulatorError
from pyshelf.local.kvs_state import StateError, open_store
from pyshelf.local.ports import ensure_free
from pyshelf.local.sqs_events import keys_named
from pyshelf.local.worker import Worker
from pyshelf.storage.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs.type_defs import MessageTypeDef

log = logging.getLogger(__name__)
EMULATOR_HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class ServeConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    s3_port: int = 9000
    bucket: str = "pyshelf"
    data: Path | None = None
    access: Access = "public"  # private: the CDN checks read tokens in `key_value_store`
    upstream: str | None = None  # project pages of names not private here are redirected there
    reserved: tuple[str, ...] = ()  # normalized globs of names that never fall through

    def edge_settings(self) -> EdgeSettings:
        """The CDN's settings; ValueError says what is wrong with upstream or reserved."""
        return local_edge_settings(self.access, self.upstream, self.reserved)


class ServeError(PyshelfError, RuntimeError):
    """pyshelf serve could not start (a port is taken, the data directory is unusable...)."""


def run(
    config: ServeConfig, log_stream: TextIO, stop: threading.Event, announce: Callable[[str], None]
) -> None:
    """Start everything, announce the banner, serve until `stop` is set, then stop cleanly."""
    try:
        with LocalIndex(config, AccessLog(log_stream)) as index:
            announce(banner(index.endpoints))
            while not stop.wait(0.2):
                pass
            log.info("stopping")
    except (EmulatorError, StateError, OSError) as exc:  # PortTaken is an OSError
        raise ServeError(str(exc)) from exc


class LocalIndex:
    """The whole local deployment in one process. Use as a context manager.

    The indexer (the restore-on-start reindex and the worker) always keeps the private set in
    `key_value_store`, upstream or not, as a stack's indexer does with its KeyValueStore."""

    def __init__(self, config: ServeConfig, access_log: AccessLog) -> None:
        self.config = config
        self.settings = config.edge_settings()  # a ValueError before anything starts
        self.access_log = access_log
        self.data = DataDir(config.data) if config.data else None
        # Tokens and private names: served as a KeyValueStore by the emulator; the CDN reads it.
        self.key_value_store = open_store(config.data)
        self.project_set = ProjectSet(self.key_value_store)
        self.emulator = Emulator(EMULATOR_HOST, config.s3_port, self.key_value_store)
        self._stack = ExitStack()
        self._cdn: CDN | None = None

    @property
    def endpoints(self) -> Endpoints:
        if self._cdn is None:
            raise RuntimeError("not started")
        return Endpoints(
            self._cdn.url,
            self.emulator.endpoint,
            self.config.bucket,
            self.config.data,
            self.config.access,
            self.settings.upstream,
            self.settings.reserved,
        )

    def __enter__(self) -> LocalIndex:
        ensure_free(self.config.host, self.config.port, "--port")  # before any work is done
        ensure_free(EMULATOR_HOST, self.config.s3_port, "--s3-port")
        with ExitStack() as stack:
            stack.enter_context(self.emulator)
            s3 = aws.s3_client(self.emulator.endpoint)
            provision.create_bucket(s3, self.config.bucket)
            queues = provision.create_queues(
                aws.sqs_client(self.emulator.endpoint), self.config.bucket
            )
            self._restore(s3)
            provision.configure_notifications(s3, self.config.bucket, queues.arn)
            if self.data is not None:
                stack.callback(self._final_sync, s3, self.data)
            worker = self._worker(s3, queues)
            worker.start()
            stack.callback(worker.stop)
            cdn = self._cdn_over(s3)
            cdn.start()
            stack.callback(cdn.stop)
            self._cdn = cdn
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _cdn_over(self, s3: S3Client) -> CDN:
        """The CDN reads tokens and private names from this process's store, so a token
        created or revoked through the local KeyValueStore API counts from the next request,
        and a name the indexer makes private is never redirected again."""
        config = self.config
        return CDN(
            s3,
            config.bucket,
            self.access_log,
            config.host,
            config.port,
            settings=self.settings,
            tokens=self.key_value_store,
        )

    def _restore(self, s3: S3Client) -> None:
        """Load --data into the bucket, then build every page (an empty root page at least)."""
        store = S3Store(s3, self.config.bucket)
        if self.data is not None:
            backdate = functools.partial(moto_compat.set_last_modified, self.config.bucket)
            count = self.data.load(store, backdate)
            log.info("restored %d objects from %s", count, self.data.root)
        results = reindex(store, project_set=self.project_set)
        log.info("indexed %d projects", len(results))

    def _worker(self, s3: S3Client, queues: provision.Queues) -> Worker:
        store = S3Store(s3, self.config.bucket)
        return Worker(
            aws.sqs_client(self.emulator.endpoint),
            queue_url=queues.url,
            queue_arn=queues.arn,
            region=aws.REGION,
            handler=functools.partial(handle_event, store=store, project_set=self.project_set),
            on_receive=functools.partial(self._mirror, s3) if self.data else None,
        )

    def _mirror(self, s3: S3Client, messages: list[MessageTypeDef]) -> None:
        if self.data is not None:
            store = S3Store(s3, self.config.bucket)
            self.data.mirror(store, keys_named(messages, self.config.bucket))

    def _final_sync(self, s3: S3Client, data: DataDir) -> None:
        result = data.sync(S3Store(s3, self.config.bucket))
        log.info(
            "saved to %s: %d written, %d removed, %d not storable",
            data.root,
            result.written,
            result.removed,
            result.skipped,
        )
