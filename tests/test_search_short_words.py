"""Search as the user types: a word of one or two letters is found whole in messages (a
prefix there merges most of the index), as a word's beginning in titles, and the sidebar
says so while such a word is in the search box."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from test_history import chat

from vigogne_desktop.core.history import History
from vigogne_desktop.core.history.search import fts_query, has_short_word
from vigogne_desktop.ui.models import ConversationListModel
from vigogne_desktop.ui.sidebar import Sidebar

LAST = "La demande du fichier est prête, sa fonction f renvoie 2."


@pytest.fixture
def history(tmp_path: Path) -> History:
    history = History(tmp_path / "h.sqlite3")
    chat(history, "Fromage de chèvre", "Il se fait avec du lait.")
    chat(history, "Copie de fichiers", "Utilisez cp avec un dossier.")
    chat(history, "La demande", LAST)
    return history


def found(history: History, text: str) -> tuple[set[str], set[str]]:
    """The titles found by title, and the messages found, for `text`."""
    hits = history.search(text)
    titles = {h.title for h in hits if h.message_id is None}
    messages = {history.message(h.message_id).content for h in hits if h.message_id}
    return titles, messages


def test_one_letter_finds_titles_it_begins_and_only_itself_in_messages(
    history: History,
) -> None:
    titles, messages = found(history, "f")
    assert titles == {"Fromage de chèvre", "Copie de fichiers"}
    # « fichier », « fait », « fonction » start with f but are not the word f.
    assert messages == {LAST}
    assert found(history, "fi") == ({"Copie de fichiers"}, set())


def test_a_short_word_among_others_is_a_whole_word_in_messages(history: History) -> None:
    # « de » as a prefix would also find « demande du fichier ».
    assert found(history, "fich de") == ({"Copie de fichiers"}, {"Copie de fichiers"})
    assert found(history, "fich la")[1] == {LAST}
    assert found(history, "dem")[0] == {"La demande"}


def test_words_of_three_letters_or_more_stay_prefixes_everywhere(history: History) -> None:
    assert found(history, "fic")[1] == {"Copie de fichiers", LAST}
    assert fts_query("le fic") == '"le"* "fic"*'
    assert fts_query("le fic", short_whole=True) == '"le" "fic"*'
    assert has_short_word("fichier d") and has_short_word("l'") and not has_short_word("été ")


def test_the_sidebar_says_when_a_short_word_is_looked_for_whole(
    qtbot, app_language: Callable[[str], None]
) -> None:  # type: ignore[no-untyped-def]
    app_language("fr")
    sidebar = Sidebar(ConversationListModel())
    qtbot.addWidget(sidebar)
    sidebar.resize(260, 600)
    sidebar.show()
    qtbot.keyClicks(sidebar.search, "f")
    assert sidebar.short_hint.isVisible()
    assert "entier" in sidebar.short_hint.text()
    qtbot.keyClicks(sidebar.search, "ro")
    assert not sidebar.short_hint.isVisible()
    qtbot.keyClicks(sidebar.search, " d")
    assert sidebar.short_hint.isVisible()
    sidebar.search.clear()
    assert not sidebar.short_hint.isVisible()
    # A wrapped hint: the sidebar asks for no more width than without it.
    assert sidebar.minimumSizeHint().width() < 300
