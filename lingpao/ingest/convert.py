"""Older Office and WPS formats (.doc, .wps, .et) read through LibreOffice, where the server has it.

Bureaus on WPS or older Office send the Word version of their table as `.doc` or `.wps`, or the
workbook as `.et`. LibreOffice (`soffice --headless --convert-to`) turns such a file into .docx or
.xlsx, which is then read as usual. The conversion runs on a copy in a private temporary folder,
with a profile of its own (macros disabled, never the server user's profile), under a time limit;
the folder and every process LibreOffice started are gone afterwards. Without LibreOffice the file
is reported with what to do.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from lingpao.ingest.safety import Refused

# suffix -> (the suffix LibreOffice recognises the content by, the format to convert to)
OLD_FORMATS = {".doc": (".doc", "docx"), ".wps": (".doc", "docx"), ".et": (".xls", "xlsx")}
TIMEOUT_SECONDS = 60
PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseLocking" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""
INSTALL_HINT = (
    "服务器上安装 LibreOffice 后可自动转换"
    "（Debian：apt-get install libreoffice-writer-nogui libreoffice-calc-nogui）"
)


def soffice() -> str | None:
    """The LibreOffice program on this server, if any."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def needs_conversion(path: Path) -> bool:
    return path.suffix.lower() in OLD_FORMATS


def modern_suffix(path: Path) -> str:
    return f".{OLD_FORMATS[path.suffix.lower()][1]}"


def conversion_note(path: Path) -> str:
    """What the file's reason says about a converted file."""
    return f"{path.suffix.lower()} 文件已由 LibreOffice 转换为 {modern_suffix(path)} 后读取"


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def converted(path: Path, timeout: float = TIMEOUT_SECONDS) -> Iterator[Path]:
    """A .docx or .xlsx made from an old-format file, valid while the context is open; Refused
    (with what to do) when LibreOffice is missing, too slow, or cannot read the file."""
    suffix = path.suffix.lower()
    save_as = "docx" if OLD_FORMATS[suffix][1] == "docx" else "xlsx"
    program = soffice()
    if program is None:
        raise Refused(
            f"{suffix} 是旧版 Office/WPS 格式，本服务器未安装 LibreOffice，无法转换；"
            f"请用 WPS 或 Word/Excel 打开后另存为 .{save_as} 再放入（{INSTALL_HINT}）"
        )
    with tempfile.TemporaryDirectory(prefix="lingpao-convert-") as folder:
        base = Path(folder)
        source = base / f"table{OLD_FORMATS[suffix][0]}"
        shutil.copyfile(path, source)
        (base / "profile" / "user").mkdir(parents=True)
        (base / "profile" / "user" / "registrymodifications.xcu").write_text(
            PROFILE, encoding="utf-8"
        )
        command = [
            program,
            f"-env:UserInstallation={(base / 'profile').as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            "--nolockcheck",
            "--convert-to",
            OLD_FORMATS[suffix][1],
            "--outdir",
            str(base / "out"),
            str(source),
        ]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(base),
            "LANG": "C.UTF-8",
        }
        process = subprocess.Popen(
            command,
            cwd=base,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own group: everything it starts is stopped with it
        )
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Refused(
                f"{suffix} 文件转换超时（超过 {timeout:.0f} 秒），未读取；"
                f"请另存为 .{save_as} 后重新放入"
            ) from None
        finally:
            _kill_group(process)
            process.wait()
        result = base / "out" / f"table.{OLD_FORMATS[suffix][1]}"
        if process.returncode != 0 or not result.is_file() or result.stat().st_size == 0:
            raise Refused(
                f"{suffix} 文件无法由 LibreOffice 转换（可能已损坏或不是 Office/WPS 文件）；"
                f"请另存为 .{save_as} 后重新放入"
            )
        yield result
