"""Qt-free core of Vigogne Desktop: engines, prompts, models, storage. Never imports PySide6."""
