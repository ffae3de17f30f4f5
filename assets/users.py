"""Who may see what: a users file beside the warehouse mapping a sign-in id to a role (and a unit)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

ROLES = {
    "province": "省级工作人员",  # every page, every unit
    "steward": "数据管理员",  # every page, every unit
    "leadership": "领导",  # progress, clusters, shortlist: no contact data, no issue details
    "city": "市级工信部门",  # progress, data quality, queue: its own unit only
}


@dataclass(frozen=True)
class User:
    """One person allowed in: the id they sign in with (email), their role, and for a city its unit."""

    id: str
    role: str
    unit: str | None = None
    name: str | None = None


def users_path(warehouse: Path) -> Path:
    """The users file beside a warehouse (LINGPAO_USERS overrides it)."""
    override = os.environ.get("LINGPAO_USERS")
    return Path(override) if override else warehouse.parent / "users.json"


def load_users(path: Path) -> dict[str, User] | None:
    """Users by id, or None when there is no users file (then everyone has the default role)."""
    if not path.exists():
        return None
    entries = json.loads(path.read_text(encoding="utf-8"))
    return {e["id"].lower(): User(**e) for e in entries}


def save_users(path: Path, users: dict[str, User]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(
        json.dumps(
            [asdict(u) for u in sorted(users.values(), key=lambda u: u.id)],
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    os.replace(temporary, path)


def default_role() -> str:
    """The role of everyone when no users file exists (an intranet without sign-in)."""
    role = os.environ.get("LINGPAO_DEFAULT_ROLE", "province")
    return role if role in ROLES and role != "city" else "province"
