"""How messages look and behave in the chat view (issue 11, items 2, 8 and 9): they fit the
view, sit in a readable column, set the user apart, show a typing indicator, and copy with
feedback."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QEnterEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from vigogne_desktop.core.history import Message
from vigogne_desktop.ui.chat_view import ChatView, MessageWidget
from vigogne_desktop.ui.markdown import MAX_PIECE
from vigogne_desktop.ui.message_parts import CodeBlock, MarkdownLabel, WrappingLabel
from vigogne_desktop.ui.models import MessageListModel
from vigogne_desktop.ui.theme import apply_theme

CODE = 'villes = ["Paris", "Lyon"]\nvilles.append("Lille")'


def message(
    mid: int,
    role: str,
    content: str,
    status: str = "complete",
    meta: dict[str, int] | None = None,
    siblings: tuple[int, ...] = (),
) -> Message:
    return Message(mid, 1, mid - 1 or None, role, content, status, 0.0, meta or {}, siblings)


def conversation() -> list[Message]:
    return [
        message(1, "user", "Quelle est la différence entre une liste et un tuple ?"),
        message(2, "assistant", f"Une liste se modifie :\n\n```python\n{CODE}\n```\n\nVoilà."),
        message(3, "user", "Merci !"),
        # A reply cut off by a crash, with two versions: the widest header there is.
        message(4, "assistant", "Un ensemble ne garde", "unfinished", siblings=(4, 5)),
    ]


def open_view(qtbot, messages: list[Message], width: int, height: int = 600) -> ChatView:  # type: ignore[no-untyped-def]
    model = MessageListModel()
    view = ChatView(model)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    model.set_messages(messages)
    qtbot.waitUntil(lambda: not view.building)
    qtbot.wait(20)  # the layout settles
    return view


def built(view: ChatView) -> list[MessageWidget]:
    return [widget for widget in view.widgets if widget is not None]


def span(widget: QWidget, view: ChatView) -> tuple[int, int]:
    """Left and right edges of `widget` in the view's viewport."""
    left = widget.mapTo(view.viewport(), QPoint(0, 0)).x()
    return left, left + widget.width()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_messages_fit_a_narrow_view_whatever_their_status(  # type: ignore[no-untyped-def]
    qtbot, app_language, language: str
) -> None:
    app_language(language)
    view = open_view(qtbot, conversation(), 500)
    width = view.viewport().width()
    widgets = built(view)
    assert widgets[-1].state.isVisible() and widgets[-1].version.isVisible()
    for widget in widgets:
        assert span(widget, view)[0] >= 0 and span(widget, view)[1] <= width
        buttons = [widget.copy_button, widget.previous, widget.next, widget.regenerate_button]
        for button in [b for b in buttons if b.isVisible()]:
            assert span(button, view)[0] >= 0 and span(button, view)[1] <= width


