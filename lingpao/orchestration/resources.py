"""Dagster resources: the inbox (and its programme year), the warehouse (which holds the run lock
for the whole run, whichever way the run was started), and the stewards' store. Built from one
`Layout`, resolved by the entry point."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from lingpao.corrections.store import CorrectionStore
from lingpao.foundation.layout import Layout
from lingpao.foundation.programme import Programme, load_programme
from lingpao.ingest.inbox import RoundInbox, rounds_of
from lingpao.pipeline import Build
from lingpao.review.store import ReviewStore
from lingpao.warehouse.connection import set_aside_if_damaged
from lingpao.warehouse.rounds import clear_single_round_layout, use_main, use_round
from lingpao.warehouse.runlock import run_lock

# DuckDB may spill to disk beyond this, so a national-size inbox runs in bounded memory.
CONNECTION_CONFIG = {"memory_limit": "1GB"}


# One partition per round (programme year), added as the inbox's year folders appear.
ROUNDS = dg.DynamicPartitionsDefinition(name="round")


def round_of(context: dg.AssetExecutionContext) -> int:
    """The round an asset's run builds: its partition."""
    return int(context.partition_key)


class InboxResource(dg.ConfigurableResource):
    """The inbox folder: one folder per round (`<year>/`), or one round without year folders."""

    path: str

    @property
    def root(self) -> Path:
        return Path(self.path)

    def round(self, year: int) -> RoundInbox:
        """Round `year`'s part of the inbox (an inbox without year folders is that round)."""
        rounds = rounds_of(self.root, year)
        if year not in rounds:
            raise ValueError(f"收件箱中没有{year}年度的文件夹（{self.root / str(year)}）")
        return rounds[year]

    def programme(self, year: int) -> Programme:
        return load_programme(year)


class WarehouseResource(DuckDBResource):
    """The warehouse file. While a run uses it, the run holds the run lock (runs take turns:
    `lingpao run`, the Dagster UI and the sensor alike), a damaged file is set aside to be rebuilt
    from the inbox, and every connection is closed, also when an asset fails."""

    lock: str
    serving: str
    docs: str
    _run_connection: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)

    @property
    def path(self) -> Path:
        return Path(self.database)

    def _open(self) -> duckdb.DuckDBPyConnection:
        conn = duckdb.connect(self.database, config=self.connection_config)
        conn.execute("SET enable_progress_bar = false")  # long queries print none
        return conn

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[WarehouseResource]:
        """For the whole run: the run lock, a damaged file set aside, and one connection that
        every step uses (opening the file for each step cost a quarter of a small run)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with run_lock(Path(self.lock)):
            notice = set_aside_if_damaged(self.path)
            if notice and context.log:
                context.log.warning(notice)
            conn = self._open()
            clear_single_round_layout(conn)  # a warehouse of before the rounds is rebuilt
            self._run_connection = conn
            try:
                yield self
            finally:
                self._run_connection = None
                conn.close()

    @contextlib.contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The run's connection (a transaction an asset left open, failing, is rolled back), or
        outside a run one of its own, closed even when the asset fails."""
        if self._run_connection is not None:
            try:
                yield self._run_connection
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    self._run_connection.execute("ROLLBACK")
                raise
            return
        conn = self._open()
        try:
            yield conn
        finally:
            conn.close()


class CorrectionsResource(dg.ConfigurableResource):
    """The append-only stores of what people decided (never rebuilt by a run): the stewards'
    corrections and decisions, and the round's close (review, notice, certification, check)."""

    path: str
    backups: str
    review: str

    def store(self) -> CorrectionStore:
        return CorrectionStore(Path(self.path), Path(self.backups))

    def review_store(self) -> ReviewStore:
        return ReviewStore(Path(self.review))

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Before a run reads the store: refuse a damaged one (never touched automatically) and
        keep a rotating backup of a sound one; the review store's too."""
        self.store().backup()
        self.review_store().backup(Path(self.backups))


@contextlib.contextmanager
def building(
    year: int,
    inbox: InboxResource,
    warehouse: WarehouseResource,
    corrections: CorrectionsResource | None = None,
    **options,
) -> Iterator[Build]:
    """The domain's `Build` of round `year` on a write connection (working in the round's
    schema), for one asset's step."""
    store = corrections.store() if corrections is not None else None
    review = corrections.review_store() if corrections is not None else None
    where = inbox.round(year)
    with warehouse.connection() as conn:
        use_round(conn, year)
        try:
            yield Build(
                conn,
                where.folder,
                inbox.programme(year),
                store,
                prefix=where.prefix,
                review=review,
                **options,
            )
        finally:
            use_main(conn)


def make_resources(layout: Layout) -> dict:
    """The resources of a run over one layout."""
    return {
        "inbox": InboxResource(path=str(layout.inbox)),
        "warehouse": WarehouseResource(
            database=str(layout.warehouse),
            connection_config=CONNECTION_CONFIG,
            lock=str(layout.lock),
            serving=str(layout.serving),
            docs=str(layout.gx_docs),
        ),
        "corrections": CorrectionsResource(
            path=str(layout.corrections), backups=str(layout.backups), review=str(layout.review)
        ),
    }
