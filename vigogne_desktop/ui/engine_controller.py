"""The engine's job: load a local model, connect to a server, convert the demo model first.

Requests go to the engine thread as queued signals; what comes back changes the session
and is told to the window in signals (it touches no widget).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..core import settings as paths
from ..core.conversion import prepare_demo
from ..core.library import installed_models
from ..core.protocol import LoadSettings, ModelInfo
from ..core.settings import LOCAL, AppSettings
from .conversion_worker import ConversionThread
from .engine_worker import EngineThread
from .i18n import decimal
from .session import Session


class EngineController(QObject):
    status = Signal(str)
    changed = Signal()  # what may be done now has changed
    progress = Signal(int, int)  # done, total; (0, 0) while it cannot be measured
    progress_ended = Signal()
    context = Signal(str)
    models_found = Signal(list, str)  # the models on this computer, the current one
    loaded = Signal()  # a local model is ready
    # The sentence saying why, for the banner over the chat, a crash's raw details, and
    # whether the engine crashed (then « Restart the engine » loads the same file again).
    load_failed = Signal(str, str, bool)

    def __init__(self, session: Session, engine: EngineThread) -> None:
        super().__init__()
        self.session = session
        self.engine = engine
        self._conversion: ConversionThread | None = None
        self._loading_path = ""  # the file being loaded: a crash meanwhile may reload it
        worker = engine.worker
        worker.loaded.connect(self._on_loaded)
        worker.load_failed.connect(self._on_load_failed)
        worker.remote_ready.connect(self._on_remote_ready)

    def refresh_models(self) -> None:
        found = [str(p) for p in installed_models(paths.models_dir())]
        self.models_found.emit(found, self.session.model_path or self.session.settings.last_model)

    def load_model(self, path: str, load_settings: LoadSettings | None = None) -> None:
        session = self.session
        session.loading = True
        session.stopped = False
        session.model = None
        session.remote_name = ""
        self._loading_path = path
        self.status.emit(self.tr("Loading {model}…").format(model=Path(path).name))
        self.progress.emit(0, 0)
        self.changed.emit()
        self.engine.request_load.emit(path, load_settings or session.settings.load_settings(path))

    def use_endpoint(self, name: str) -> None:
        endpoint = self.session.settings.endpoint(name)
        if endpoint is None:
            return
        self.session.loading = True
        self.session.stopped = False
        self.session.model = None
        self.status.emit(self.tr("Connecting to {server}…").format(server=endpoint.base_url))
        self.progress.emit(0, 0)
        self.changed.emit()
        self.engine.request_remote.emit(endpoint)

    def open_default_model(self) -> None:
        """The engine chosen in the settings: a remote server, the last model, or the demo."""
        settings = self.session.settings
        if settings.engine != LOCAL and settings.endpoint(settings.engine):
            self.use_endpoint(settings.engine)
            return
        models = paths.models_dir()
        if settings.last_model and Path(settings.last_model).is_file():
            self.load_model(settings.last_model)
            return
        conversion = None if installed_models(models) else prepare_demo(models)
        if conversion is None:
            self.load_model(str(installed_models(models)[0]))
            return
        self.session.loading = True
        self.changed.emit()
        self.status.emit(self.tr("First start: preparing the demonstration model…"))
        self.progress.emit(0, 0)
        self._conversion = ConversionThread(conversion)
        worker = self._conversion.worker
        worker.progress.connect(self._on_conversion_progress)
        worker.finished.connect(self._on_conversion_finished)
        worker.failed.connect(self._on_conversion_failed)
        self._conversion.start()

    def _on_conversion_progress(self, _phase: str, done: int, total: int, _eta: float) -> None:
        if total:
            self.progress.emit(done, total)

    def _end_conversion(self) -> None:
        self.progress_ended.emit()
        if self._conversion is not None:
            self._conversion.join()
            self._conversion = None

    def _on_conversion_finished(self, path: str) -> None:
        self._end_conversion()
        self.refresh_models()
        self.load_model(path)

    def _on_conversion_failed(self, message: str) -> None:
        self._end_conversion()
        self.session.loading = False
        self.status.emit(message)
        self.changed.emit()

    def _on_loaded(self, info: ModelInfo) -> None:
        session = self.session
        session.model = info
        session.model_path = info.path
        session.loading = False
        session.settings.last_model = info.path
        self.save_settings()
        self.progress_ended.emit()
        ready = self.tr("Model ready (loaded in {seconds} s).").format(
            seconds=decimal(info.load_seconds)
        )
        # A load that fell back (fewer GPU layers, CPU only) says why, in the core's words.
        self.status.emit(f"{ready} {info.load_note}" if info.load_note else ready)
        self.context.emit(self.tr("Context: 0 / {n_ctx}").format(n_ctx=info.n_ctx))
        self.refresh_models()
        self.changed.emit()
        self.loaded.emit()

    def _on_remote_ready(self, name: str, model: str) -> None:
        self.session.loading = False
        self.session.remote_name = name
        self.session.model = ModelInfo("", model, "", 0, 0, "", "remote", "", 0.0, {})
        self.progress_ended.emit()
        self.status.emit(self.tr("Connected."))
        self.context.emit("")
        self.changed.emit()

    def _on_load_failed(self, message: str, kept: ModelInfo | None, details: str) -> None:
        """The engine keeps the model it had when a new file fails: the window says which.
        A crash (the only failure with raw details) took every model with the child: the
        file that was loading is kept, for « Restart the engine » to load it again."""
        session = self.session
        session.loading = False
        crashed = bool(details)
        if crashed:
            kept = None  # the engine still names the model of the child that died
        session.model = kept
        if kept is not None:
            session.model_path = kept.path
        else:
            session.model_path = self._loading_path if crashed else ""
        self.progress_ended.emit()
        if kept is not None:
            self.status.emit(self.tr("{model} is still loaded.").format(model=kept.name))
        else:
            self.status.emit(self.tr("No model is loaded."))
        self.load_failed.emit(message, details, crashed)
        self.refresh_models()  # the picker names the model really loaded
        self.changed.emit()

    def choose(self, path: str) -> bool:
        """The user picked a model (panel, drop): load it unless a reply is being written."""
        if self.session.reply is not None:
            self.status.emit(
                self.tr("Wait for the reply to end, or stop it, before changing model.")
            )
            return False
        session = self.session
        if path != session.model_path or session.remote_name or session.model is None:
            self.load_model(path)
        return True

    def restart(self) -> None:
        """The engine stopped (mid-reply or mid-load): start it again with the same file."""
        if self.session.model_path:
            self.load_model(self.session.model_path)

    def apply_settings(self, old: AppSettings, new: AppSettings) -> None:
        """New settings: change engine, or reload the model if its load settings changed
        (its preset, or the memory for recent conversations: the worker sizes it at load)."""
        path = self.session.model_path
        if new.engine != old.engine or (
            new.engine != LOCAL and new.endpoint(new.engine) != old.endpoint(old.engine)
        ):
            if new.engine != LOCAL:
                self.use_endpoint(new.engine)
            elif path:
                self.load_model(path)
        elif (
            path
            and new.load_settings(path) != old.load_settings(path)
            and not self.session.remote_name
        ):
            self.load_model(path)

    def save_settings(self) -> None:
        try:
            self.session.settings.save()
        except OSError as exc:
            self.status.emit(
                self.tr("The settings could not be saved ({error}).").format(error=exc.strerror)
            )

    def close(self) -> None:
        worker = self.engine.worker
        for signal in (worker.loaded, worker.load_failed, worker.remote_ready):
            signal.disconnect()  # nothing the engine still says may touch a closing window
        if self._conversion is not None:
            self._conversion.cancel()
        self.engine.shutdown()
