"""Paints list rows as a bold title, a grey subtitle and an optional pill badge on the right."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from alexphone.gui.roles import ItemRole

Index = QModelIndex | QPersistentModelIndex
PADDING = 8
BADGE_COLORS = {
    "on your LAN": QColor("#1f6f5c"),
    "ALEX": QColor("#1f6f5c"),
    "in": QColor("#1f6f5c"),
    "out": QColor("#3b5b92"),
}
DEFAULT_BADGE = QColor("#5f6b7a")


class TwoLineDelegate(QStyledItemDelegate):
    """Title from DisplayRole, subtitle from ItemRole.SUBTITLE, badge from ItemRole.BADGE."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        """Return a row tall enough for two lines of text."""
        del index
        metrics = QFontMetrics(option.font)
        return QSize(200, metrics.height() * 2 + PADDING * 2 + 2)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        """Draw the row: selection background, title, subtitle, badge."""
        painter.save()
        rect: QRect = option.rect
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter)
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        title = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        subtitle = str(index.data(ItemRole.SUBTITLE) or "")
        badge = str(index.data(ItemRole.BADGE) or "")
        font = QFont(option.font)
        metrics = QFontMetrics(font)
        inner = rect.adjusted(PADDING + 4, PADDING, -PADDING, -PADDING)
        badge_width = 0
        if badge:
            badge_font = QFont(font)
            badge_font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
            badge_metrics = QFontMetrics(badge_font)
            badge_width = badge_metrics.horizontalAdvance(badge) + 16
            pill = QRect(
                inner.right() - badge_width,
                rect.center().y() - badge_metrics.height() // 2 - 2,
                badge_width,
                badge_metrics.height() + 4,
            )
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(BADGE_COLORS.get(badge, DEFAULT_BADGE))
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.setFont(badge_font)
            painter.setPen(QColor("white"))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, badge)
            badge_width += PADDING
        text_width = inner.width() - badge_width
        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(palette.color(text_role))
        top = QRect(inner.left(), inner.top(), text_width, metrics.height())
        elided = QFontMetrics(bold).elidedText(title, Qt.TextElideMode.ElideRight, text_width)
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided)
        painter.setFont(font)
        if not selected:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        bottom = QRect(
            inner.left(), inner.top() + metrics.height() + 2, text_width, metrics.height()
        )
        elided = metrics.elidedText(subtitle, Qt.TextElideMode.ElideMiddle, text_width)
        painter.drawText(bottom, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided)
        painter.restore()
