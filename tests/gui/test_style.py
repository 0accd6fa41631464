"""The look follows the desktop's light or dark scheme; ALEXPHONE_THEME overrides it."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from alexphone.gui.style import DARK, LIGHT, Theme, apply_style, style_sheet, system_theme


def test_the_dark_theme_gives_a_dark_palette_and_style_sheet(qtbot: QtBot) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        assert apply_style(app, Theme.DARK) is Theme.DARK
        window = app.palette().color(QPalette.ColorRole.Window)
        text = app.palette().color(QPalette.ColorRole.WindowText)
        assert window.lightness() < 50 < 200 < text.lightness()
        assert DARK.surface in app.styleSheet() and LIGHT.surface not in app.styleSheet()
    finally:
        apply_style(app, Theme.LIGHT)
    assert app.palette().color(QPalette.ColorRole.Window).lightness() > 200


def test_the_environment_picks_the_theme(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    monkeypatch.setenv("ALEXPHONE_THEME", "dark")
    assert system_theme(app) is Theme.DARK
    monkeypatch.setenv("ALEXPHONE_THEME", "light")
    assert system_theme(app) is Theme.LIGHT


def test_both_looks_fill_every_colour_of_the_template() -> None:
    for colors in (LIGHT, DARK):
        sheet = style_sheet(colors)
        assert "{" in sheet and "{accent}" not in sheet and colors.accent in sheet
