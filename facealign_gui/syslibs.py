"""Which system libraries Qt's X11 (xcb) platform needs and which of them are missing.

When one is missing Qt aborts with "could not load the Qt platform plugin xcb" and names
``libxcb-cursor0`` whatever the missing library is. `missing_xcb_libraries` finds the real
ones first, so the window can say exactly what to install. No Qt import here.
"""

from __future__ import annotations

import ctypes
import os

#: shared library -> the Debian/Ubuntu package that ships it (packaging/debian-packages.txt)
XCB_LIBRARIES: dict[str, str] = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
}


def uses_xcb(environ: dict[str, str] | None = None) -> bool:
    """True when Qt will pick its xcb platform: asked for, or the default on an X display."""
    env = os.environ if environ is None else environ
    platform = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    if platform:
        return platform == "xcb"
    return bool(env.get("DISPLAY")) and not env.get("WAYLAND_DISPLAY")


def missing_xcb_libraries(libraries: dict[str, str] | None = None) -> dict[str, str]:
    """The libraries of ``libraries`` (default `XCB_LIBRARIES`) that cannot be loaded."""
    missing = {}
    for soname, package in (XCB_LIBRARIES if libraries is None else libraries).items():
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing[soname] = package
    return missing


def install_hint(missing: dict[str, str]) -> str:
    """A message naming the missing libraries and the apt-get line that installs them."""
    names = ", ".join(missing)
    packages = " ".join(dict.fromkeys(missing.values()))
    return (
        f"facealign-gui: the window cannot open: Qt's X11 platform needs {names}, which this "
        f"system lacks. On Debian/Ubuntu: sudo apt-get install {packages}\n"
        "(The headless commands, e.g. 'facealign-gui eval', work without them.)"
    )
