"""The frozen `vigogne-desktop`: the CPU floor first, then the app's command line.

Every child the app starts (engine, converter, sharing server) is this same executable
re-invoked with a mode flag, so the check below also guards each of them.
"""

import sys

from vigogne_desktop.core.cpu_floor import check


def _refuse(sentence: str) -> None:
    """Say the sentence where the user will see it: a dialog for the window, else stderr."""
    print(f"vigogne-desktop: {sentence}", file=sys.stderr)
    if len(sys.argv) == 1 or sys.argv[1] == "--model":
        from PySide6.QtWidgets import QApplication, QMessageBox

        QApplication(sys.argv[:1])
        QMessageBox.critical(None, "Vigogne Desktop", sentence)
    sys.exit(3)


if __name__ == "__main__":
    refusal = check()
    if refusal:
        _refuse(refusal)
    from vigogne_desktop.__main__ import main

    sys.exit(main())
