"""The users file beside the warehouse: sign-in id → role, unit, name, password hash; validated both ways.

Anything invalid fails closed: `load_users` raises `UsersFileError` (a message naming the entry and
the problem), and the dashboard then shows no data to anyone.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from lingpao.access.roles import PERMISSIONS, ROLE_LABELS
from lingpao.access.viewer import Viewer

KEYS = {"id", "role", "unit", "name", "password_hash"}
MAX_ID = 200


class UsersFileError(ValueError):
    """The users file cannot be trusted: bad JSON, unknown key or role, a city without a valid unit."""


@dataclass(frozen=True)
class User:
    """One person allowed in: sign-in id (e-mail or directory id), role, unit of a city bureau."""

    id: str
    role: str
    unit: str | None = None
    name: str | None = None
    password_hash: str | None = None

    def viewer(self, via: str) -> Viewer:
        return Viewer(id=self.id, role=self.role, unit=self.unit, name=self.name or "", via=via)


def normalise_id(text: str) -> str:
    """Sign-in ids compare case-insensitively and without surrounding spaces."""
    return (text or "").strip().lower()


def check_user(entry: object, units: list[str], where: str) -> User:
    """One entry of the file as a User, or UsersFileError saying what is wrong with it."""
    if not isinstance(entry, dict):
        raise UsersFileError(f'{where}不是对象（应为 {{"id": …, "role": …}}）')
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise UsersFileError(f"{where}有未知字段：{'、'.join(map(str, unknown))}")
    ident = entry.get("id")
    if not isinstance(ident, str) or not ident.strip() or len(ident) > MAX_ID:
        raise UsersFileError(f"{where}缺少有效的 id（登录标识）")
    if normalise_id(ident) != ident:
        raise UsersFileError(f"{where}的 id“{ident}”应为小写且无首尾空格")
    role = entry.get("role")
    if role not in PERMISSIONS:
        raise UsersFileError(
            f"{where}（{ident}）的角色“{role}”未知；可选：{'、'.join(ROLE_LABELS)}"
        )
    unit = entry.get("unit")
    if role == "city":
        if unit not in units:
            raise UsersFileError(
                f"{where}（{ident}）是市级用户，unit 应为14个报送单位之一，而不是“{unit}”"
            )
    elif unit is not None:
        raise UsersFileError(f"{where}（{ident}）不是市级用户，不能指定 unit")
    for key in ("name", "password_hash"):
        value = entry.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 500):
            raise UsersFileError(f"{where}（{ident}）的 {key} 无效")
    hashed = entry.get("password_hash")
    if hashed is not None and not hashed.startswith(("$argon2", "$2b$", "$2a$", "$2y$")):
        raise UsersFileError(f"{where}（{ident}）的 password_hash 不是 argon2 或 bcrypt 哈希")
    return User(id=ident, role=role, unit=unit, name=entry.get("name"), password_hash=hashed)


def parse_users(text: str, units: list[str], source: str = "用户文件") -> dict[str, User]:
    """Users by id from the file's text; UsersFileError on anything invalid."""
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsersFileError(
            f"{source}不是有效的 JSON（第{error.lineno}行第{error.colno}列：{error.msg}）"
        ) from None
    if not isinstance(entries, list):
        raise UsersFileError(f"{source}应为用户列表（JSON 数组）")
    users: dict[str, User] = {}
    for number, entry in enumerate(entries, start=1):
        user = check_user(entry, units, f"{source}第{number}个用户")
        if user.id in users:
            raise UsersFileError(f"{source}中用户“{user.id}”出现了两次")
        users[user.id] = user
    return users


def load_users(path: Path, units: list[str]) -> dict[str, User] | None:
    """Users by id; None when there is no users file (the dashboard then serves this machine only)."""
    if not path.exists() and not path.is_symlink():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsersFileError(f"用户文件 {path} 无法读取（{type(error).__name__}）") from None
    return parse_users(text, units, f"用户文件 {path.name} ")


def save_users(path: Path, users: dict[str, User], units: list[str]) -> None:
    """Validate every entry, then replace the file atomically (readable by its owner only)."""
    entries = [
        {k: v for k, v in asdict(u).items() if v is not None}
        for u in sorted(users.values(), key=lambda u: u.id)
    ]
    text = json.dumps(entries, ensure_ascii=False, indent=1)
    parse_users(text, units)  # never write what would not load
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        handle.write(text)
    os.replace(temporary, path)
