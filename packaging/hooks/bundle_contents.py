"""What goes into the bundle: llama.cpp's libraries, and the Qt parts the app leaves out.

Pure functions on file names, with no PyInstaller import, so tests/test_packaging.py can
check them; hook-llama_cpp.py and packaging/vigogne-desktop.spec apply them.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

# llama-cpp-python loads llama_cpp/lib's libraries through ctypes, which PyInstaller's
# analysis cannot see: every one is taken, with the runtimes the Windows build copies
# beside them (OpenMP, VC++, CUDA) and Metal's shader source.
LLAMA_LIBRARY = re.compile(r"\.(so(\.\d+)*|dylib|dll|metal)$")
# A wheel cannot hold symbolic links, so libggml.so, libggml.so.0 and libggml.so.0.25.3 are
# three copies of one library: ctypes opens the unversioned name, the others find each other
# by SONAME (the one-number name); the fully versioned copy is never opened.
_FULLY_VERSIONED = re.compile(r"\.so\.\d+\.\d+")

# Qt parts the window never uses (PySide6-Essentials ships them all): platforms for
# embedded screens, Wayland (the window runs through XWayland, as xcb), GTK's theme
# (it would need GTK 3 itself), QML, PDF, printing, SQL, TLS (downloads go through httpx).
_QT_PLUGINS_LEFT_OUT = re.compile(
    r"plugins/("
    r"designer|qmltooling|qmllint|sqldrivers|printsupport|tls|networkinformation|generic"
    r"|egldeviceintegrations|wayland-[\w-]+|vectorimageformats"
    r"|platforms/lib(qeglfs|qlinuxfb|qminimalegl|qvnc|qvkkhrdisplay|qwayland[\w-]*)\."
    r"|platforms/qdirect2d\."
    r"|platformthemes/libqgtk3\."
    r"|platforminputcontexts/libqtvirtualkeyboardplugin\."
    r"|imageformats/(lib)?qpdf\."
    r")"
)
_QT_LIBRARIES_LEFT_OUT = re.compile(
    r"(lib)?Qt6(Pdf|Qml|Quick|VirtualKeyboard|Wayland|Wl|EglF[Ss]|WebEngine|Designer|Sql|Test"
    r"|PrintSupport|OpenGLWidgets|Concurrent|Xml|Help|UiTools|Multimedia|Positioning"
    r"|WebChannel|ShaderTools|Quick3D|Charts|DataVisualization|Graphs|Scxml|StateMachine"
    r"|SerialPort|Bluetooth|Nfc|Sensors|TextToSpeech|WebSockets|Location|Remote|3D)"
)
# Linux: libraries PyInstaller found in the system's folders stay there (the .deb depends on
# their packages): a bundled copy of fontconfig, X11, GLib or libstdc++ can disagree with the
# user's own files and drivers, and would carry the build machine's glibc floor. Only those
# Python's own modules open, which a desktop may lack, are taken.
_SYSTEM_FOLDERS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")
_BUNDLED_FROM_SYSTEM = re.compile(r"^lib(ssl|crypto|ffi|sqlite3|bz2|lzma|z|expat|uuid|mpdec)\.so")
# Qt's own translations (qtbase_fr.qm, qt_zh_CN.qm): only the two languages the app speaks.
LANGUAGES = ("fr", "en")


def llama_libraries(lib_dir: Path) -> list[Path]:
    """The files of llama_cpp/lib the bundle needs, each library once."""
    return sorted(
        path
        for path in lib_dir.iterdir()
        if path.is_file()
        and LLAMA_LIBRARY.search(path.name)
        and not _FULLY_VERSIONED.search(path.name)
    )


def kept(destination: str, source: str = "") -> bool:
    """Whether a file PyInstaller collected, by its path inside the bundle and where it was
    found, stays in it."""
    name = PurePosixPath(destination.replace("\\", "/"))
    text = name.as_posix()
    if source.startswith(_SYSTEM_FOLDERS):
        return bool(_BUNDLED_FROM_SYSTEM.match(name.name))
    if _QT_LIBRARIES_LEFT_OUT.match(name.name):  # also PyInstaller's links to them at the top
        return False
    if "PySide6" not in name.parts:
        return True
    if "translations" in name.parts and name.suffix == ".qm":
        words = name.stem.split("_")
        country = len(words) > 2 and words[-1].isupper()
        return (words[-2] if country else words[-1]) in LANGUAGES
    return not _QT_PLUGINS_LEFT_OUT.search(text)
