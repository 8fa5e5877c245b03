"""The window on a laptop and at the keyboard (issue 11, items 1 and 10): at most 960 px
wide in French and English, side columns that fold away, the settings put away on a narrow
window, shortcuts and their list, the tab order, the sidebar's « ⋯ » menu and its undo."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QAction, QHelpEvent
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QToolTip, QWidget

from converters.messages import LANGUAGE_VARIABLE
from vigogne_desktop.core.settings import AppSettings
from vigogne_desktop.ui.composer import Composer
from vigogne_desktop.ui.main_window import MainWindow
from vigogne_desktop.ui.shortcuts import ShortcutsDialog

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
LAPTOP = 960
LONG_TITLE = "Une conversation au titre vraiment très long " * 6


@pytest.fixture
def window_in(qtbot, home, app_language, monkeypatch) -> Iterator[Callable[[str], MainWindow]]:  # type: ignore[no-untyped-def]
    """Builds the real window in a language, on a fresh data folder, shown."""
    made: list[MainWindow] = []

    def build(language: str) -> MainWindow:
        app_language(language)
        monkeypatch.setenv(LANGUAGE_VARIABLE, language)
        win = MainWindow(AppSettings())
        qtbot.addWidget(win)
        win.show()
        made.append(win)
        return win

    yield build
    for win in made:
        win.close()


def conversation(qtbot, window: MainWindow, title: str = "", reply: str = "Rome.") -> int:  # type: ignore[no-untyped-def]
    """A conversation of two rounds, written in the history and opened as a user would."""
    history = window.history
    cid = history.create_conversation(title).id
    parent = None
    for role, text in (
        ("user", "Quelle est la capitale de la France ?"),
        ("assistant", "Paris."),
        ("user", "Et celle de l'Italie ? " + "Réponds en une phrase, s'il te plaît. " * 8),
        ("assistant", reply),
    ):
        parent = history.add_message(cid, role, text, parent_id=parent).id
    window.conversations.refresh()
    window.open_conversation(cid)
    qtbot.waitUntil(lambda: window.messages.rowCount() == 4, timeout=5000)
    return cid


def settle(qtbot) -> None:  # type: ignore[no-untyped-def]
    QApplication.processEvents()
    qtbot.wait(20)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_tab_fits_960_by_600_in_both_languages(qtbot, window_in, language: str) -> None:  # type: ignore[no-untyped-def]
    window = window_in(language)
    for shown in ("first start", "a conversation"):
        if shown == "a conversation":
            conversation(qtbot, window, LONG_TITLE, "Rome est la capitale de l'Italie. " * 30)
        for tab in (window.chat_tab, window.instruct, window.library_view):
            window.tabs.setCurrentWidget(tab)
            window.resize(1180, 760)  # the settings shown: the widest the window asks to be
            settle(qtbot)
            needed = window.minimumSizeHint()
            assert needed.width() <= LAPTOP and needed.height() <= 600, (shown, tab, needed)
            window.resize(800, 600)
            settle(qtbot)
            window.resize(800, 600)  # once the settings have made room
            settle(qtbot)
            assert window.width() <= LAPTOP and window.height() <= 600, (shown, tab)
    # The instruct tab's buttons wrap: they do not set the tab's width.
    buttons = (window.instruct.run_button, window.instruct.stop_button, window.instruct.keep_button)
    row = sum(b.sizeHint().width() for b in buttons)
    assert window.instruct.minimumSizeHint().width() < row


def test_the_settings_go_away_on_a_narrow_window_and_come_back(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.resize(1366, 768)
    settle(qtbot)
    assert window.panel.isVisible() and window.panel_action.isChecked()
    window.resize(LAPTOP, 600)
    settle(qtbot)
    assert not window.panel.isVisible() and not window.panel_action.isChecked()
    assert window.sidebar.isVisible()  # the list stays: only the settings make room
    window.resize(1366, 768)
    settle(qtbot)
    assert window.panel.isVisible() and window.panel_action.isChecked()
    # On a narrow window the user may still ask for them, and then they show.
    window.resize(LAPTOP, 600)
    settle(qtbot)
    window.panel_action.trigger()
    settle(qtbot)
    assert window.panel.isVisible() and window.width() <= LAPTOP
    # Too many settings for 600 px of height: they scroll rather than grow the window.
    assert window.workspace.panel_area.widget() is window.panel
    assert window.height() <= 600


def test_a_column_the_user_put_away_stays_away(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.resize(1366, 768)
    settle(qtbot)
    window.panel_action.trigger()  # View › Conversation settings
    qtbot.keyClick(window, Qt.Key.Key_B, CTRL)
    settle(qtbot)
    assert not window.panel.isVisible() and not window.sidebar.isVisible()
    for width in (LAPTOP, 1366):  # narrower, then wider again
        window.resize(width, 700)
        settle(qtbot)
        assert not window.panel.isVisible() and not window.sidebar.isVisible()
    window.show_library()
    window.tabs.setCurrentWidget(window.chat_tab)
    settle(qtbot)
    assert not window.panel.isVisible() and not window.sidebar.isVisible()
    assert not window.panel_action.isChecked() and not window.sidebar_action.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_B, CTRL)
    assert window.sidebar.isVisible() and window.sidebar_action.isChecked()
    assert window.sidebar.width() >= 200


def test_the_columns_stay_as_the_user_left_them_after_a_restart(qtbot, home) -> None:  # type: ignore[no-untyped-def]
    first = MainWindow(AppSettings.load())
    qtbot.addWidget(first)
    first.show()
    first.resize(1366, 768)
    settle(qtbot)
    first.panel_action.trigger()  # put away by the user
    first.close()
    saved = AppSettings.load()
    assert saved.show_settings_panel is False and saved.show_sidebar is True
    second = MainWindow(saved)
    qtbot.addWidget(second)
    second.show()
    second.resize(1366, 768)
    settle(qtbot)
    assert not second.panel.isVisible() and second.sidebar.isVisible()
    assert not second.panel_action.isChecked()
    second.close()


def test_a_side_column_dragged_to_the_edge_is_put_away(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.resize(1366, 768)
    settle(qtbot)
    space = window.workspace
    space.moveSplitter(0, 1)  # the sidebar's handle, to the left edge
    settle(qtbot)
    assert not window.sidebar.isVisible() and not window.sidebar_action.isChecked()
    window.sidebar_action.trigger()
    settle(qtbot)
    assert window.sidebar.isVisible() and window.sidebar.width() >= 200


def test_tab_leaves_the_message_box_for_send_then_the_settings(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    conversation(qtbot, window)
    window.resize(1366, 768)
    window.activateWindow()
    settle(qtbot)
    composer = window.composer
    window.send_button.setEnabled(True)  # as once a model is loaded
    composer.setFocus()
    composer.insertPlainText("Bonjour")
    qtbot.keyClick(composer, Qt.Key.Key_Tab)
    assert composer.toPlainText() == "Bonjour"  # no tab character typed
    assert window.send_button.hasFocus()
    # Round the whole chain: sidebar, then the chat, then the message box, then the settings.
    order: list[QWidget] = []
    widget: QWidget = window.sidebar.new_button
    for _ in range(5000):
        if widget.isVisible() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            order.append(widget)
        widget = widget.nextInFocusChain()
        if widget is window.sidebar.new_button:
            break

    def first(inside: QWidget) -> int:
        return next(n for n, w in enumerate(order) if w is inside or inside.isAncestorOf(w))

    assert first(window.sidebar) < first(window.chat_view) < first(composer)
    assert first(composer) < first(window.send_button) < first(window.panel)
    assert order[first(window.panel) - 1] is window.send_button  # Send, then the settings
    view = window.chat_view  # isAncestorOf is true of the view itself
    messages = [n for n, w in enumerate(order) if w is not view and view.isAncestorOf(w)]
    assert messages and order.index(view) < min(messages)
    assert max(messages) < first(composer)
    between = order[first(window.sidebar.list) : first(composer)]
    assert not any(window.panel.isAncestorOf(w) for w in between)
    # Inside the settings, Tab walks down the form as it is shown.
    panel = window.panel
    shown = [panel.format, panel.system, panel.temperature, panel.top_p, panel.top_k]
    shown += [panel.min_p, panel.repeat_penalty, panel.max_tokens, panel.seed, panel.reset]
    owners = [next((s for s in shown if w is s or s.isAncestorOf(w)), None) for w in order]
    walked = [o for n, o in enumerate(owners) if o is not None and o is not owners[n - 1]]
    assert walked == shown  # a spin box's own line edit is in the chain too: counted once


def test_the_message_box_is_two_lines_high_and_grows_with_its_text(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A short box leaves the welcome and the messages their room on a 600 px window."""
    box = Composer()
    qtbot.addWidget(box)
    box.resize(400, 40)
    box.show()
    assert box.tabChangesFocus()  # Tab leaves it, wherever it is placed
    line = box.fontMetrics().lineSpacing()
    empty = box.height()
    assert empty < 3 * line + 20
    box.setPlainText("une ligne\n" * 5)
    qtbot.waitUntil(lambda: box.height() >= empty + 3 * line)
    assert box.verticalScrollBar().maximum() == 0  # the text is all in sight
    box.setPlainText("une ligne\n" * 40)
    qtbot.waitUntil(lambda: box.verticalScrollBar().maximum() > 0)  # eight lines, then it scrolls
    assert box.height() < 9 * line + 20
    box.clear()
    qtbot.waitUntil(lambda: box.height() == empty)


