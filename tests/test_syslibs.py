"""Missing X11 libraries are named with the package to install, before Qt aborts."""

from __future__ import annotations

from pathlib import Path

from facealign_gui.syslibs import XCB_LIBRARIES, install_hint, missing_xcb_libraries, uses_xcb

ROOT = Path(__file__).resolve().parents[1]


def test_a_library_that_cannot_be_loaded_is_named_with_its_package() -> None:
    missing = missing_xcb_libraries({"libc.so.6": "libc6", "libnot-there.so.9": "not-there9"})
    assert missing == {"libnot-there.so.9": "not-there9"}
    hint = install_hint(missing)
    assert "libnot-there.so.9" in hint and "apt-get install not-there9" in hint


def test_xcb_is_detected_from_the_environment() -> None:
    assert uses_xcb({"QT_QPA_PLATFORM": "xcb"})
    assert not uses_xcb({"QT_QPA_PLATFORM": "offscreen", "DISPLAY": ":0"})
    assert uses_xcb({"DISPLAY": ":1"})
    assert not uses_xcb({"DISPLAY": ":1", "WAYLAND_DISPLAY": "wayland-0"})
    assert not uses_xcb({})


def test_the_library_table_and_the_package_list_agree() -> None:
    listed = (ROOT / "packaging" / "debian-packages.txt").read_text().split()
    assert sorted(set(XCB_LIBRARIES.values())) == sorted(listed)
