"""The programme year's configuration (data/programme/<year>.toml), read into one object."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from lingpao.foundation.settings import Settings
from lingpao.foundation.text import fold_label, fold_unit

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROGRAMME_DIR = PROJECT_ROOT / "data" / "programme"
DEFAULT_CLUSTERS = PROJECT_ROOT / "data" / "reference" / "clusters.csv"


@dataclass(frozen=True)
class Programme:
    """One programme year: windows, units, labels, evidence, header mappings and weights."""

    raw: dict = field(repr=False)

    @property
    def year(self) -> int:
        return int(self.raw["year"])

    @property
    def timezone(self) -> str:
        return self.raw["timezone"]

    @property
    def units(self) -> list[str]:
        return list(self.raw["units"])

    @property
    def city_tables_due(self) -> dt.date:
        return dt.date.fromisoformat(self.raw["city_tables_due"])

    @property
    def feedback_due(self) -> dt.date:
        return dt.date.fromisoformat(self.raw["feedback_due"])

    @property
    def hebei_prefix(self) -> str:
        return self.raw["hebei_division_prefix"]

    @property
    def types(self) -> dict[str, dict]:
        return dict(self.raw["types"])

    def type_label(self, type_id: str) -> str:
        return self.types[type_id]["label"]

    def window(self, type_id: str) -> tuple[dt.date, dt.date]:
        start, end = self.types[type_id]["window"]
        return dt.date.fromisoformat(start), dt.date.fromisoformat(end)

    @property
    def directions(self) -> dict[str, str]:
        return dict(self.raw["directions"])

    @property
    def stages(self) -> list[dict]:
        return list(self.raw["stages"])

    @property
    def stage_labels(self) -> dict[str, str]:
        return {s["id"]: s["label"] for s in self.stages}

    def reached(self, stage_id: str) -> list[str]:
        """The stages of an application that has reached `stage_id`: it and the later ones of the
        workflow, and the exits that leave after it or a later stage."""
        order = [s["id"] for s in self.stages]
        start = order.index(stage_id)
        reached = []
        for position, stage in enumerate(self.stages):
            after = stage.get("exit_after")
            if (after is None and position >= start) or (after and order.index(after) >= start):
                reached.append(stage["id"])
        return reached

    def figure(self, spec: dict) -> tuple[str, list[str]]:
        """(label, stage ids) of a figure of the `[progress]` table: `at` the stages listed, or
        `reached` the stage named."""
        stages = list(spec["at"]) if "at" in spec else self.reached(spec["reached"])
        return spec["label"], stages

    def figures(self, kind: str) -> list[tuple[str, list[str]]]:
        """The figures of the progress page of one kind: `kpis`, `funnel`, `waiting`."""
        return [self.figure(spec) for spec in self.raw["progress"][kind]]

    @property
    def evidence(self) -> dict[str, str]:
        return dict(self.raw["evidence"])

    def required_evidence(self, type_id: str) -> list[str]:
        """Evidence item ids that an application of this type must have uploaded."""
        wanted = self.types[type_id]["evidence"]
        return list(self.evidence) if wanted == "all" else list(wanted)

    def headers(self, kind: str) -> dict[str, list[str]]:
        return dict(self.raw["headers"][kind])

    def required_columns(self, kind: str) -> list[str]:
        return list(self.raw["headers"]["required"][kind])

    @property
    def pool_status(self) -> dict[str, str]:
        return dict(self.raw["pool_status"])

    @property
    def shortlist_weights(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.raw["shortlist"]["weights"].items()}

    @cached_property
    def _type_lookup(self) -> dict[str, str]:
        lookup = {}
        for type_id, spec in self.types.items():
            for variant in [spec["label"], *spec.get("variants", [])]:
                lookup[fold_label(variant)] = type_id
        return lookup

    @cached_property
    def _direction_lookup(self) -> dict[str, str]:
        lookup = {}
        for direction_id, label in self.directions.items():
            lookup[fold_label(label)] = direction_id
        return lookup

    @cached_property
    def _stage_lookup(self) -> dict[str, str]:
        return {fold_label(s["label"]): s["id"] for s in self.stages}

    def type_of(self, label: str | None) -> str | None:
        """Canonical application type id for a label, or None if it is not one of the three."""
        return self._type_lookup.get(fold_label(label)) if label else None

    def direction_of(self, label: str | None) -> str | None:
        """Canonical direction id for a label; None when empty, unknown or several."""
        return self._direction_lookup.get(fold_label(label)) if label else None

    def stage_of(self, label: str | None) -> str | None:
        return self._stage_lookup.get(fold_label(label)) if label else None

    def unit_of(self, text: str | None) -> str | None:
        """The reporting unit named by a value such as `石家庄市` (exact match after folding)."""
        if not text:
            return None
        folded = fold_unit(text)
        folded = self.raw.get("unit_aliases", {}).get(folded, folded)
        return folded if folded in self.units else None

    def unit_in(self, text: str | None) -> str | None:
        """The reporting unit mentioned anywhere in a title, sheet or file name, if exactly one."""
        if not text:
            return None
        folded = fold_label(text)
        found = {u for u in self.units if u in folded}
        # 雄安新区 etc. never overlap; keep the longest to be safe
        if len(found) > 1:
            found = {max(found, key=len)} if all(f in max(found, key=len) for f in found) else found
        return found.pop() if len(found) == 1 else None


def available_years() -> list[int]:
    return sorted(int(p.stem) for p in PROGRAMME_DIR.glob("*.toml") if p.stem.isdigit())


def load_programme(year: int | None = None) -> Programme:
    """Load the configuration of a programme year (default: LINGPAO_YEAR, else the newest)."""
    if year is None:
        chosen = Settings.load().get("LINGPAO_YEAR")
        year = int(chosen) if chosen else max(available_years())
    path = PROGRAMME_DIR / f"{year}.toml"
    if not path.exists():
        raise FileNotFoundError(f"no programme configuration for {year}: {path}")
    with path.open("rb") as handle:
        return Programme(tomllib.load(handle))


def city_passed(programme: Programme, type_id: str) -> list[str]:
    """Stages at which the city has passed an application of this type on to the province."""
    return list(programme.raw["city_passed"][type_id])
