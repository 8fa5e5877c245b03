"""The sidebar: new conversation, full-text search, the conversations by date (each with a
« ⋯ » menu), and the undo of a deletion next to them."""

from __future__ import annotations

import html
import re

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSize,
    Qt,
    QTimer,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QFont,
    QHelpEvent,
    QKeySequence,
    QPainter,
    QPalette,
    QShortcut,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from ..core.history import HIT_END, HIT_START, Conversation, SearchHit
from ..core.history.search import has_short_word
from .models import ConversationListModel, ConversationRole, Index

HitRole = Qt.ItemDataRole.UserRole + 10


_MARKUP = re.compile(r"\*\*|__|`+|^#+ ", re.MULTILINE)


def hit_html(hit: SearchHit) -> str:
    """The hit's title and snippet as HTML, each match in bold on a highlight."""
    snippet = html.escape(_MARKUP.sub("", hit.snippet)).replace(
        HIT_START, "<b style='background:#f5d76e; color:#1d1d1f'>"
    )
    snippet = snippet.replace(HIT_END, "</b>")
    if hit.message_id is None:
        return snippet
    return f"<b>{html.escape(hit.title)}</b><br>{snippet}"


class RichTextDelegate(QStyledItemDelegate):
    """Paints an item's text as HTML (search results with their highlighted words)."""

    def _document(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QTextDocument:
        doc = QTextDocument()
        doc.setDefaultFont(option.font)
        doc.setHtml(index.data(Qt.ItemDataRole.DisplayRole) or "")
        doc.setTextWidth(max(option.rect.width(), 160))
        return doc

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        self.initStyleOption(option, index)
        text_doc = self._document(option, index)
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        context = QAbstractTextDocumentLayout.PaintContext()
        if option.state & QStyle.StateFlag.State_Selected:
            context.palette.setColor(
                QPalette.ColorRole.Text,
                option.palette.color(QPalette.ColorRole.HighlightedText),
            )
        painter.save()
        painter.translate(option.rect.topLeft())
        text_doc.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(  # noqa: N802
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        self.initStyleOption(option, index)
        doc = self._document(option, index)
        return QSize(int(doc.idealWidth()), int(doc.size().height()) + 4)


class TitleDelegate(QStyledItemDelegate):
    """Conversation titles on one line, cut with « … » at the view's width (never wider, so
    no horizontal scroll bar), leaving room for the « ⋯ » button on its row."""

    def __init__(self, view: ConversationListView) -> None:
        super().__init__(view)
        self.view = view
        # Every row of a kind is as tall as the next: measured once per kind and font, not
        # for each of 10,000 rows at every reset of the list.
        self._heights: dict[tuple[bool, str, str], int] = {}

    def initStyleOption(  # noqa: N802 (Qt's name)
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        if index == self.view.button_row:
            option.rect.setRight(option.rect.right() - self.view.more.width())

    def sizeHint(  # noqa: N802 (Qt's name)
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        conversation = isinstance(index.data(ConversationRole), Conversation)
        font = index.data(Qt.ItemDataRole.FontRole)
        key = (conversation, option.font.key(), font.key() if isinstance(font, QFont) else "")
        height = self._heights.get(key)
        if height is None:
            height = super().sizeHint(option, index).height()
            if conversation:  # room for the « ⋯ » button
                height = max(height, option.fontMetrics.height() + 10)
            self._heights[key] = height
        return QSize(0, height)


class ConversationListView(QListView):
    """The conversations; the row under the pointer, else the selected one, shows a « ⋯ »
    button that opens the same menu as a right click."""

    menu_requested = Signal(int, QPoint)  # the row, and where its menu opens (global)

    def __init__(self) -> None:
        super().__init__()
        self.button_row = QPersistentModelIndex()
        self._hovered = QPersistentModelIndex()
        self.setMouseTracking(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setWordWrap(False)
        # Laid out a few hundred rows per turn of the event loop: a history of 10,000
        # conversations shows its first rows at once instead of holding the window.
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(500)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setItemDelegate(TitleDelegate(self))
        self.more = QToolButton(self.viewport())
        self.more.setText("⋯")
        self.more.setAccessibleName(self.tr("Conversation actions"))
        self.more.setToolTip(self.tr("Rename, pin, export or delete"))
        self.more.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard has F2 and Del
        self.more.hide()
        self.more.clicked.connect(self._on_more)
        self.entered.connect(self._on_entered)
        self.customContextMenuRequested.connect(
            lambda point: self.menu_requested.emit(
                self.indexAt(point).row(), self.viewport().mapToGlobal(point)
            )
        )

    def _on_entered(self, index: QModelIndex) -> None:
        self._hovered = QPersistentModelIndex(index)
        self._place_button()

    def _on_more(self) -> None:
        corner = self.more.rect().bottomLeft()
        self.menu_requested.emit(self.button_row.row(), self.more.mapToGlobal(corner))

    def _place_button(self) -> None:
        row = self._hovered
        if not row.isValid():
            row = QPersistentModelIndex(self.currentIndex())
        if not isinstance(row.data(ConversationRole), Conversation):
            row = QPersistentModelIndex()
        if row != self.button_row:
            self.button_row = row
            self.viewport().update()
        if not row.isValid():
            self.more.hide()
            return
        rect = self.visualRect(self.model().index(row.row(), 0))
        self.more.setFixedSize(rect.height(), rect.height())
        self.more.move(rect.right() - rect.height() + 1, rect.top())
        self.more.show()

    def currentChanged(self, current: Index, previous: Index) -> None:  # noqa: N802 (Qt's name)
        super().currentChanged(current, previous)
        self._place_button()

    def updateGeometries(self) -> None:  # noqa: N802 (Qt's name): resized, rows changed
        super().updateGeometries()
        self._place_button()

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802 (Qt's name)
        super().scrollContentsBy(dx, dy)
        self._place_button()

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        self._hovered = QPersistentModelIndex()
        self._place_button()
        super().leaveEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        """A title cut short is shown whole in its tooltip."""
        if isinstance(event, QHelpEvent) and event.type() == QEvent.Type.ToolTip:
            conv = self.indexAt(event.pos()).data(ConversationRole)
            if isinstance(conv, Conversation):
                QToolTip.showText(event.globalPos(), self.indexAt(event.pos()).data(), self)
                return True
        return super().viewportEvent(event)


class Sidebar(QWidget):
    new_requested = Signal()
    conversation_selected = Signal(int)
    hit_selected = Signal(int, object)  # conversation id, message id or None
    search_changed = Signal(str)
    rename_requested = Signal(int)
    pin_requested = Signal(int, bool)
    delete_requested = Signal(int)
    export_requested = Signal(int, str)  # conversation id, "md" or "json"

    def __init__(self, model: ConversationListModel) -> None:
        super().__init__()
        self.model = model
        self.new_button = QPushButton(self.tr("New conversation"))
        self.new_button.setAccessibleName(self.tr("New conversation"))
        self.new_button.setToolTip(self.tr("New conversation (Ctrl+N)"))
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search conversations (Ctrl+F)"))
        self.search.setAccessibleName(self.tr("Search conversations"))
        self.search.setClearButtonEnabled(True)
        # Said while typed: a one- or two-letter word finds only itself in messages (search.py).
        self.short_hint = QLabel(
            self.tr(
                "In messages, a word of one or two letters is found whole: type on to find "
                "the words it begins."
            )
        )
        self.short_hint.setObjectName("reason")
        self.short_hint.setWordWrap(True)
        self.short_hint.hide()
        self.list = ConversationListView()
        self.list.setModel(model)
        self.list.setAccessibleName(self.tr("Conversations"))
        self.list.setUniformItemSizes(False)
        self.results = QListWidget()
        self.results.setAccessibleName(self.tr("Search results"))
        self.results.setItemDelegate(RichTextDelegate(self.results))
        self.results.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.list)
        self.stack.addWidget(self.results)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search)
        layout.addWidget(self.short_hint)
        layout.addWidget(self.stack, 1)
        # A deletion is undone where it was done, next to the list.
        self.undo_label = QLabel(self.tr("Conversation deleted"))
        self.undo_label.setWordWrap(True)
        self.undo_button = QPushButton(self.tr("Undo"))
        self.undo_bar = QWidget()
        undo_row = QHBoxLayout(self.undo_bar)
        undo_row.setContentsMargins(0, 0, 0, 0)
        undo_row.addWidget(self.undo_label, 1)
        undo_row.addWidget(self.undo_button)
        self.undo_bar.hide()
        layout.addWidget(self.undo_bar)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(lambda: self.search_changed.emit(self.search.text().strip()))
        self.search.textChanged.connect(self._on_search_text)
        self.new_button.clicked.connect(self.new_requested)
        self.list.clicked.connect(self._on_clicked)
        self.list.activated.connect(self._on_clicked)
        self.list.menu_requested.connect(self._menu)
        self.results.itemActivated.connect(self._on_hit)
        self.results.itemClicked.connect(self._on_hit)
        self.keys: list[tuple[QKeySequence, str]] = []  # for Help › Keyboard shortcuts
        for key, signal, meaning in (
            (
                QKeySequence(QKeySequence.StandardKey.Delete),
                self.delete_requested,
                self.tr("Delete the selected conversation"),
            ),
            (
                QKeySequence(Qt.Key.Key_F2),
                self.rename_requested,
                self.tr("Rename the selected conversation"),
            ),
        ):
            shortcut = QShortcut(key, self.list)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(lambda signal=signal: self._on_current(signal))
            self.keys.append((key, meaning))

    def _on_search_text(self, text: str) -> None:
        if not text.strip():
            self.stack.setCurrentWidget(self.list)
        self.short_hint.setVisible(has_short_word(text))
        self._debounce.start()

    def show_hits(self, hits: list[SearchHit]) -> None:
        self.results.clear()
        for hit in hits:
            item = QListWidgetItem(hit_html(hit))
            item.setData(HitRole, hit)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, hit.title)
            self.results.addItem(item)
        if not hits:
            item = QListWidgetItem(html.escape(self.tr("No conversation contains these words.")))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.results.addItem(item)
        self.stack.setCurrentWidget(self.results)

    def _on_hit(self, item: QListWidgetItem) -> None:
        hit = item.data(HitRole)
        if isinstance(hit, SearchHit):
            self.hit_selected.emit(hit.conversation_id, hit.message_id)

    def _on_clicked(self, index: QModelIndex) -> None:
        conv = index.data(ConversationRole)
        if isinstance(conv, Conversation):
            self.conversation_selected.emit(conv.id)

    def select(self, cid: int | None) -> None:
        row = -1 if cid is None else self.model.row_of(cid)
        if row < 0:
            self.list.clearSelection()
        else:
            self.list.setCurrentIndex(self.model.index(row))

    def _on_current(self, signal: SignalInstance) -> None:
        conv = self.list.currentIndex().data(ConversationRole)
        if isinstance(conv, Conversation):
            signal.emit(conv.id)

    def offer_undo(self, offered: bool) -> None:
        self.undo_bar.setVisible(offered)

    def _menu(self, row: int, where: QPoint) -> None:
        conv = self.model.index(row).data(ConversationRole)
        if not isinstance(conv, Conversation):
            return
        menu = QMenu(self)
        menu.aboutToHide.connect(menu.deleteLater)  # the chosen action still runs: deleted later
        menu.addAction(self.tr("Rename… (F2)"), lambda: self.rename_requested.emit(conv.id))
        if conv.pinned:
            menu.addAction(self.tr("Unpin"), lambda: self.pin_requested.emit(conv.id, False))
        else:
            menu.addAction(self.tr("Pin"), lambda: self.pin_requested.emit(conv.id, True))
        menu.addSeparator()
        menu.addAction(
            self.tr("Export as Markdown…"), lambda: self.export_requested.emit(conv.id, "md")
        )
        menu.addAction(
            self.tr("Export as JSON…"), lambda: self.export_requested.emit(conv.id, "json")
        )
        menu.addSeparator()
        menu.addAction(self.tr("Delete (Del)"), lambda: self.delete_requested.emit(conv.id))
        menu.popup(where)
