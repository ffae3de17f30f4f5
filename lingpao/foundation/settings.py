"""Every `LINGPAO_*` environment variable, read in this one place (README: 环境变量)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

VARIABLES = {
    "LINGPAO_INBOX": "the inbox folder (default data/inbox)",
    "LINGPAO_WAREHOUSE": "the warehouse file (default data/warehouse.duckdb)",
    "LINGPAO_CORRECTIONS": "the corrections store (default corrections.sqlite beside the warehouse)",
    "LINGPAO_USERS": "the users file (default users.json beside the warehouse)",
    "LINGPAO_YEAR": "the round a command works on (default the newest programme file's year)",
    "LINGPAO_PROGRAMMES": "the folder of the round files <year>.toml (default data/programme/)",
    "LINGPAO_USER": "who acts at the command line (default the login name)",
    "LINGPAO_SENSOR_SECONDS": "how often the re-check sensor looks at the inbox (default 60)",
    "LINGPAO_MAX_INFLATED_MB": "how far a zip-based file may inflate (default 1024)",
    "LINGPAO_MAX_ZIP_RATIO": "the compression ratio a large member may have (default 100)",
    "LINGPAO_AUTH": "sign-in mode: password (default), oidc or header",
    "LINGPAO_AUTH_HEADER": "header mode: the gateway's header (default X-Remote-User)",
    "LINGPAO_AUTH_PROXIES": "header mode: the gateway's addresses (required)",
    "LINGPAO_SESSION_HOURS": "password mode: session lifetime (default 8)",
    "LINGPAO_IDLE_MINUTES": "password mode: idle time before signing out (default 60)",
    "LINGPAO_DEBUG": "the command line shows a traceback for an unexpected error (default off)",
}


@dataclass(frozen=True)
class Settings:
    """The variables as set (empty strings count as unset); interpretation is left to their users."""

    values: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls({k: v for k, v in env.items() if k.startswith("LINGPAO_") and v.strip()})

    def get(self, name: str, default: str | None = None) -> str | None:
        if name not in VARIABLES:
            raise KeyError(f"{name} is not a Lingpao setting")
        return self.values.get(name, default)

    def number(self, name: str, default: float) -> float:
        value = self.get(name)
        try:
            return float(value) if value is not None else default
        except ValueError:
            raise ValueError(f"{name}=“{value}”应为数字") from None
