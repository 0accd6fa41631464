"""The look: Fusion with a calm light palette and a small style sheet (one accent colour)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#1f6f5c"
DANGER = "#b3261e"

STYLE_SHEET = f"""
QMainWindow, QDialog {{ background: #f5f7f8; }}
QWidget#sidebar {{ background: #ffffff; border-right: 1px solid #dde3e7; }}
QLabel#appTitle {{ font-size: 15pt; font-weight: 600; color: #1d2a33; }}
QLabel#hint {{ color: #5f6b7a; }}
QLabel#dialError {{ color: {DANGER}; }}
QLabel#banner {{ background: #fff4e5; color: #6b4100; border: 1px solid #f3c98b;
    border-radius: 6px; padding: 8px 10px; }}
QLineEdit, QComboBox, QSpinBox, QPlainTextEdit {{ padding: 5px 8px; border: 1px solid #c9d2d8;
    border-radius: 6px; background: #ffffff; selection-background-color: {ACCENT}; }}
QLineEdit:focus, QComboBox:focus {{ border: 1px solid {ACCENT}; }}
QPushButton {{ padding: 6px 14px; border: 1px solid #c9d2d8; border-radius: 6px;
    background: #ffffff; }}
QPushButton:hover {{ background: #eef3f1; }}
QPushButton#callButton, QPushButton#answerButton {{ background: {ACCENT}; color: white;
    border: 1px solid {ACCENT}; font-weight: 600; }}
QPushButton#callButton:hover, QPushButton#answerButton:hover {{ background: #185a4b; }}
QPushButton#hangUpButton {{ background: {DANGER}; color: white; border: 1px solid {DANGER};
    font-weight: 600; }}
QPushButton#hangUpButton:disabled {{ background: #d9a19c; border-color: #d9a19c; }}
QPushButton#padKey {{ font-size: 12pt; padding: 8px; }}
QFrame#callPanel {{ background: #ffffff; border: 1px solid #dde3e7; border-radius: 10px; }}
QFrame#idleCard {{ background: #ffffff; border: 1px solid #dde3e7; border-radius: 10px; }}
QLabel#callRemote {{ font-size: 16pt; font-weight: 600; color: #1d2a33; }}
QLabel#callState {{ font-size: 11pt; color: {ACCENT}; }}
QLabel#callState[ended="true"] {{ color: {DANGER}; }}
QLabel#callTimer {{ font-size: 16pt; color: #1d2a33; font-family: monospace; }}
QLabel#detailTitle {{ color: #5f6b7a; }}
QLabel#incomingTitle {{ color: #5f6b7a; }}
QLabel#incomingCaller {{ font-size: 15pt; font-weight: 600; }}
QListView, QTableView {{ border: 1px solid #dde3e7; border-radius: 6px; background: #ffffff;
    alternate-background-color: #f7f9fa; selection-background-color: {ACCENT}; }}
QTabWidget::pane {{ border: none; }}
QTabBar::tab {{ padding: 7px 14px; border: none; color: #5f6b7a; }}
QTabBar::tab:selected {{ color: {ACCENT}; border-bottom: 2px solid {ACCENT}; font-weight: 600; }}
QGroupBox {{ font-weight: 600; border: 1px solid #dde3e7; border-radius: 8px; margin-top: 14px;
    background: #ffffff; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; padding: 0 4px; color: #1d2a33; }}
QHeaderView::section {{ background: #f0f3f5; border: none; border-bottom: 1px solid #dde3e7;
    padding: 5px 6px; color: #3c4854; font-weight: 600; }}
QStatusBar {{ background: #ffffff; border-top: 1px solid #dde3e7; color: #3c4854; }}
QToolBar {{ background: #ffffff; border-bottom: 1px solid #dde3e7; spacing: 6px; padding: 4px; }}
"""


def apply_style(app: QApplication) -> None:
    """Give ``app`` the Alexphone look."""
    app.setStyle("Fusion")
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#f5f7f8"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.PlaceholderText, QColor("#7a8692"))
    app.setPalette(palette)
    app.setStyleSheet(STYLE_SHEET)
