"""The window's three columns: the conversations, the tabs, the conversation's settings. The
side columns fold away when the user says so; the settings also on a narrow window."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QSplitter, QStyle, QWidget

# Below this window width the settings give their room to the chat (a 1366 px laptop at
# 125 % is 1093 px wide); above it they come back, unless the user put them away.
PANEL_AUTO_HIDE_WIDTH = 1100
SIDEBAR_MIN_WIDTH = 200
SIDEBAR, TABS, PANEL = range(3)
DEFAULT_SIZES = (260, 640, 300)


class Workspace(QSplitter):
    """Shows the sidebar and the settings as the user wants them and the width allows.

    The user's wish is kept apart from what is shown: hiding the settings on a narrow
    window does not forget that the user wants them, and a column the user put away stays
    away whatever the width. A tab that takes the whole width (the library) hides both."""

    sidebar_shown = Signal(bool)  # what is on screen now, for the View menu's check marks
    panel_shown = Signal(bool)
    wishes_changed = Signal(bool, bool)  # the user's: sidebar wanted, settings wanted

    def __init__(self, sidebar: QWidget, tabs: QWidget, panel: QWidget) -> None:
        super().__init__()
        self.sidebar, self.tabs, self.panel = sidebar, tabs, panel
        sidebar.setMinimumWidth(SIDEBAR_MIN_WIDTH)
        sidebar.setMaximumWidth(420)
        # The settings scroll when 600 px of height is not enough for them.
        self.panel_area = QScrollArea()
        self.panel_area.setWidget(panel)
        self.panel_area.setWidgetResizable(True)
        self.panel_area.setFrameShape(QFrame.Shape.NoFrame)
        self.panel_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the settings inside
        self.panel_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        self.panel_area.setMinimumWidth(panel.minimumSizeHint().width() + bar)
        self.panel_area.setMaximumWidth(400)
        for column in (sidebar, tabs, self.panel_area):
            self.addWidget(column)
        self.setStretchFactor(TABS, 1)
        self.setCollapsible(TABS, False)  # the side columns fold when dragged to the edge
        self.setSizes(list(DEFAULT_SIZES))
        self.wants_sidebar = True
        self.wants_panel = True
        self._panel_on = True  # the user's wish, or what the last change of width decided
        self._narrow: bool | None = None
        self._full_width = False
        self.splitterMoved.connect(self._on_moved)

    def set_sidebar_wanted(self, wanted: bool) -> None:
        self.wants_sidebar = wanted
        self._show()
        self.wishes_changed.emit(self.wants_sidebar, self.wants_panel)

    def set_panel_wanted(self, wanted: bool) -> None:
        """The user's word wins over the width: asked for on a narrow window, it shows."""
        self.wants_panel = self._panel_on = wanted
        self._show()
        self.wishes_changed.emit(self.wants_sidebar, self.wants_panel)

    def set_full_width(self, full: bool) -> None:
        self._full_width = full
        self._show()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        narrow = self.window().width() < PANEL_AUTO_HIDE_WIDTH
        if narrow != self._narrow:  # only a crossing decides, so the user's word holds between
            self._narrow = narrow
            self._panel_on = self.wants_panel and not narrow
            self._show()

    def _show(self) -> None:
        for index, column, shown, signal in (
            (SIDEBAR, self.sidebar, self.wants_sidebar, self.sidebar_shown),
            (PANEL, self.panel_area, self._panel_on, self.panel_shown),
        ):
            shown = shown and not self._full_width
            column.setVisible(shown)
            if shown and self.sizes()[index] == 0:  # folded by a drag: opened at its width
                sizes = self.sizes()
                sizes[TABS] = max(0, sizes[TABS] - DEFAULT_SIZES[index])
                sizes[index] = DEFAULT_SIZES[index]
                self.setSizes(sizes)
            signal.emit(shown)

    def _on_moved(self) -> None:
        """A side column dragged to the edge is one the user put away."""
        sizes = self.sizes()
        if self.sidebar.isVisible() and sizes[SIDEBAR] == 0:
            self.set_sidebar_wanted(False)
        if self.panel_area.isVisible() and sizes[PANEL] == 0:
            self.set_panel_wanted(False)
