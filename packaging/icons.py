"""Writes the app's icon for the installers from resources/icons/vigogne.svg: the Windows .ico
(executables, installer) and the macOS .icns (the .app), both kept in the checkout.

    QT_QPA_PLATFORM=offscreen python packaging/icons.py    # after changing the SVG

Both formats are a small index over PNG images, which Windows (Vista on) and macOS (10.7 on)
read inside them, so Qt renders each size and this file only writes the index.
"""

from __future__ import annotations

import struct
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "icons" / "vigogne.svg"
ICO = ROOT / "packaging" / "windows" / "vigogne.ico"
ICNS = ROOT / "packaging" / "macos" / "vigogne.icns"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# Apple's PNG-holding icon types and their pixel sizes (the @2x ones share a size with the next).
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic11", 32),
    (b"icp6", 64),
    (b"ic12", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic13", 256),
    (b"ic09", 512),
    (b"ic14", 512),
    (b"ic10", 1024),
)


def rendered_png(renderer: QSvgRenderer, size: int) -> bytes:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6's stub asks for bytes here, while PySide6 6.11 accepts only str at run time.
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    return bytes(data.data())


def ico(images: dict[int, bytes]) -> bytes:
    """ICONDIR, one ICONDIRENTRY per image (a width of 0 means 256), then the PNGs."""
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, png in images.items():
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return struct.pack("<HHH", 0, 1, len(images)) + entries + blobs


def icns(images: dict[int, bytes]) -> bytes:
    """'icns' and the file's length, then (type, length with its 8-byte header, PNG) each."""
    body = b"".join(
        kind + struct.pack(">I", 8 + len(images[size])) + images[size] for kind, size in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> None:
    application = QGuiApplication([])  # QPainter needs one, even on an offscreen image
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG} is not a valid SVG")
    sizes = sorted(set(ICO_SIZES) | {size for _, size in ICNS_TYPES})
    images = {size: rendered_png(renderer, size) for size in sizes}
    ICO.write_bytes(ico({size: images[size] for size in ICO_SIZES}))
    ICNS.write_bytes(icns(images))
    del application
    print(ICO, ICNS)


if __name__ == "__main__":
    main()