def test_the_column_is_at_most_760_px_and_centred(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = open_view(qtbot, conversation(), 1366)
    width = view.viewport().width()
    for widget in built(view):
        left, right = span(widget, view)
        assert right - left <= 760 and abs(left - (width - right)) <= 2


def test_chat_text_is_at_least_11_pt(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = open_view(qtbot, conversation(), 960)
    labels = [label for w in built(view) for label in w.findChildren(MarkdownLabel)]
    assert labels and all(label.font().pointSizeF() >= 11 for label in labels)
    # The HTML a label shows names its size too: it must say the same.
    assert all("font-size:9pt" not in label.text() for label in labels)


def test_the_user_is_on_the_right_in_a_narrower_bubble(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = open_view(qtbot, conversation(), 960)
    question, reply, thanks = (span(w.bubble, view) for w in built(view)[:3])
    assert question[1] == reply[1]  # the same right edge, the column's
    assert question[0] > reply[0] + 40 and thanks[0] > question[0]  # as wide as its text


def test_messages_follow_closely_their_actions_on_their_own_row(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Hidden actions once took a row under every message: ~30 px of blank between them."""
    view = open_view(qtbot, conversation(), 960)
    widgets = built(view)

    def rows(widget: QWidget) -> tuple[int, int]:
        top = widget.mapTo(view.viewport(), QPoint(0, 0)).y()
        return top, top + widget.height()

    for above, below in zip(widgets, widgets[1:], strict=False):
        assert 0 <= rows(below.bubble)[0] - rows(above.bubble)[1] <= 16
    for widget in widgets:  # beside the bubble or inside it, never under it
        actions, bubble = rows(widget.action_bar), rows(widget.bubble)
        assert bubble[0] <= actions[0] and actions[1] <= bubble[1]


def test_a_reply_shows_a_typing_indicator_until_its_first_words(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = open_view(qtbot, conversation()[:1], 960)
    view.model.append(message(2, "assistant", "", "streaming"))
    reply = built(view)[-1]
    assert reply.typing.isVisibleTo(reply) and reply.typing.accessibleName()
    assert not reply.copy_button.isVisibleTo(reply)  # nothing to copy yet
    view.model.update(1, content="Bonjour")
    assert not reply.typing.isVisibleTo(reply) and reply.copy_button.isVisibleTo(reply)
    assert "Bonjour" in reply.text()


def test_the_models_round_limit_is_said_once_per_conversation(qtbot, app_language) -> None:  # type: ignore[no-untyped-def]
    app_language("en")
    said = {"round_limit": 1, "dropped_rounds": 1}
    messages = [
        message(1, "user", "Bonjour"),
        message(2, "assistant", "Bonjour !"),
        message(3, "user", "Ça va ?"),
        message(4, "assistant", "Oui.", meta=said),
        message(5, "user", "Et toi ?"),
        message(6, "assistant", "Moi aussi.", meta={**said, "dropped_rounds": 2}),
    ]
    view = open_view(qtbot, messages, 960)
    shown = [w.message.id for w in built(view) if w.notice.isVisible()]
    assert shown == [4]
    assert "takes only the last exchange" in built(view)[3].notice.text()


def test_copy_says_copied_for_a_moment(qtbot, app_language) -> None:  # type: ignore[no-untyped-def]
    app_language("fr")
    view = open_view(qtbot, conversation(), 960)
    reply = built(view)[1]
    qtbot.mouseClick(reply.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == reply.message.content
    assert reply.copy_button.toolTip() == "Copié"
    qtbot.waitUntil(lambda: reply.copy_button.toolTip() == "Copier ce message", timeout=3000)


def test_a_code_block_is_framed_with_its_copy_button_on_top(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = open_view(qtbot, conversation(), 960)
    (block,) = built(view)[1].findChildren(CodeBlock)
    assert block.language.text() == "python"
    chunk = block.findChildren(WrappingLabel)[-1]
    assert type(chunk) is WrappingLabel  # code is plain text, never read as Markdown
    assert block.copy_button.geometry().bottom() <= chunk.geometry().top()
    assert block.copy_button.text() == "Copy"
    qtbot.mouseClick(block.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == CODE and block.copy_button.text() == "Copied"


def stream(view: ChatView, text: str, step: int) -> None:
    """A reply arriving `step` characters at a time, as the chat controller shows it."""
    view.model.append(message(2, "assistant", "", "streaming"))
    for end in range(step, len(text) + step, step):
        view.model.update(1, content=text[:end])


def test_a_long_streamed_code_block_stays_one_block_that_copies_whole(qtbot) -> None:  # type: ignore[no-untyped-def]
    code = "\n".join(f"print('ligne {n}')  # {'x' * 20}" for n in range(80))
    assert len(code) > 2 * MAX_PIECE  # the segmenter cuts it into several pieces
    view = open_view(qtbot, conversation()[:1], 960)
    stream(view, f"Voici :\n\n```python\n{code}\n```\n\nFin.", 37)
    reply = built(view)[-1]
    (block,) = [block for block in reply.findChildren(CodeBlock) if block.isVisibleTo(reply)]
    assert len(block.findChildren(WrappingLabel)) > 2  # one label per piece, the language
    block.copy_button.click()
    assert QGuiApplication.clipboard().text() == code
    assert reply.text().endswith("Fin.")


def send(widget: QWidget, kind: QEvent.Type) -> None:
    if kind == QEvent.Type.Enter:
        QApplication.sendEvent(widget, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    else:
        QApplication.sendEvent(widget, QEvent(kind))


def test_actions_show_on_hover_and_on_keyboard_focus(qtbot, app_language) -> None:  # type: ignore[no-untyped-def]
    app_language("fr")
    view = open_view(qtbot, conversation(), 960)
    question, last = built(view)[0], built(view)[-1]
    assert last.actions_shown  # the last message always shows what can be done with it
    assert not question.actions_shown
    send(question, QEvent.Type.Enter)
    assert question.actions_shown
    send(question, QEvent.Type.Leave)
    assert not question.actions_shown
    view.activateWindow()
    question.edit_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(lambda: question.actions_shown)
    for button in (question.copy_button, question.edit_button, last.regenerate_button):
        assert button.toolTip() and button.accessibleName() == button.toolTip()
        assert not button.icon().isNull() and not button.text()
    assert question.edit_button.toolTip() == "Modifier et renvoyer"


def test_icons_follow_the_theme(qtbot, qapp) -> None:  # type: ignore[no-untyped-def]
    view = open_view(qtbot, conversation(), 960)
    button = built(view)[0].copy_button
    sheet, palette, style = qapp.styleSheet(), qapp.palette(), qapp.style().name()
    try:
        apply_theme(qapp, "light")
        light = button.icon().cacheKey()
        apply_theme(qapp, "dark")
        assert button.icon().cacheKey() != light  # drawn again in the dark theme's colour
    finally:
        qapp.setStyle(style)
        qapp.setPalette(palette)
        qapp.setStyleSheet(sheet)
