"""What the library asks before it acts: a research-only licence accepted, a file too big
for this computer downloaded anyway, an added model removed from the list, a model file
deleted; and the files it left out, explained.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from ..core.catalog import CatalogEntry
from ..core.library import LocalModel, SkippedFile
from .library_models import TOO_BIG, ReadyFile, size_text


class LibraryQuestions(QObject):
    """The questions, asked over `window` (a QObject, for `tr` and its plural forms)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window

    def _yes(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self.window, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def _go_on(self, title: str, text: str, go: str) -> bool:
        """A question whose buttons say what they do (`go`, « Annuler »); Cancel by default."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=self.window)
        accept = box.addButton(go, QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(box.addButton(self.tr("Cancel"), QMessageBox.ButtonRole.RejectRole))
        box.exec()
        return box.clickedButton() is accept

    def licence_accepted(self, entry: CatalogEntry) -> bool:
        """A research-only model is fetched only once the user says it is for research."""
        if not entry.research_only:
            return True
        return self._go_on(
            self.tr("Research use only"),
            entry.licence_note + "\n\n" + self.tr("Use this model for research only?"),
            self.tr("Continue (research only)"),
        )

    def too_big_accepted(self, file: ReadyFile) -> bool:
        """A file too big for this computer is downloaded only once the user has seen by how
        much (for another computer, or after freeing memory)."""
        if file.fit.level != TOO_BIG:
            return True
        text = self.tr(
            "{quant} needs about {needed} of free memory and {free} is free: it will not run "
            "on this computer as it is now. Download it anyway?"
        ).format(
            quant=file.quant,
            needed=size_text(file.fit.needed_bytes),
            free=size_text(file.fit.free_bytes),
        )
        return self._go_on(self.tr("Too big for this computer"), text, self.tr("Download anyway"))

    def removal_confirmed(self, added: str, models: int) -> bool:
        """An added file, or a folder and each model in it: the library forgets, the disk keeps."""
        if Path(added).is_dir():
            text = self.tr(
                "Remove the folder {name} and its %n model(s) from the library? The files stay "
                "on disk: only the library forgets them.",
                "",
                models,
            )
        else:
            text = self.tr(
                "Remove {name} from the library? The file stays on disk: only the library "
                "forgets it."
            )
        name = Path(added).name or added
        return self._yes(self.tr("Remove from library"), text.format(name=name))

    def deletion_confirmed(self, model: LocalModel) -> bool:
        """Gigabytes gone: the question names the file and its size."""
        text = self.tr(
            "Delete {name} ({size}) from the models folder? It goes to the trash, or is deleted "
            "for good where there is no trash."
        )
        name, size = model.path.name, size_text(model.size_bytes)
        return self._yes(self.tr("Delete the file"), text.format(name=name, size=size))

    def skipped_summary(self, skipped: list[SkippedFile]) -> str:
        """« 2 fichiers ignorés »: the notice under the models on this computer."""
        return self.tr("%n file(s) skipped", "", len(skipped))

    def skipped_box(
        self, skipped: list[SkippedFile], removable: list[str]
    ) -> tuple[QMessageBox, QPushButton | None]:
        """Each file left out with its sentence; the added ones can be removed from the list.

        Returns the box (not yet shown) and its « remove » button, None when none is removable.
        """
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle(self.tr("Files skipped"))
        box.setText(self.tr("These files are not in the library:"))
        box.setInformativeText("\n\n".join(s.reason for s in skipped))
        remove = None
        if removable:
            remove = box.addButton(
                self.tr("Remove the %n added one(s) from the library", "", len(removable)),
                QMessageBox.ButtonRole.ActionRole,
            )
        box.addButton(QMessageBox.StandardButton.Close)
        return box, remove
