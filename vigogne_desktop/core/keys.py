"""API keys of remote servers in the system's keyring (Keychain, Secret Service, Windows
Credential Locker); in the settings file, said so, on a machine that has none.
"""

from __future__ import annotations

from converters.messages import say

SERVICE = "vigogne-desktop"


def available() -> bool:
    """Whether a keyring safer than the settings file can take keys on this machine."""
    # Imported only when a key is stored or read: finding the backends costs the start.
    import keyring

    # keyring's own rule: a backend under priority 1 (its "fail" one on a headless Linux
    # box, or a plain-text file) is no safer than the settings file.
    return bool(keyring.get_keyring().priority >= 1)


def store(entry: str, key: str) -> bool:
    """Put `key` in the keyring under `entry`; False if there is no keyring to take it."""
    import keyring
    from keyring.errors import KeyringError

    if not available():
        return False
    try:
        keyring.set_password(SERVICE, entry, key)
    except KeyringError:
        return False  # a locked or unreachable keyring: the file keeps the key this time
    return True


def fetch(entry: str) -> str | None:
    """The key kept under `entry`; None if it is not there or the keyring cannot be read."""
    import keyring
    from keyring.errors import KeyringError

    if not available():
        return None
    try:
        return keyring.get_password(SERVICE, entry)
    except KeyringError:
        return None


def forget(entry: str) -> None:
    """Remove the key kept under `entry`, if the keyring holds one."""
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    if not available():
        return
    try:
        keyring.delete_password(SERVICE, entry)
    except PasswordDeleteError:
        return  # never stored, or already removed
    except KeyringError:
        return  # unreachable now: the key stays, as it would in the file


def notice() -> str:
    """One sentence for the settings when keys cannot go to a keyring; empty when they can."""
    if available():
        return ""
    return say(
        "Aucun trousseau système n'est disponible : les clés d'API sont enregistrées en clair "
        "dans le fichier de réglages ; installez un trousseau (GNOME Keyring, KWallet) pour "
        "les y mettre.",
        "No system keyring is available: API keys are saved in plain text in the settings "
        "file; install a keyring (GNOME Keyring, KWallet) to keep them there.",
    )
