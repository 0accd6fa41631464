"""The look: Fusion, one accent colour and a small style sheet, light or dark.

Dark follows the system (Qt's colour scheme hint: the desktop's dark mode) unless
``ALEXPHONE_THEME=light|dark`` says otherwise. Both looks are one style sheet template
filled from a ``Colors`` set, so they never drift apart.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from enum import Enum

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

THEME_VARIABLE = "ALEXPHONE_THEME"


class Theme(Enum):
    """The window's look."""

    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True, slots=True)
class Colors:
    """The colours the style sheet and the palette are made of."""

    accent: str
    accent_hover: str
    danger: str
    danger_disabled: str
    window: str  # behind everything
    surface: str  # cards, lists, fields
    surface_alt: str  # alternate rows, hovered buttons, headers
    border: str
    field_border: str
    text: str
    muted: str
    banner: str
    banner_text: str
    banner_border: str


LIGHT = Colors(
    accent="#1f6f5c", accent_hover="#185a4b", danger="#b3261e", danger_disabled="#d9a19c",
    window="#f5f7f8", surface="#ffffff", surface_alt="#eef3f1", border="#dde3e7",
    field_border="#c9d2d8", text="#1d2a33", muted="#5f6b7a", banner="#fff4e5",
    banner_text="#6b4100", banner_border="#f3c98b",
)  # fmt: skip
DARK = Colors(
    accent="#3fa58b", accent_hover="#4fbb9f", danger="#e0584f", danger_disabled="#6e3b38",
    window="#15191c", surface="#1e2429", surface_alt="#262d33", border="#2f373e",
    field_border="#3d4750", text="#e3e8ec", muted="#9aa6b1", banner="#3a2c12",
    banner_text="#f3d29b", banner_border="#6b5226",
)  # fmt: skip
ACCENT, DANGER = LIGHT.accent, LIGHT.danger

TEMPLATE = """
QMainWindow, QDialog, QWizard {{ background: {window}; color: {text}; }}
QWidget#sidebar {{ background: {surface}; border-right: 1px solid {border}; }}
QLabel#appTitle {{ font-size: 15pt; font-weight: 600; color: {text}; }}
QLabel#hint {{ color: {muted}; }}
QLabel#dialError {{ color: {danger}; }}
QLabel#banner {{ background: {banner}; color: {banner_text}; border: 1px solid {banner_border};
    border-radius: 6px; padding: 8px 10px; }}
QLineEdit, QComboBox, QSpinBox, QPlainTextEdit {{ padding: 5px 8px;
    border: 1px solid {field_border}; border-radius: 6px; background: {surface}; color: {text};
    selection-background-color: {accent}; }}
QLineEdit:focus, QComboBox:focus {{ border: 1px solid {accent}; }}
QPushButton {{ padding: 6px 14px; border: 1px solid {field_border}; border-radius: 6px;
    background: {surface}; color: {text}; }}
QPushButton:hover {{ background: {surface_alt}; }}
QPushButton#callButton, QPushButton#answerButton {{ background: {accent}; color: white;
    border: 1px solid {accent}; font-weight: 600; }}
QPushButton#callButton:hover, QPushButton#answerButton:hover {{ background: {accent_hover}; }}
QPushButton#hangUpButton {{ background: {danger}; color: white; border: 1px solid {danger};
    font-weight: 600; }}
QPushButton#hangUpButton:disabled {{ background: {danger_disabled};
    border-color: {danger_disabled}; }}
QPushButton#padKey {{ font-size: 12pt; padding: 8px; }}
QFrame#callPanel, QFrame#idleCard {{ background: {surface}; border: 1px solid {border};
    border-radius: 10px; }}
QLabel#callRemote {{ font-size: 16pt; font-weight: 600; color: {text}; }}
QLabel#callAddress, QLabel#incomingAddress {{ color: {muted}; }}
QLabel#callState {{ font-size: 11pt; color: {accent}; }}
QLabel#callState[ended="true"] {{ color: {danger}; }}
QLabel#callTimer {{ font-size: 16pt; color: {text}; font-family: monospace; }}
QLabel#detailTitle, QLabel#incomingTitle {{ color: {muted}; }}
QLabel#incomingCaller {{ font-size: 15pt; font-weight: 600; }}
QListView, QTableView {{ border: 1px solid {border}; border-radius: 6px; background: {surface};
    color: {text}; alternate-background-color: {surface_alt};
    selection-background-color: {accent}; }}
QTabWidget::pane {{ border: none; }}
QTabBar::tab {{ padding: 7px 14px; border: none; color: {muted}; }}
QTabBar::tab:selected {{ color: {accent}; border-bottom: 2px solid {accent}; font-weight: 600; }}
QGroupBox {{ font-weight: 600; border: 1px solid {border}; border-radius: 8px; margin-top: 14px;
    background: {surface}; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; color: {text}; }}
QHeaderView::section {{ background: {surface_alt}; border: none; border-bottom: 1px solid {border};
    padding: 5px 6px; color: {text}; font-weight: 600; }}
QStatusBar {{ background: {surface}; border-top: 1px solid {border}; color: {text}; }}
QToolBar {{ background: {surface}; border-bottom: 1px solid {border}; spacing: 6px;
    padding: 4px; }}
"""


def style_sheet(colors: Colors) -> str:
    """The style sheet in ``colors``."""
    return TEMPLATE.format(**asdict(colors))


def system_theme(app: QApplication) -> Theme:
    """The theme asked for by ALEXPHONE_THEME, else the desktop's colour scheme."""
    asked = os.environ.get(THEME_VARIABLE, "").strip().lower()
    if asked in {theme.value for theme in Theme}:
        return Theme(asked)
    dark = app.styleHints().colorScheme() is Qt.ColorScheme.Dark
    return Theme.DARK if dark else Theme.LIGHT


def apply_style(app: QApplication, theme: Theme | None = None) -> Theme:
    """Give ``app`` the Alexphone look (the system's theme unless ``theme``); return it."""
    theme = theme if theme is not None else system_theme(app)
    colors = DARK if theme is Theme.DARK else LIGHT
    app.setStyle("Fusion")
    palette = QPalette()
    for role, value in (
        (QPalette.ColorRole.Window, colors.window),
        (QPalette.ColorRole.WindowText, colors.text),
        (QPalette.ColorRole.Base, colors.surface),
        (QPalette.ColorRole.AlternateBase, colors.surface_alt),
        (QPalette.ColorRole.Text, colors.text),
        (QPalette.ColorRole.Button, colors.surface),
        (QPalette.ColorRole.ButtonText, colors.text),
        (QPalette.ColorRole.ToolTipBase, colors.surface),
        (QPalette.ColorRole.ToolTipText, colors.text),
        (QPalette.ColorRole.Highlight, colors.accent),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.PlaceholderText, colors.muted),
    ):
        palette.setColor(role, QColor(value))
    app.setPalette(palette)
    app.setStyleSheet(style_sheet(colors))
    return theme
