"""What the benchmarks share: the machine they ran on, and writing a section of docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
# Every benchmark inbox is one 2023 round without year folders: say so to every process it starts.
os.environ.setdefault("LINGPAO_YEAR", "2023")


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or platform.machine(),
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GB, Python {platform.python_version()}"


def write_section(marker: str, text: str) -> None:
    """Replace the text between `<!-- MARKER -->` and `<!-- /MARKER -->` (appended if absent)."""
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    block = f"<!-- {marker} -->\n{text}\n<!-- /{marker} -->"
    if f"<!-- {marker} -->" in doc:
        head, rest = doc.split(f"<!-- {marker} -->", 1)
        doc = head + block + rest.split(f"<!-- /{marker} -->", 1)[1]
    else:
        doc = doc.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(doc, encoding="utf-8")
