"""The library's job: what this machine can run, the catalog and the local models with their
fit, downloads of ready GGUFs and conversions, files the user adds.

Reading files and probing the machine run on the thread pool; a download runs on a QThread
of its own and a conversion in a child process. It touches no widget: it says what to show
in signals. It lists the library as soon as it exists: the conversation panel picks from it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QFile, QObject, QThread, Signal, Slot

from ..core import settings as paths
from ..core.catalog import by_id, entries
from ..core.context_size import FALLBACK
from ..core.conversion import Conversion
from ..core.errors import DownloadCancelled, VigogneError
from ..core.hardware import Machine, probe, shape_from_gguf
from ..core.library import (
    LocalModel,
    SkippedFile,
    added_entry,
    discover,
    import_models,
    local_models,
)
from . import error_log
from .background import run_in_background
from .conversion_worker import ConversionThread
from .library_models import UNKNOWN, CatalogRow, Fit, LocalRow, ReadyFile, catalog_row, fit_of
from .session import Session

Scan = tuple[Machine, int, list[CatalogRow], list[LocalRow], list[SkippedFile]]


@dataclass(frozen=True)
class ConvertRequest:
    """What the convert dialog asks: a source, where the result goes, the converter's options."""

    source: str  # a Hub repo id, a checkpoint folder or a LoRA adapter folder
    output: Path
    options: tuple[str, ...]


class DownloadWorker(QObject):
    """One Hub download, run on its own thread; progress comes back as queued signals."""

    progress = Signal(object)  # DownloadProgress
    finished = Signal(str)  # the verified file in the Hugging Face cache
    failed = Signal(str, bool)  # the sentence; True when the user cancelled

    def __init__(self, file: ReadyFile, token: str | None) -> None:
        super().__init__()
        self.file = file
        self.token = token
        self.cancel = threading.Event()

    @Slot()
    def run(self) -> None:
        from ..core.downloads import download_file  # httpx and huggingface_hub: not at start

        try:
            path = download_file(
                self.file.repo,
                self.file.filename,
                revision=self.file.revision,
                token=self.token,
                on_progress=self.progress.emit,
                cancel=self.cancel,
            )
        except DownloadCancelled as exc:
            self.failed.emit(str(exc), True)
        except VigogneError as exc:
            self.failed.emit(str(exc), False)
        except Exception as exc:  # a bug or the system: one sentence, the details logged
            self.failed.emit(error_log.sentence(exc, error_log.record(exc)), False)
        else:
            self.finished.emit(str(path))


