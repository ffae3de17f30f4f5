"""Set up Lingpao on a fresh machine (Python 3.11+ and pip only) and run it or its tests.

python3 bootstrap.py run    # .venv, sample inbox if data/inbox is empty, pipeline, dashboard
python3 bootstrap.py test   # .venv, browser for the page tests, ruff, import layers, all tests
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
UV_VERSION = "0.13.8"


def sh(*command: str | Path, **kwargs) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], check=True, cwd=ROOT, **kwargs)


def setup() -> None:
    """Create .venv and install exactly the locked dependencies (uv.lock) into it."""
    if sys.version_info < (3, 11):  # noqa: UP036 - bootstrap runs on whatever python3 is
        sys.exit(f"Lingpao needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        sh(sys.executable, "-m", "venv", VENV)
    if not (BIN / "uv").exists():
        sh(BIN / "python", "-m", "pip", "install", "--quiet", f"uv=={UV_VERSION}")
    env = dict(os.environ, UV_PROJECT_ENVIRONMENT=str(VENV))
    env.pop("VIRTUAL_ENV", None)
    sh(BIN / "uv", "sync", "--locked", "--python", BIN / "python", env=env)


def ensure_browser() -> None:
    """Debian's chromium and CJK fonts for the page screenshots (no browser is downloaded)."""
    if shutil.which("chromium") and Path("/usr/share/fonts/opentype/noto").exists():
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        sh("apt-get", "update", "-qq")
        sh(
            "apt-get",
            "install",
            "-y",
            "-qq",
            "chromium",
            "fonts-noto-cjk",
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
        )
    else:
        print(
            "chromium not found and cannot be installed here: browser tests will say so", flush=True
        )


def run_main() -> None:
    inbox = ROOT / "data" / "inbox"
    if not inbox.exists() or not any(inbox.rglob("*.*")):
        sh(BIN / "lingpao", "sample", "--out", inbox)
    sh(BIN / "lingpao", "run", "--inbox", inbox, "--warehouse", ROOT / "data" / "warehouse.duckdb")
    sh(
        BIN / "lingpao",
        "dashboard",
        "--warehouse",
        ROOT / "data" / "warehouse.duckdb",
        *sys.argv[2:],
    )


def run_tests() -> None:
    ensure_browser()
    sh(BIN / "ruff", "check", ".")
    sh(BIN / "ruff", "format", "--check", ".")
    sh(BIN / "lint-imports")  # the floors import downward only (pyproject.toml)
    workers = ["-n", "auto", "--dist", "loadfile"]  # every core; a module's tests on one worker
    sh(BIN / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *workers, *sys.argv[2:])


def main() -> None:
    task = sys.argv[1] if len(sys.argv) > 1 else ""
    if task not in {"run", "test"}:
        sys.exit(__doc__)
    setup()
    try:
        run_main() if task == "run" else run_tests()
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
