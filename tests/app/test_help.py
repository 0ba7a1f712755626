"""The Help menu lists every key, shows a guide, and names versions and licences."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMainWindow

from facealign_gui import __version__
from facealign_gui.app import help as help_
from facealign_gui.app.live_view import LIVE_SHORTCUTS
from facealign_gui.app.shortcuts import SHORTCUTS


def test_shortcut_sheet_lists_every_main_window_key_and_the_help_keys(qtbot) -> None:
    sheet = help_.ShortcutSheet()
    qtbot.addWidget(sheet)
    listed = sheet.actions_listed()
    for _, what in SHORTCUTS + help_.HELP_SHORTCUTS:
        assert what in listed
    titles = [t for t, _ in help_.shortcut_sections()]
    assert titles[0] == "Main window" and "Live view" in titles
    for _, what in LIVE_SHORTCUTS:
        assert what in listed


def test_dependency_licences_come_from_the_installed_metadata() -> None:
    infos = {i.name: i for i in help_.dependency_infos()}
    assert infos["numpy"].version == metadata.version("numpy")
    assert "BSD" in infos["numpy"].licence
    assert "LGPL" in infos["PySide6-Essentials"].licence
    assert "Apache" in infos["opencv-python-headless"].licence
    assert "MIT" in infos["onnxruntime"].licence
    assert "MIT" in infos["pyqtgraph"].licence
    assert "BSD" in infos["pandas"].licence and "BSD" in infos["h5py"].licence


def test_about_box_shows_the_version_icon_libraries_and_model_notice(qtbot) -> None:
    about = help_.AboutDialog()
    qtbot.addWidget(about)
    assert __version__ in about.title.text()
    assert help_.icon_path() is not None
    assert about.icon.pixmap() is not None and not about.icon.pixmap().isNull()
    names = [about.libraries.item(r, 0).text() for r in range(about.libraries.rowCount())]
    assert "onnxruntime" in names and "PySide6-Essentials" in names
    notice = about.notice.toPlainText()
    if (help_.PACKAGE_DIR / "models" / "NOTICE").is_file():
        assert "Apache" in notice
    else:
        assert "NOTICE file" in notice and "missing" in notice


def test_guide_renders_a_markdown_file_or_falls_back_to_the_built_in_text(
    qtbot, tmp_path: Path
) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text("# My guide\n\nPress **F1**.\n")
    dlg = help_.GuideDialog(guide=guide)
    qtbot.addWidget(dlg)
    assert dlg.source == guide
    assert "My guide" in dlg.browser.toPlainText()
    fallback = help_.GuideDialog(guide=tmp_path / "absent.md")
    qtbot.addWidget(fallback)
    assert fallback.source is None
    assert "Inspect a model's errors" in fallback.browser.toPlainText()


def test_help_menu_actions_open_their_dialogs_once(qtbot) -> None:
    win = QMainWindow()
    qtbot.addWidget(win)
    menu = help_.HelpMenu(win.menuBar().addMenu("&Help"), win)
    assert menu.shortcuts.shortcut().toString() == "F1"
    menu.shortcuts.trigger()
    first = menu.dialogs["shortcuts"]
    assert first.isVisible()
    menu.shortcuts.trigger()
    assert menu.dialogs["shortcuts"] is first
    menu.about.trigger()
    menu.guide.trigger()
    assert set(menu.dialogs) == {"shortcuts", "about", "guide"}
    for d in menu.dialogs.values():
        d.close()


def test_labelling_keys_are_listed_when_the_labelling_module_exposes_them(qtbot) -> None:
    keys = pytest.importorskip("facealign_gui.app.labelling_keys")
    sheet = help_.ShortcutSheet()
    qtbot.addWidget(sheet)
    listed = sheet.actions_listed()
    assert all(what in listed for _, what in keys.LABELLING_SHORTCUTS)
