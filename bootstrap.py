"""Set up Lingpao on a fresh machine (Python 3.11+ and pip only) and run it or its tests.

python3 bootstrap.py run    # .venv, sample inbox if data/inbox is empty, pipeline, dashboard
python3 bootstrap.py test   # .venv, browser and LibreOffice for the tests, ruff, import layers, all tests
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
    # Bytecode compiled once here: where PYTHONDONTWRITEBYTECODE is set (as on some build machines)
    # every process would otherwise compile each module again (importing Dagster took 11 s, not 5).
    sh(BIN / "uv", "sync", "--locked", "--compile-bytecode", "--python", BIN / "python", env=env)
    sh(
        BIN / "python",
        "-m",
        "compileall",
        "-q",
        "-j",
        "0",
        "lingpao",
        "tests",
        "bench",
        stdout=subprocess.DEVNULL,
    )


SYSTEM_PACKAGES = {  # Debian's: nothing is downloaded from elsewhere
    "chromium": "chromium",  # the page tests' browser
    "fonts-noto-cjk": "/usr/share/fonts/opentype/noto",  # Chinese text in the screenshots
    "libreoffice-writer-nogui": "soffice",  # .doc/.wps tables (and rendering documents to PDF)
    "libreoffice-calc-nogui": "/usr/lib/libreoffice/program/libsclo.so",  # .et tables
}


def ensure_system_packages() -> None:
    """Debian's chromium, CJK fonts and LibreOffice for the tests (installed when root)."""
    missing = [
        package
        for package, present in SYSTEM_PACKAGES.items()
        if not (Path(present).exists() if present.startswith("/") else shutil.which(present))
    ]
    if not missing:
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        sh("apt-get", "update", "-qq")
        sh(
            "apt-get",
            "install",
            "-y",
            "-qq",
            *missing,
            env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
        )
    else:
        print(
            f"not installed and cannot be installed here: {', '.join(missing)}; "
            "the tests that need them will say so",
            flush=True,
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
    ensure_system_packages()
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
