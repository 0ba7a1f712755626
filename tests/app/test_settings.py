"""Preferences round-trip through an ini file in tmp_path, never the user's settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow

from facealign_gui.app.settings import (
    DEFAULT_COLOURS,
    MAX_RECENT,
    Preferences,
    PreferencesDialog,
)


def _prefs(path: Path) -> Preferences:
    return Preferences(QSettings(str(path), QSettings.Format.IniFormat))


def test_preferences_round_trip_through_a_fresh_settings_object(tmp_path: Path) -> None:
    ini = tmp_path / "prefs.ini"
    p = _prefs(ini)
    p.set_colour("gt", "#123456")
    p.point_size = 7.5
    p.last_dataset = "/data/wflw/test.txt"
    p.last_model = "/models/hrnet.toml"
    p.sync()
    assert ini.is_file()
    q = _prefs(ini)
    assert q.colour("gt") == QColor("#123456")
    assert q.colour("prediction") == QColor(DEFAULT_COLOURS["prediction"])
    assert q.point_size == 7.5
    assert q.last_dataset == "/data/wflw/test.txt"
    assert q.last_model == "/models/hrnet.toml"


def test_defaults_apply_when_nothing_or_garbage_is_stored(tmp_path: Path) -> None:
    ini = tmp_path / "p.ini"
    ini.write_text("[colour]\ngt=not-a-colour\n\n[General]\npoint_size=huge\n")
    p = _prefs(ini)
    assert p.colour("gt") == QColor(DEFAULT_COLOURS["gt"])
    assert p.point_size == 4.0
    assert p.last_dataset is None
    assert p.recent_items() == []
    with pytest.raises(KeyError, match="unknown colour 'skin'"):
        p.colour("skin")
    with pytest.raises(ValueError, match="not a colour"):
        p.set_colour("gt", "blurple")


def test_recent_items_are_newest_first_deduplicated_and_capped(tmp_path: Path) -> None:
    p = _prefs(tmp_path / "p.ini")
    p.add_recent("a")
    assert p.recent_items() == ["a"]  # a single item survives the ini round trip as a list
    p.add_recent("b")
    p.add_recent("a")
    assert p.recent_items() == ["a", "b"]
    for i in range(12):
        p.add_recent(f"f{i}")
    items = _prefs(tmp_path / "p.ini").recent_items()
    assert len(items) == MAX_RECENT
    assert items[0] == "f11" and items[-1] == "f2"
    p.clear_recent()
    assert p.recent_items() == []


def test_window_geometry_and_dock_state_are_restored(qtbot, tmp_path: Path) -> None:
    def window() -> QMainWindow:
        w = QMainWindow()
        w.setCentralWidget(QLabel("centre"))
        dock = QDockWidget("Metrics")
        dock.setObjectName("metrics")
        dock.setWidget(QLabel("m"))
        w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        qtbot.addWidget(w)
        return w

    p = _prefs(tmp_path / "p.ini")
    w = window()
    w.resize(640, 480)
    w.show()
    w.findChild(QDockWidget, "metrics").hide()
    p.save_window(w)
    p.sync()
    assert not _prefs(tmp_path / "empty.ini").restore_window(window())
    w2 = window()
    assert _prefs(tmp_path / "p.ini").restore_window(w2)
    w2.show()
    assert w2.size().width() == 640
    assert w2.findChild(QDockWidget, "metrics").isHidden()


def test_preferences_dialog_writes_on_ok_and_not_on_cancel(qtbot, tmp_path: Path) -> None:
    p = _prefs(tmp_path / "p.ini")
    dlg = PreferencesDialog(p)
    qtbot.addWidget(dlg)
    dlg.colour_buttons["prediction"].set_colour(QColor("#00ff00"))
    dlg.point_size.setValue(9.0)
    dlg.reject()
    assert p.colour("prediction") == QColor(DEFAULT_COLOURS["prediction"])
    dlg2 = PreferencesDialog(p)
    qtbot.addWidget(dlg2)
    dlg2.colour_buttons["prediction"].set_colour(QColor("#00ff00"))
    dlg2.point_size.setValue(9.0)
    with qtbot.waitSignals([p.changed, p.changed], timeout=1000):
        dlg2.accept()
    assert p.colour("prediction") == QColor("#00ff00")
    assert p.point_size == 9.0
    dlg2.restore_defaults()
    assert dlg2.colour_buttons["prediction"].colour() == QColor(DEFAULT_COLOURS["prediction"])
