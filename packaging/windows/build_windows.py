"""Builds the Windows installer: llama.cpp for the stated CPU floor (or with CUDA), the runtime
DLLs its libraries import, the bundle from the shared spec, signtool when a certificate is
given, and the per-user NSIS installer.

    python packaging/windows/build_windows.py [--variant cpu|cuda] [--dry-run]
    python packaging/windows/build_windows.py --sign FILE      (makensis calls this back)

Environment; signing says SKIPPED, and why, when the certificate is absent:
  WINDOWS_CERTIFICATE            a .pfx code-signing certificate (path)
  WINDOWS_CERTIFICATE_PASSWORD   its password
  WINDOWS_TIMESTAMP_URL          RFC 3161 time-stamping server (default DigiCert's)
  CUDA_PATH                      with --variant cuda: the toolkit whose runtime DLLs ship
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from build_steps import (  # noqa: E402 (the shared steps live one folder up)
    DIST,
    Steps,
    build_bundle,
    missing_variables,
    project_version,
)

HERE = Path(__file__).resolve().parent
INSTALLER = HERE / "installer.nsi"
SIGNING = ("WINDOWS_CERTIFICATE", "WINDOWS_CERTIFICATE_PASSWORD")
# Runtimes that llama.cpp's DLLs may import and that a fresh Windows lacks: the C++ runtime
# (MSVC), OpenMP (only if a build turns it on: ours do not), and CUDA's runtime and cuBLAS.
# A PE import table names each imported DLL in plain ASCII, so a byte search finds them.
RUNTIME_DLL = re.compile(
    rb"(?i)\b((?:msvcp140(?:_\w+)?|vcruntime140(?:_\w+)?|concrt140|vcomp140|libomp140\.x86_64"
    rb"|cudart64_\w+|cublas64_\w+|cublasLt64_\w+)\.dll)\b"
)


def imported_runtimes(dll: Path) -> set[str]:
    """The redistributable runtime DLLs that `dll` names (lower case)."""
    return {name.decode().lower() for name in RUNTIME_DLL.findall(dll.read_bytes())}


def program_files_x86() -> Path:
    return Path(os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"))


def runtime_folders() -> list[Path]:
    """Where redistributable runtimes are found on a build machine, best first."""
    folders = []
    cuda = os.environ.get("CUDA_PATH")
    if cuda:
        # CUDA 12 keeps its DLLs in bin, CUDA 13 in bin\x64.
        folders += [Path(cuda) / "bin", Path(cuda) / "bin" / "x64"]
    vswhere = program_files_x86() / "Microsoft Visual Studio" / "Installer" / "vswhere.exe"
    if vswhere.exists():
        studio = subprocess.run(
            [str(vswhere), "-latest", "-products", "*", "-property", "installationPath"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        redist = sorted(glob.glob(os.path.join(studio, "VC", "Redist", "MSVC", "*", "x64")))
        if redist:
            # The newest redistributable: Microsoft.VC143.CRT, Microsoft.VC143.OpenMP, ...
            folders += sorted(Path(redist[-1]).glob("Microsoft.VC*"))
    folders.append(Path(os.environ.get("SYSTEMROOT", r"C:\Windows")) / "System32")
    return folders


def collect_runtimes(steps: Steps, lib: Path) -> None:
    """Copies into the bundle the runtimes that llama.cpp's DLLs (in `lib`) import, and what
    those import in turn, unless PyInstaller already put them in the bundle: the installed
    app then needs no Visual C++ redistributable or CUDA toolkit on the user's machine."""
    internal = lib.parent.parent  # _internal/, where PyInstaller puts the DLLs it found
    present = {path.name.lower() for folder in (lib, internal) for path in folder.glob("*.dll")}
    wanted = set().union(*(imported_runtimes(dll) for dll in lib.glob("*.dll")))
    folders = runtime_folders() if wanted - present else []
    while wanted - present:
        name = sorted(wanted - present)[0]
        # Import tables and file systems may spell a DLL's name in different cases.
        source = next(
            (
                entry
                for folder in folders
                if folder.is_dir()
                for entry in folder.iterdir()
                if entry.name.lower() == name
            ),
            None,
        )
        if source is None:
            raise SystemExit(f"{name} is imported by llama.cpp but found in none of {folders}")
        steps.say(f"+ copy {source} {lib}")
        if not steps.dry_run:
            shutil.copy2(source, lib / source.name)
            wanted |= imported_runtimes(lib / source.name)
        present.add(name)


def signtool() -> str:
    found = shutil.which("signtool")
    if found:
        return found
    candidates = sorted(program_files_x86().glob("Windows Kits/10/bin/10.*/x64/signtool.exe"))
    if not candidates:
        raise SystemExit("signtool.exe not found: install the Windows SDK")
    return str(candidates[-1])


def sign(steps: Steps, *files: Path) -> None:
    """Authenticode, SHA-256, with an RFC 3161 timestamp so the signature outlives the
    certificate."""
    password = os.environ["WINDOWS_CERTIFICATE_PASSWORD"]
    timestamp = os.environ.get("WINDOWS_TIMESTAMP_URL", "http://timestamp.digicert.com")
    tool = "signtool" if steps.dry_run else signtool()
    steps.run(
        [
            tool,
            "sign",
            "/fd",
            "SHA256",
            "/td",
            "SHA256",
            "/tr",
            timestamp,
            "/f",
            os.environ["WINDOWS_CERTIFICATE"],
            "/p",
            password,
            *files,
        ],
        secrets=[password],
    )


def makensis() -> str:
    found = shutil.which("makensis")
    if found:
        return found
    return str(program_files_x86() / "NSIS" / "makensis.exe")


def build(steps: Steps, variant: str) -> Path:
    version = project_version()
    bundle = build_bundle(steps, variant)
    collect_runtimes(steps, bundle / "_internal" / "llama_cpp" / "lib")

    signed = not missing_variables(SIGNING)
    if signed:
        sign(steps, bundle / "vigogne-desktop.exe", bundle / "vigogne-convert.exe")
    else:
        steps.skip("code signing of the programs and the installer", SIGNING)

    suffix = "" if variant == "cpu" else f"-{variant}"
    installer = DIST / f"Vigogne-Desktop-{version}-windows-x64{suffix}-setup.exe"
    numbers = (re.findall(r"\d+", version) + ["0"] * 4)[:4]
    command = [
        makensis(),
        f"/DSOURCE_DIR={bundle}",
        f"/DAPP_VERSION={version}",
        f"/DVERSION_QUAD={'.'.join(numbers)}",
        f"/DOUTFILE={installer}",
    ]
    if variant != "cpu":
        command.append(f"/DVARIANT={variant.upper()}")
    if signed:
        # makensis signs the uninstaller it generates and the installer through this script.
        command.append(f'/DSIGN_COMMAND="{sys.executable}" "{Path(__file__)}" --sign')
    steps.run([*command, INSTALLER])
    return installer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run none")
    parser.add_argument("--sign", type=Path, metavar="FILE", help="sign FILE and stop")
    args = parser.parse_args()
    if args.sign:
        sign(Steps(dry_run=False), args.sign)
        return
    if sys.platform != "win32" and not args.dry_run:
        raise SystemExit("build_windows.py builds on Windows only (--dry-run shows its steps)")
    print(build(Steps(args.dry_run), args.variant))


if __name__ == "__main__":
    main()
