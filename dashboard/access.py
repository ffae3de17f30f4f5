"""The viewer of this session and what their role may open: pages, and the units they see."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from assets.users import default_role, load_users, users_path
from dashboard.data import ALL_UNITS, Scope
from pipelines.resources import warehouse_path

PAGES_FOR = {
    "province": {"progress", "quality", "queue", "shortlist", "clusters"},
    "steward": {"progress", "quality", "queue", "shortlist", "clusters"},
    "leadership": {"progress", "shortlist", "clusters"},
    "city": {"progress", "quality", "queue"},
}


@dataclass(frozen=True)
class Viewer:
    """Who is looking: their sign-in id and name, role, and for a city bureau its unit."""

    id: str
    name: str
    role: str
    unit: str | None = None

    @property
    def scope(self) -> Scope:
        return Scope(self.unit) if self.role == "city" else ALL_UNITS


def _identity() -> tuple[str, str]:
    try:
        user = st.user.to_dict()
    except Exception:  # no sign-in configured
        user = {}
    ident = str(user.get("email") or user.get("name") or "")
    return ident, str(user.get("name") or ident)


def current_viewer() -> Viewer | None:
    """The viewer from the sign-in and the users file; None when a users file exists and lacks them."""
    ident, name = _identity()
    users = load_users(users_path(warehouse_path()))
    if users is None:
        return Viewer(id=ident, name=name, role=default_role())
    user = users.get(ident.lower()) if ident else None
    if user is None:
        return None
    return Viewer(id=user.id, name=user.name or name, role=user.role, unit=user.unit)


def viewer() -> Viewer:
    """The viewer the entry point resolved for this run."""
    return st.session_state["viewer"]
