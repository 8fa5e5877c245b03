"""API keys of remote servers: in the system keyring where there is one (a real keyring
backend selected in-process), in the settings file with a notice where there is none
(keyring's own "fail" backend, as on a headless box), moved into the keyring once one
is there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from vigogne_desktop.core import keys
from vigogne_desktop.core.settings import SETTINGS_FILE, AppSettings, Endpoint

KEY = "sk-vigogne-0123456789"
UseKeyring = Callable[[KeyringBackend], None]


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps its passwords in this process, as a system one would."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture
def use_keyring() -> Iterator[UseKeyring]:
    previous = keyring.get_keyring()

    yield keyring.set_keyring
    keyring.set_keyring(previous)


def with_endpoint() -> AppSettings:
    settings = AppSettings()
    settings.endpoints.append(Endpoint("vLLM", "http://127.0.0.1:8000/v1", KEY, "vigogne"))
    return settings


def test_a_key_goes_to_the_keyring_not_the_file(tmp_path: Path, use_keyring: UseKeyring) -> None:
    memory = MemoryKeyring()
    use_keyring(memory)
    with_endpoint().save(tmp_path)
    assert KEY not in (tmp_path / SETTINGS_FILE).read_text(encoding="utf-8")
    assert list(memory.passwords.values()) == [KEY]
    assert keys.notice() == ""
    loaded = AppSettings.load(tmp_path)
    assert loaded.endpoints[0].api_key == KEY


def test_without_a_keyring_the_file_keeps_it_and_says_so(
    tmp_path: Path, use_keyring: UseKeyring
) -> None:
    use_keyring(fail.Keyring())
    with_endpoint().save(tmp_path)
    assert KEY in (tmp_path / SETTINGS_FILE).read_text(encoding="utf-8")
    assert AppSettings.load(tmp_path).endpoints[0].api_key == KEY
    assert "en clair" in keys.notice()


def test_plain_keys_move_into_a_keyring_once_there_is_one(
    tmp_path: Path, use_keyring: UseKeyring
) -> None:
    use_keyring(fail.Keyring())
    with_endpoint().save(tmp_path)
    memory = MemoryKeyring()
    use_keyring(memory)
    assert AppSettings.load(tmp_path).endpoints[0].api_key == KEY
    assert KEY not in (tmp_path / SETTINGS_FILE).read_text(encoding="utf-8")
    assert list(memory.passwords.values()) == [KEY]
    assert AppSettings.load(tmp_path).endpoints[0].api_key == KEY


def test_a_removed_server_takes_its_key_out_of_the_keyring(
    tmp_path: Path, use_keyring: UseKeyring
) -> None:
    memory = MemoryKeyring()
    use_keyring(memory)
    with_endpoint().save(tmp_path)
    settings = AppSettings.load(tmp_path)
    settings.endpoints.clear()
    settings.save(tmp_path)
    assert memory.passwords == {}


def test_a_keyring_that_cannot_be_read_keeps_the_key_there(
    tmp_path: Path, use_keyring: UseKeyring
) -> None:
    # Locked at start: the server has no key this time, but the keyring's is not lost.
    memory = MemoryKeyring()
    use_keyring(memory)
    with_endpoint().save(tmp_path)
    use_keyring(fail.Keyring())
    locked = AppSettings.load(tmp_path)
    assert locked.endpoints[0].api_key == ""
    locked.save(tmp_path)
    use_keyring(memory)
    assert AppSettings.load(tmp_path).endpoints[0].api_key == KEY
