"""LibreOffice for the tests that open perfeval's outputs in it (each skips itself where it is not installed)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def _utf8_locale(env: dict[str, str]) -> bool:
    """Whether ``env`` names a UTF-8 locale for characters (LC_ALL before LC_CTYPE before LANG)."""
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        if env.get(name):
            return "utf-8" in env[name].lower().replace("utf8", "utf-8")
    return False


def run_soffice(soffice: str, profile: Path, *args: str) -> None:
    """``soffice --headless args…`` with its own profile folder, under a UTF-8 locale: with none (a bare
    machine without LANG, or LC_ALL=C) it cannot write an output named after a sheet like 项目支出绩效自评表,
    and writes nothing at all without saying so. A UTF-8 locale already set (zh_CN.UTF-8) is kept."""
    env = dict(os.environ) if _utf8_locale(os.environ) else {**os.environ, "LC_ALL": "C.UTF-8"}
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{profile}", *args],
                   check=True, capture_output=True, timeout=180, env=env)