def test_ctrl_l_writes_a_message_and_ctrl_shift_l_opens_the_library(
    qtbot, window: MainWindow
) -> None:  # type: ignore[no-untyped-def]
    window.activateWindow()
    window.focus_search()
    qtbot.keyClick(window, Qt.Key.Key_L, CTRL | SHIFT)
    assert window.tabs.currentWidget() is window.library_view
    qtbot.keyClick(window, Qt.Key.Key_L, CTRL)
    assert window.tabs.currentWidget() is window.chat_tab
    qtbot.waitUntil(window.composer.hasFocus, timeout=2000)


def test_ctrl_shift_c_copies_the_last_reply(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    clipboard = QApplication.clipboard()
    clipboard.setText("avant")
    qtbot.keyClick(window, Qt.Key.Key_C, CTRL | SHIFT)
    assert clipboard.text() == "avant" and "no reply" in window.status.text()
    conversation(qtbot, window, reply="Rome est la **capitale** de l'Italie.")
    qtbot.keyClick(window, Qt.Key.Key_C, CTRL | SHIFT)
    assert clipboard.text() == "Rome est la **capitale** de l'Italie."
    assert window.status.text() == "The last reply is copied."


def test_the_shortcuts_are_listed_from_the_actions_themselves(qtbot, window_in) -> None:  # type: ignore[no-untyped-def]
    window = window_in("fr")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    listed = dialog.listed()
    meanings = dict(listed)
    for action in window.findChildren(QAction):
        if not action.shortcut().isEmpty():
            key = action.shortcut().toString(action.shortcut().SequenceFormat.NativeText)
            assert action.text().replace("&", "").rstrip("…") in meanings[key]
    assert meanings["Ctrl+L"] == "Écrire un message"
    assert meanings["Ctrl+Maj+C"] == "Copier la dernière réponse"
    assert meanings["Ctrl+B"] == "Afficher ou masquer : Liste des conversations"
    assert meanings["F2"] == "Renommer la conversation choisie"
    assert meanings["Ctrl+Maj+L"] == "Bibliothèque de modèles"
    dialog.reject()
    help_menu = window.menuBar().actions()[-1].menu()
    assert isinstance(help_menu, QMenu) and help_menu.title() == "&Aide"
    help_menu.actions()[-1].trigger()  # À propos
    about = window.findChild(QMessageBox)
    assert about is not None and about.isVisible() and "Vigogne Desktop" in about.text()
    about.reject()


def test_long_titles_are_cut_in_a_sidebar_never_narrower_than_200_px(
    qtbot, window: MainWindow
) -> None:  # type: ignore[no-untyped-def]
    window.resize(LAPTOP, 600)
    cid = conversation(qtbot, window, LONG_TITLE)
    window.workspace.setSizes([50, 900, 0])
    settle(qtbot)
    sidebar, view = window.sidebar, window.sidebar.list
    assert 200 <= sidebar.width() < 300
    assert not view.horizontalScrollBar().isVisible()
    row = view.model().index(window.conversation_list.row_of(cid), 0)
    assert view.visualRect(row).right() <= view.viewport().width()
    where = view.visualRect(row).center()
    tip = QHelpEvent(QEvent.Type.ToolTip, where, view.viewport().mapToGlobal(where))
    QApplication.sendEvent(view.viewport(), tip)
    assert QToolTip.text() == LONG_TITLE.strip() or QToolTip.text() == LONG_TITLE


def test_the_row_button_opens_the_rows_menu(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    cid = conversation(qtbot, window, "Capitales")
    view = window.sidebar.list
    settle(qtbot)
    more = view.more
    row = view.visualRect(view.model().index(window.conversation_list.row_of(cid), 0))
    assert more.isVisible() and row.contains(more.geometry().center())
    qtbot.mouseClick(more, Qt.MouseButton.LeftButton)
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts == [
        "Rename… (F2)",
        "Pin",
        "Export as Markdown…",
        "Export as JSON…",
        "Delete (Del)",
    ]
    next(a for a in menu.actions() if a.text() == "Pin").trigger()
    menu.hide()
    assert window.history.conversation(cid).pinned
    # The pointer over another row moves the button there.
    other = conversation(qtbot, window, "Autre")
    window.sidebar.select(other)
    target = view.model().index(window.conversation_list.row_of(cid), 0)
    view.entered.emit(target)
    assert view.visualRect(target).contains(more.geometry().center())


def test_a_deletion_is_undone_next_to_the_list(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    cid = conversation(qtbot, window, "À supprimer")
    view = window.sidebar.list
    view.setFocus()
    window.sidebar.select(cid)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    undo = window.undo_button
    assert undo.isVisible() and window.sidebar.isAncestorOf(undo)
    assert window.sidebar.undo_label.text() == "Conversation deleted"
    label, button = window.sidebar.undo_label.geometry(), undo.geometry()
    assert abs(label.center().y() - button.center().y()) < 10  # on one line, under the list
    assert undo.mapTo(window.sidebar, QPoint(0, 0)).y() > view.mapTo(window.sidebar, QPoint()).y()
    qtbot.mouseClick(undo, Qt.MouseButton.LeftButton)
    assert not undo.isVisible() and window.conversation_list.row_of(cid) >= 0
