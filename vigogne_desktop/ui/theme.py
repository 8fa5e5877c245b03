"""Light and dark themes (Fusion with our palettes), following the system unless chosen."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

_COLOURS = {
    # role: (light, dark)
    QPalette.ColorRole.Window: ("#f6f5f2", "#1f2023"),
    QPalette.ColorRole.WindowText: ("#1d1d1f", "#e8e6e3"),
    QPalette.ColorRole.Base: ("#ffffff", "#2a2b2f"),
    QPalette.ColorRole.AlternateBase: ("#efede8", "#303137"),
    QPalette.ColorRole.Text: ("#1d1d1f", "#e8e6e3"),
    QPalette.ColorRole.Button: ("#ecebe7", "#33353a"),
    QPalette.ColorRole.ButtonText: ("#1d1d1f", "#e8e6e3"),
    QPalette.ColorRole.Highlight: ("#2f6fdd", "#4f8cf0"),
    QPalette.ColorRole.HighlightedText: ("#ffffff", "#ffffff"),
    QPalette.ColorRole.Link: ("#1f5fc4", "#8ab4ff"),
    QPalette.ColorRole.ToolTipBase: ("#ffffff", "#2a2b2f"),
    QPalette.ColorRole.ToolTipText: ("#1d1d1f", "#e8e6e3"),
    QPalette.ColorRole.PlaceholderText: ("#6e6e73", "#9a9aa0"),
}

# Messages and notices; the palette gives everything else.
_STYLE = """
QFrame#message-user {{ background: {user}; border: none; border-radius: 14px; }}
QFrame#message-assistant {{ background: {assistant}; border: 1px solid {border};
    border-radius: 10px; }}
QFrame[found="true"] {{ border: 2px solid #f5a623; }}
QFrame#code {{ background: {code}; border: 1px solid {border}; border-radius: 6px; }}
QLabel#typing {{ color: {muted}; font-size: 14px; }}
QLabel#notice {{ color: {notice}; font-style: italic; }}
QLabel#footer, QLabel#state, QLabel#reason, QLabel#language {{ color: {muted}; }}
QLabel#placeholder {{ color: {muted}; font-size: 15px; }}
QFrame#banner {{ background: {banner}; border-radius: 6px; }}
"""


def is_dark(choice: str) -> bool:
    if choice in ("light", "dark"):
        return choice == "dark"
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_theme(app: QApplication, choice: str) -> None:
    """Apply "light", "dark" or "system" (the system's current scheme)."""
    dark = is_dark(choice)
    app.setStyle("Fusion")
    palette = QPalette()
    for role, (light_colour, dark_colour) in _COLOURS.items():
        palette.setColor(role, QColor(dark_colour if dark else light_colour))
    disabled = QColor("#6a6a70" if dark else "#a0a0a5")
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    app.setPalette(palette)
    app.setStyleSheet(
        _STYLE.format(
            user="#2c3e5c" if dark else "#e3ecfb",
            assistant="#26272b" if dark else "#ffffff",
            border="#3a3b41" if dark else "#e1dfda",
            code="#1b1c1f" if dark else "#f3f2ee",
            notice="#f0b35a" if dark else "#9a5b00",
            muted="#9a9aa0" if dark else "#6e6e73",
            banner="#5c2b2b" if dark else "#fbe3e1",
        )
    )
    app.setProperty("vigogne-theme", "dark" if dark else "light")
