"""The sidebar: new conversation, full-text search, and the conversations by date."""

from __future__ import annotations

import html
import re

from PySide6.QtCore import (
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
    QKeySequence,
    QPainter,
    QPalette,
    QShortcut,
    QTextDocument,
)
from PySide6.QtWidgets import (
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
    QVBoxLayout,
    QWidget,
)

from ..core.history import HIT_END, HIT_START, Conversation, SearchHit
from .models import ConversationListModel, ConversationRole

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
        self.list = QListView()
        self.list.setModel(model)
        self.list.setAccessibleName(self.tr("Conversations"))
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
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
        layout.addWidget(self.stack, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(lambda: self.search_changed.emit(self.search.text().strip()))
        self.search.textChanged.connect(self._on_search_text)
        self.new_button.clicked.connect(self.new_requested)
        self.list.clicked.connect(self._on_clicked)
        self.list.activated.connect(self._on_clicked)
        self.list.customContextMenuRequested.connect(self._menu)
        self.results.itemActivated.connect(self._on_hit)
        self.results.itemClicked.connect(self._on_hit)
        for key, signal in (
            (QKeySequence.StandardKey.Delete, self.delete_requested),
            (QKeySequence(Qt.Key.Key_F2), self.rename_requested),
        ):
            shortcut = QShortcut(key, self.list)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(lambda signal=signal: self._on_current(signal))

    def _on_search_text(self, text: str) -> None:
        if not text.strip():
            self.stack.setCurrentWidget(self.list)
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

    def _menu(self, point: QPoint) -> None:
        conv = self.list.indexAt(point).data(ConversationRole)
        if not isinstance(conv, Conversation):
            return
        menu = QMenu(self)
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
        menu.popup(self.list.viewport().mapToGlobal(point))
