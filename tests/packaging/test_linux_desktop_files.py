"""packaging/linux: the .desktop entry, the AppStream metainfo and the icon agree with each
other and with the package (console script name, version, icon file)."""

from __future__ import annotations

import configparser
import importlib.metadata
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from facealign_gui import __version__

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
DESKTOP = LINUX / "facealign-gui.desktop"
METAINFO = LINUX / "io.github.facealign_gui.metainfo.xml"
ICON = LINUX / "facealign-gui.svg"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(DESKTOP.read_text(encoding="utf-8"))
    return parser["Desktop Entry"]


def console_scripts() -> set[str]:
    """Names of the installed console scripts that run facealign_gui."""
    eps = importlib.metadata.entry_points(group="console_scripts")
    return {ep.name for ep in eps if ep.value.startswith("facealign_gui.")}


def test_the_desktop_entry_starts_the_console_script_with_the_icon_we_ship() -> None:
    entry = desktop_entry()
    command = entry["Exec"].split()[0]
    assert command in console_scripts()
    assert entry["Icon"] == ICON.stem
    assert entry["Type"] == "Application" and entry["Terminal"] == "false"
    assert entry["StartupWMClass"] == "facealign-gui"


def test_the_metainfo_names_the_desktop_file_the_binary_and_the_current_version() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("provides/binary") in console_scripts()
    assert root.findtext("icon") == ICON.stem
    versions = [r.get("version") for r in root.iter("release")]
    assert versions and versions[0] == __version__, "add a <release> for the new version"
    assert METAINFO.name == f"{root.findtext('id')}.metainfo.xml"


def test_the_icon_is_a_square_svg_and_the_package_carries_the_same_file() -> None:
    root = ET.parse(ICON).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    _, _, w, h = (float(v) for v in root.get("viewBox").split())
    assert w == h > 0
    packaged = ROOT / "facealign_gui" / "resources" / ICON.name
    assert packaged.read_bytes() == ICON.read_bytes()


@pytest.mark.parametrize(
    ("tool", "args", "path"),
    [
        ("desktop-file-validate", [], DESKTOP),
        ("appstreamcli", ["validate", "--no-net"], METAINFO),
    ],
)
def test_the_freedesktop_validators_accept_the_files(
    tool: str, args: list[str], path: Path
) -> None:
    exe = shutil.which(tool)
    if exe is None:
        pytest.skip(f"{tool} is not installed")
    done = subprocess.run([exe, *args, str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
