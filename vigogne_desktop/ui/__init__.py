"""PySide6 user interface: windows, widgets and the Qt workers that call the core."""
