"""Password hashes for the built-in sign-in: argon2id through pwdlib (a well-kept library)."""

from __future__ import annotations

from functools import lru_cache

from pwdlib import PasswordHash

MIN_LENGTH = 10


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()  # argon2id with the library's current parameters


@lru_cache(maxsize=1)
def _decoy() -> str:
    return _hasher().hash("lingpao-decoy-password")


def hash_password(password: str) -> str:
    """The hash to store in the users file; ValueError when the password is too short."""
    if len(password or "") < MIN_LENGTH:
        raise ValueError(f"密码至少 {MIN_LENGTH} 个字符")
    return _hasher().hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    """True when `password` matches; takes as long for an account without a hash (no timing hint)."""
    try:
        matched = _hasher().verify(password or "", hashed or _decoy())
    except Exception:  # a damaged hash never signs anyone in
        return False
    return matched and hashed is not None
