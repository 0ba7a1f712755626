"""packaging/install-linux.sh, run on a stand-in for the unpacked release folder: it links the
program into ~/.local/bin, installs a menu entry that starts *this* folder's program, and
--uninstall takes everything back out."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "install-linux.sh"
LINUX = ROOT / "packaging" / "linux"


@pytest.fixture
def release(tmp_path: Path) -> Path:
    """An unpacked release as packaging/smoke.sh lays it out, with a stub program."""
    folder = tmp_path / "unpacked here" / "facealign-gui"  # a space, as in "My Downloads"
    (folder / "share").mkdir(parents=True)
    program = folder / "facealign-gui"
    program.write_text('#!/bin/sh\necho stub facealign-gui "$@"\n')
    program.chmod(0o755)
    for name in (
        "facealign-gui.desktop",
        "facealign-gui.svg",
        "io.github.facealign_gui.metainfo.xml",
    ):
        shutil.copy(LINUX / name, folder / "share" / name)
    shutil.copy(SCRIPT, folder / "install.sh")
    return folder


def run(release: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run(
        ["bash", str(release / "install.sh"), *args],
        env=env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


def test_install_links_the_program_and_adds_a_menu_entry_that_starts_it(
    release: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    done = run(release, home)
    assert done.returncode == 0, done.stderr
    link = home / ".local" / "bin" / "facealign-gui"
    assert link.is_symlink() and link.resolve() == (release / "facealign-gui").resolve()
    out = subprocess.run([str(link), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "stub facealign-gui --version"
    desktop = home / ".local" / "share" / "applications" / "facealign-gui.desktop"
    exec_line = next(x for x in desktop.read_text().splitlines() if x.startswith("Exec="))
    assert exec_line == f'Exec="{release / "facealign-gui"}" %f'
    icon = home / ".local/share/icons/hicolor/scalable/apps/facealign-gui.svg"
    assert icon.read_bytes() == (LINUX / "facealign-gui.svg").read_bytes()
    assert (home / ".local/share/metainfo/io.github.facealign_gui.metainfo.xml").is_file()
    validator = shutil.which("desktop-file-validate")
    if validator:
        check = subprocess.run([validator, str(desktop)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_uninstall_removes_the_link_entry_and_icon_but_not_the_folder(
    release: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    assert run(release, home).returncode == 0
    done = run(release, home, "--uninstall")
    assert done.returncode == 0, done.stderr
    assert not (home / ".local" / "bin" / "facealign-gui").exists()
    assert not (home / ".local/share/applications/facealign-gui.desktop").exists()
    assert not (home / ".local/share/icons/hicolor/scalable/apps/facealign-gui.svg").exists()
    assert (release / "facealign-gui").is_file()


def test_install_refuses_to_replace_a_program_that_is_not_its_link(
    release: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    other = home / ".local" / "bin" / "facealign-gui"
    other.parent.mkdir(parents=True)
    other.write_text("#!/bin/sh\n# a pip-installed console script\n")
    done = run(release, home)
    assert done.returncode == 1
    assert "not a link" in done.stderr
    assert "pip-installed" in other.read_text()