class LibraryController(QObject):
    status = Signal(str)
    message = Signal(str)  # a sentence for the library view (an error, a cancel); "" clears it
    machine_shown = Signal(object, int)  # Machine, the n_ctx fits are computed for
    catalog_ready = Signal(list)  # list[CatalogRow]
    local_ready = Signal(list)  # list[LocalRow]
    skipped_found = Signal(list)  # list[SkippedFile]: files the local list leaves out, and why
    download_started = Signal(str, int)  # file name, bytes already on disk (a resume)
    download_progress = Signal(object)  # DownloadProgress
    download_ended = Signal(str)  # the file's path; "" when it failed or was cancelled
    conversion_progress = Signal(str, int, int, float)  # phase, done, total, ETA (-1: unknown)
    conversion_ended = Signal(str, str)  # the new file's path or "", the failure's sentence

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.machine: Machine | None = None
        self.catalog: list[CatalogRow] = []
        self.local: list[LocalRow] = []
        self._scan_token = 0
        self._thread: QThread | None = None
        self._download: DownloadWorker | None = None
        self._conversion: ConversionThread | None = None
        self._phase = ("", 0.0)
        self.refresh()

    @property
    def n_ctx(self) -> int:
        """The context fits are judged at: the current model's setting, if one is set.

        Automatic (None) is judged at FALLBACK tokens, capped by each local model's own.
        """
        return self.session.settings.preset(self.session.model_path).n_ctx or FALLBACK

    @property
    def downloading(self) -> bool:
        return self._download is not None

    @property
    def converting(self) -> bool:
        return self._conversion is not None

    # -- the lists ----------------------------------------------------------------------

    def refresh(self, machine: Machine | None = None) -> None:
        """Probe the machine (unless given one), read the local files, estimate each fit."""
        self._scan_token += 1
        token, n_ctx, settings = self._scan_token, self.n_ctx, self.session.settings
        imported = [Path(p) for p in settings.imported_models]
        presets = {name: p.n_ctx for name, p in settings.presets.items() if p.n_ctx}

        def scan() -> tuple[int, Scan]:
            here = machine or probe(paths.models_dir())
            catalog = sorted(
                (catalog_row(e, here, n_ctx) for e in entries()),
                key=lambda r: r.entry.status != "recommended",  # stable: the table's order
            )
            skipped: list[SkippedFile] = []
            local = _local_rows(here, imported, presets, n_ctx, skipped)
            return token, (here, n_ctx, catalog, local, skipped)

        run_in_background(self, scan, self._on_scanned, self.message.emit)

    def _on_scanned(self, result: tuple[int, Scan]) -> None:
        token, (machine, n_ctx, catalog, local, skipped) = result
        if token != self._scan_token:
            return  # a newer scan is on its way
        self.machine, self.catalog, self.local = machine, catalog, local
        self.machine_shown.emit(machine, n_ctx)
        self.catalog_ready.emit(catalog)
        self.local_ready.emit(local)
        self.skipped_found.emit(skipped)

    def add_models(self, chosen: list[str]) -> None:
        """GGUF files or folders the user added: checked, then listed where they are."""
        run_in_background(
            self, lambda: (chosen, import_models(chosen)), self._on_checked, self.message.emit
        )

    def _on_checked(self, result: tuple[list[str], list[LocalModel]]) -> None:
        chosen, _models = result
        imported = self.session.settings.imported_models
        imported.extend(p for p in map(str, map(Path, chosen)) if p not in imported)
        self._save_and_refresh()

    def _save_and_refresh(self) -> None:
        try:
            self.session.settings.save()
        except OSError as exc:
            self.message.emit(
                self.tr("The settings could not be saved ({error}).").format(error=exc.strerror)
            )
        self.refresh(self.machine)

    def added_entry(self, path: str) -> str | None:
        """The file or folder the user added that lists `path`; None if it was not added."""
        return added_entry(Path(path), self.session.settings.imported_models)

    def remove_added(self, added: list[str]) -> None:
        """Files or folders the user added, out of the library; nothing on disk changes."""
        imported = self.session.settings.imported_models
        imported[:] = [p for p in imported if p not in added]
        self.status.emit(
            self.tr("Removed from the library: {names}. The files stay on disk.").format(
                names=", ".join(Path(p).name for p in added)
            )
        )
        self._save_and_refresh()

    def delete_model(self, path: str) -> None:
        """A model of the app's own models folder, to the system trash (else deleted)."""
        file = Path(path)
        if file.resolve().parent != paths.models_dir().resolve():
            return  # other apps' files, and added ones, are only ever listed: never deleted
        if path == self.session.model_path and self.session.model is not None:
            self.message.emit(
                self.tr("{model} is the model in use: load another one, then delete it.").format(
                    model=file.name
                )
            )
            return
        # Qt's trash is the desktop's (freedesktop, Finder, Recycle Bin); where it has none
        # (another drive without a trash folder, a bare system), the file is deleted.
        trashed = QFile(path).moveToTrash()
        try:
            if not trashed:
                file.unlink()
        except OSError as exc:
            self.message.emit(
                self.tr("{model} could not be deleted ({error}).").format(
                    model=file.name, error=exc.strerror
                )
            )
            return
        done = self.tr("{model} is in the trash.") if trashed else self.tr("{model} is deleted.")
        self.status.emit(done.format(model=file.name))
        self.refresh(self.machine)

    # -- downloads ----------------------------------------------------------------------

    def download(self, file: ReadyFile) -> None:
        from ..core.downloads import partial_bytes

        if self._download is not None:
            self.message.emit(self.tr("A download is already running: wait for it or cancel it."))
            return
        worker = DownloadWorker(file, self.session.settings.hub_token())
        thread = QThread()
        thread.setObjectName("download")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self.download_progress)
        worker.finished.connect(self._on_downloaded)
        worker.failed.connect(self._on_download_failed)
        self._download, self._thread = worker, thread
        self.message.emit("")
        self.download_started.emit(file.filename, partial_bytes(file.repo, file.sha256))
        thread.start()

    def cancel_download(self) -> None:
        if self._download is not None:
            self._download.cancel.set()  # the worker stops at its next chunk and says so

    def _end_download(self) -> None:
        if self._thread is not None:
            self._thread.quit()
            self._thread.wait()
        self._download = self._thread = None

    def _on_downloaded(self, path: str) -> None:
        self._end_download()
        self.download_ended.emit(path)
        name = Path(path).name
        self.status.emit(self.tr("{model} is downloaded and verified.").format(model=name))
        self.refresh(self.machine)

    def _on_download_failed(self, sentence: str, _cancelled: bool) -> None:
        self._end_download()
        self.download_ended.emit("")
        self.message.emit(sentence)

    # -- conversions --------------------------------------------------------------------

    def convert(self, request: ConvertRequest) -> None:
        if self._conversion is not None:
            return
        self._phase = ("", time.monotonic())
        self._conversion = ConversionThread(
            Conversion(
                request.source,
                request.output,
                request.options,
                token=self.session.settings.hub_token(),
            )
        )
        worker = self._conversion.worker
        worker.progress.connect(self._on_conversion_progress)
        worker.finished.connect(self._on_converted)
        worker.failed.connect(self._on_conversion_failed)
        self._conversion.start()

    def cancel_conversion(self) -> None:
        if self._conversion is not None:
            worker = self._conversion.worker
            for signal in (worker.progress, worker.finished, worker.failed):
                signal.disconnect()  # the killed child's own last words are not news
            self._conversion.cancel()
            self._conversion = None
            self.conversion_ended.emit(
                "", self.tr("Conversion cancelled: nothing was added to the library.")
            )

    def _on_conversion_progress(self, phase: str, done: int, total: int, eta: float) -> None:
        """The converter's ETA, or the phase's from its pace so far (each has its own pace)."""
        now = time.monotonic()
        if phase != self._phase[0]:
            self._phase = (phase, now)
        elapsed = now - self._phase[1]
        if eta < 0 and done and total and elapsed > 1:
            eta = elapsed * (total - done) / done
        self.conversion_progress.emit(phase, done, total, eta)

    def _end_conversion(self) -> None:
        if self._conversion is not None:
            self._conversion.join()
            self._conversion = None

    def _on_converted(self, path: str) -> None:
        self._end_conversion()
        self.conversion_ended.emit(path, "")
        self.status.emit(
            self.tr("{model} is converted and in the library.").format(model=Path(path).name)
        )
        self.refresh(self.machine)

    def _on_conversion_failed(self, sentence: str) -> None:
        self._end_conversion()
        self.conversion_ended.emit("", sentence)

    def close(self) -> None:
        self._scan_token += 1  # a scan still running is ignored
        self.cancel_download()
        self._end_download()
        if self._conversion is not None:
            self._conversion.cancel()
            self._conversion = None


