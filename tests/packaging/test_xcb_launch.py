"""The window opens on the real X11 (xcb) platform, not only offscreen.

Qt's xcb plugin needs system libraries a minimal Debian lacks (`packaging/debian-packages.txt`,
the list README's apt-get line and `.ci/run` install). This launches the real app under Xvfb
with ``QT_QPA_PLATFORM=xcb`` and a quit-after timer. It skips on a machine without
``xvfb-run``, except in CI, where a skip would hide a missing package: there it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _packages() -> list[str]:
    text = (ROOT / "packaging" / "debian-packages.txt").read_text()
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def test_the_window_starts_and_quits_on_the_xcb_platform_under_xvfb(tmp_path: Path) -> None:
    if shutil.which("xvfb-run") is None:
        if os.environ.get("CI"):
            pytest.fail("xvfb-run is missing in CI: .ci/run must install xvfb")
        pytest.skip("xvfb-run is not installed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QT_")}
    env.update(
        QT_QPA_PLATFORM="xcb",
        FACEALIGN_GUI_QUIT_AFTER_MS="1500",
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    proc = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1280x800x24",
            sys.executable,
            "-m",
            "facealign_gui.cli",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "could not load the Qt platform plugin" not in proc.stderr


def test_readme_apt_line_and_ci_install_the_same_system_packages() -> None:
    wanted = set(_packages())
    readme = (ROOT / "README.md").read_text()
    lines = [ln for ln in readme.splitlines() if "apt-get install" in ln]
    assert lines, "README names no apt-get install line"
    for line in lines:
        named = set(re.findall(r"\blib[\w.+-]+", line))
        assert wanted <= named, f"README's apt line lacks {sorted(wanted - named)}"
    assert "xvfb" in lines[-1].split(), "the test command must install Xvfb for the xcb test"


def test_ci_runs_the_readme_test_command_read_from_the_readme() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "README.md" in ci and 'eval "$cmd"' in ci
    blocks = re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)
    assert len(blocks) >= 2 and "pytest" in blocks[1] and "facealign-gui" in blocks[0]
