"""`make package` on Linux: the bundle, then dist/*.deb (dpkg-deb) and dist/*.tar.gz of it.

    python packaging/linux/make_deb.py

The .deb installs the folder to /opt/vigogne-desktop, links `vigogne-desktop` and
`vigogne-convert` into /usr/bin, and adds the menu entry and icon under /usr/share.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # packaging/
from build_bundle import BUILD, bundle  # noqa: E402
from llama_wheel import ROOT  # noqa: E402

DIST = ROOT / "dist"
NAME = "vigogne-desktop"
PREFIX = Path("opt") / NAME
COMMANDS = ("vigogne-desktop", "vigogne-convert")
_GLIBC = re.compile(r"GLIBC_(\d+)\.(\d+)")
# What Qt's xcb platform plugin, its GL integration, fontconfig, QtNetwork and llama.cpp open
# from the system (their NEEDED entries outside the bundle), by Debian/Ubuntu package name;
# libc6's version is measured on the bundle. Ubuntu 24.04's "t64" packages provide these names.
DEPENDS = [
    "libstdc++6",
    "libgcc-s1",
    "zlib1g",
    "libzstd1",
    "libglib2.0-0",
    "libdbus-1-3",
    "libfontconfig1",
    "libfreetype6",
    "libgssapi-krb5-2",
    "libx11-6",
    "libx11-xcb1",
    "libxcb1",
    "libxcb-cursor0",
    "libxcb-glx0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-shm0",
    "libxcb-sync1",
    "libxcb-util1",
    "libxcb-xfixes0",
    "libxcb-xkb1",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libegl1",
    "libgl1",
]


def version() -> str:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "version"
    ]


def folder_size(folder: Path) -> int:
    return sum(path.lstat().st_size for path in folder.rglob("*") if not path.is_symlink())


def elf_files(folder: Path) -> list[Path]:
    """The executables and shared libraries of the bundle."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as file:
                if file.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def highest_glibc(folder: Path) -> tuple[str, str]:
    """The glibc floor: the highest GLIBC_x.y symbol version any binary asks for, and which.
    PySide6 >= 6.10 alone needs 2.34; Python and llama.cpp take the build machine's."""
    best, where = (0, 0), ""
    for path in elf_files(folder):
        symbols = subprocess.run(
            ["objdump", "-T", str(path)], capture_output=True, text=True, check=False
        ).stdout
        for major, minor in _GLIBC.findall(symbols):
            if (int(major), int(minor)) > best:
                best, where = (int(major), int(minor)), str(path.relative_to(folder))
    return f"{best[0]}.{best[1]}", where


def deb_root(folder: Path, release: str) -> Path:
    """The tree dpkg-deb packs: /opt, /usr/bin links, /usr/share entries, DEBIAN/control."""
    root = BUILD / "deb-root"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(folder, root / PREFIX, symlinks=True)
    (root / "usr/bin").mkdir(parents=True)
    for command in COMMANDS:
        (root / "usr/bin" / command).symlink_to(Path("/") / PREFIX / command)
    share = root / "usr/share"
    (share / "applications").mkdir(parents=True)
    shutil.copy2(ROOT / "resources/vigogne-desktop.desktop", share / "applications")
    icons = share / "icons/hicolor/scalable/apps"
    icons.mkdir(parents=True)
    shutil.copy2(ROOT / "resources/icons/vigogne.svg", icons / f"{NAME}.svg")
    control = root / "DEBIAN/control"
    control.parent.mkdir()
    control.write_text(
        f"Package: {NAME}\n"
        f"Version: {release}\n"
        "Architecture: amd64\n"
        "Maintainer: Vigogne Desktop developers <vigogne-desktop@users.noreply.github.com>\n"
        f"Installed-Size: {folder_size(root) // 1024}\n"
        f"Depends: libc6 (>= {highest_glibc(folder)[0]}), {', '.join(DEPENDS)}\n"
        "Section: science\n"
        "Priority: optional\n"
        "Description: chat offline in French with the Vigogne models\n"
        " A window over llama.cpp to chat, offline, with the French Vigogne models on an\n"
        " ordinary computer, and vigogne-convert, which turns Vigogne Hugging Face\n"
        " checkpoints into quantized GGUF files. Needs an x86-64 CPU with AVX2, FMA and F16C.\n",
        encoding="utf-8",
    )
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():  # dpkg-deb refuses group/other-writable control files
            path.chmod(path.stat().st_mode & 0o755 | (0o755 if path.is_dir() else 0))
    return root


def make_deb(root: Path, release: str) -> Path:
    deb = DIST / f"{NAME}_{release}_amd64.deb"
    # gzip rather than xz: several times faster to pack on a 2-core CI for a few MB more,
    # and every dpkg reads it.
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(deb)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return deb


def make_tarball(folder: Path, release: str) -> Path:
    tarball = DIST / f"{NAME}-{release}-linux-x86_64.tar.gz"
    with tarfile.open(tarball, "w:gz", compresslevel=6) as archive:
        archive.add(folder, arcname=NAME)
    return tarball


def main() -> None:
    started = time.monotonic()
    folder = bundle("cpu")
    release = version()
    DIST.mkdir(exist_ok=True)
    for old in [*DIST.glob(f"{NAME}_*.deb"), *DIST.glob(f"{NAME}-*-linux-x86_64.tar.gz")]:
        old.unlink()
    deb = make_deb(deb_root(folder, release), release)
    tarball = make_tarball(folder, release)
    print(f"{deb.relative_to(ROOT)}  {deb.stat().st_size / 1e6:.0f} MB")
    print(f"{tarball.relative_to(ROOT)}  {tarball.stat().st_size / 1e6:.0f} MB")
    print(f"bundle {folder_size(folder) / 1e6:.0f} MB unpacked; {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