def _local_rows(
    machine: Machine,
    imported: list[Path],
    presets: dict[str, int],
    n_ctx: int,
    skipped: list[SkippedFile],
) -> list[LocalRow]:
    """The models folder and added files first, then other apps' files not already listed."""
    from huggingface_hub import constants  # imported by the scan, not by the window's start

    models = local_models(paths.models_dir(), imported, skipped)
    seen = {m.path.resolve() for m in models}
    # The cache downloads go to, read now: huggingface_hub's scan_cache_dir defaults to the
    # one set when it was imported.
    found = discover(hf_cache=Path(constants.HF_HUB_CACHE), skipped=skipped)
    models += [m for m in found if m.path.resolve() not in seen]
    # Judged at the context it would run with: the user's, capped by what the model knows
    # (the demo model's 512 tokens, not 4096).
    return [
        _local_row(m, machine, min(presets.get(m.path.name, n_ctx), m.context_length or n_ctx))
        for m in models
    ]


def _local_row(model: LocalModel, machine: Machine, n_ctx: int) -> LocalRow:
    entry = by_id(model.catalog_id) if model.catalog_id else None
    kind = entry.kind if entry else ("chat" if model.has_chat_template else "")
    try:
        fit = fit_of(shape_from_gguf(model.path), n_ctx, machine)
    except (OSError, ValueError, KeyError) as exc:
        # A file the GGUF reader cannot size is still listed: loading it says what is wrong.
        error_log.record(exc)
        fit = Fit(UNKNOWN)
    return LocalRow(model, kind, fit)
