"""Dagster resources and settings: where the inbox and the warehouse are, which programme year."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.programme import Programme, load_programme

DEFAULT_INBOX = "data/inbox"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"


def _resolve(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path.cwd() / path


def inbox_path(override: str | None = None) -> Path:
    """The inbox folder: an explicit value, else LINGPAO_INBOX, else data/inbox."""
    return _resolve(override or os.environ.get("LINGPAO_INBOX") or DEFAULT_INBOX)


def warehouse_path(override: str | None = None) -> Path:
    """The warehouse file: an explicit value, else LINGPAO_WAREHOUSE, else data/warehouse.duckdb."""
    return _resolve(override or os.environ.get("LINGPAO_WAREHOUSE") or DEFAULT_WAREHOUSE)


class InboxResource(dg.ConfigurableResource):
    """The inbox folder and the programme year whose configuration reads it."""

    path: str
    year: int | None = None

    @property
    def root(self) -> Path:
        return _resolve(self.path)

    def programme(self) -> Programme:
        return load_programme(self.year)


class CorrectionsResource(dg.ConfigurableResource):
    """The append-only store of the stewards' corrections and decisions (never rebuilt by a run)."""

    path: str

    def store(self):
        from assets.corrections.store import CorrectionStore

        return CorrectionStore(Path(self.path))

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Before a run reads the store: refuse a damaged one (never touched automatically) and
        keep a rotating backup of a sound one."""
        self.store().backup()


def make_resources(inbox: str | None = None, warehouse: str | None = None) -> dict:
    """The resources of a run; paths default to the environment, then the contract defaults."""
    from assets.corrections.store import store_path

    target = warehouse_path(warehouse)
    target.parent.mkdir(parents=True, exist_ok=True)
    return {
        "inbox": InboxResource(path=str(inbox_path(inbox))),
        "warehouse": DuckDBResource(database=str(target)),
        "corrections": CorrectionsResource(path=str(store_path(target))),
    }


__all__ = [
    "CorrectionsResource",
    "InboxResource",
    "inbox_path",
    "make_resources",
    "warehouse_path",
]
