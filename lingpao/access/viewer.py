"""The viewer: who is acting (id, role, unit, how they signed in), what they may read, and checks."""

from __future__ import annotations

from dataclasses import dataclass

from lingpao.access.roles import ACTION_LABELS, PERMISSIONS, ROLE_LABELS, Forbidden


@dataclass(frozen=True)
class Scope:
    """What a viewer may read: every unit or one, contact data or not, record details or not."""

    unit: str | None = None
    contacts: bool = True
    records: bool = True


@dataclass(frozen=True)
class Viewer:
    """Someone signed in (or the local operator): sign-in id, display name, role, unit, sign-in mode."""

    id: str
    role: str
    unit: str | None = None
    name: str = ""
    via: str = "local"  # local | password | oidc | header | cli

    def __post_init__(self) -> None:
        if self.role not in PERMISSIONS:
            raise Forbidden(f"未知角色“{self.role}”")
        if self.role == "city" and not self.unit:
            raise Forbidden("市级用户必须属于一个报送单位")

    @property
    def label(self) -> str:
        unit = f"（{self.unit}）" if self.unit else ""
        return f"{self.name or self.id or '本机'} · {ROLE_LABELS[self.role]}{unit}"

    @property
    def scope(self) -> Scope:
        allowed = PERMISSIONS[self.role]
        return Scope(
            unit=None if "read_all_units" in allowed else self.unit,
            contacts="read_contacts" in allowed,
            records="read_records" in allowed,
        )

    def may(self, action: str, unit: str | None = None) -> bool:
        """True when the role allows the action and, for a city bureau, the unit is its own."""
        if action not in PERMISSIONS[self.role]:
            return False
        if self.role == "city" and unit is not None and unit != self.unit:
            return False
        return not (self.role == "city" and unit is None and action in UNIT_BOUND)

    def require(self, action: str, unit: str | None = None) -> None:
        """Raise Forbidden, naming the action, unless `may(action, unit)`."""
        if not self.may(action, unit):
            where = f"（{unit}）" if unit else ""
            raise Forbidden(
                f"{ROLE_LABELS[self.role]}“{self.id or '本机'}”无权{ACTION_LABELS[action]}{where}"
            )


# Actions a city bureau may take only on a record or table of a named unit (its own).
UNIT_BOUND = frozenset({"propose", "submit_table", "download_feedback", "submit_leader_check"})


def operator(who: str) -> Viewer:
    """The server's operator at the command line (shell access is file access): a steward."""
    return Viewer(id=who, name=who, role="steward", via="cli")
