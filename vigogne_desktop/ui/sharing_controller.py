"""Sharing the local model with other apps on this computer (an OpenAI server on loopback)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from .background import run_in_background
from .session import Session

if TYPE_CHECKING:  # the server's module (httpx, prompts) is imported when sharing starts
    from ..core.sharing import SharedServer


class SharingController(QObject):
    shown = Signal(str, str, str)  # the server's address, its key, what is happening

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.server: SharedServer | None = None

    def set_sharing(self, on: bool) -> None:
        self.stop()
        session = self.session
        session.settings.share = on
        model = session.model
        if not on or not session.model_path or model is None or session.remote_name:
            self._show(
                self.tr("Not shared.") if not on else self.tr("Load a local model to share it.")
            )
            return
        from ..core.sharing import start_sharing

        path = session.model_path
        load = session.settings.preset(path).load_settings()
        self._show(self.tr("Starting the server…"))
        run_in_background(
            self,
            lambda: start_sharing(path, settings=load),  # the core picks the format
            self._on_started,
            self._on_failed,
        )

    def model_loaded(self) -> None:
        """A new local model: what is shared follows it."""
        if self.server is not None or self.session.settings.share:
            self.set_sharing(True)

    def _on_started(self, server: SharedServer) -> None:
        if not self.session.settings.share:
            server.stop()
            return
        self.server = server
        self._show(self.tr("Shared: other apps on this computer can use the model."))

    def _on_failed(self, message: str) -> None:
        self.session.settings.share = False
        self._show(message)

    def _show(self, state: str) -> None:
        server = self.server
        self.shown.emit(server.base_url if server else "", server.api_key if server else "", state)

    def show_state(self) -> None:
        self._show("")

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
