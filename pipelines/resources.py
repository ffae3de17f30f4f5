"""Dagster resources: the inbox (and its programme year), the warehouse (which holds the run lock
for the whole run, whichever way the run was started), and the corrections store."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from assets.corrections.store import CorrectionStore
from assets.foundation.layout import Layout
from assets.foundation.programme import Programme, load_programme
from assets.warehouse.connection import set_aside_if_damaged
from assets.warehouse.runlock import run_lock

# DuckDB may spill to disk beyond this, so a national-size inbox runs in bounded memory.
CONNECTION_CONFIG = {"memory_limit": "1GB"}


class InboxResource(dg.ConfigurableResource):
    """The inbox folder and the programme year whose configuration reads it."""

    path: str
    year: int | None = None

    @property
    def root(self) -> Path:
        return Path(self.path)

    def programme(self) -> Programme:
        return load_programme(self.year)


class WarehouseResource(DuckDBResource):
    """The warehouse file. While a run uses it, the run holds `<warehouse>.lock` (runs take turns:
    `lingpao run`, the Dagster UI and the sensor alike), a damaged file is set aside to be rebuilt
    from the inbox, and every connection is closed, also when an asset fails."""

    @property
    def path(self) -> Path:
        return Path(self.database)

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[WarehouseResource]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with run_lock(self.path):
            notice = set_aside_if_damaged(self.path)
            if notice and context.log:
                context.log.warning(notice)
            yield self

    @contextlib.contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection, closed even when the asset fails (dagster-duckdb's `get_connection`
        closes only on success, which would leave the file locked for the rest of the process)."""
        with self.get_connection() as conn:
            try:
                conn.execute("SET enable_progress_bar = false")  # long queries print none
                yield conn
            finally:
                conn.close()


class CorrectionsResource(dg.ConfigurableResource):
    """The append-only store of the stewards' corrections and decisions (never rebuilt by a run)."""

    path: str
    backups: str

    def store(self) -> CorrectionStore:
        return CorrectionStore(Path(self.path), Path(self.backups))

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Before a run reads the store: refuse a damaged one (never touched automatically) and
        keep a rotating backup of a sound one."""
        self.store().backup()


def make_resources(inbox: str | None = None, warehouse: str | None = None) -> dict:
    """The resources of a run; paths from flags, then the environment, then the contract defaults."""
    layout = Layout.resolve(inbox, warehouse)
    return {
        "inbox": InboxResource(path=str(layout.inbox)),
        "warehouse": WarehouseResource(
            database=str(layout.warehouse), connection_config=CONNECTION_CONFIG
        ),
        "corrections": CorrectionsResource(
            path=str(layout.corrections), backups=str(layout.backups)
        ),
    }
