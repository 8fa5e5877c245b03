"""Builds the macOS app and disk image: llama.cpp with Metal, the .app from the shared spec,
signed and notarized when the secrets are there, then a DMG with an Applications link.

    python packaging/macos/build_macos.py [--dry-run]

Apple silicon (arm64) only, macOS 14 or newer (LSMinimumSystemVersion in Info.plist here).
Environment; each step says SKIPPED, and why, when its variables are absent:
  MACOS_SIGN_IDENTITY   "Developer ID Application: NAME (TEAMID)", in a keychain codesign sees
  APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD   notarization (an app-specific password)
Without an identity the app is signed ad hoc: it runs on the machine that built it, and
elsewhere only after the user allows it in System Settings › Privacy & Security.
"""

from __future__ import annotations

import argparse
import json
import os
import plistlib
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from build_steps import (  # noqa: E402 (the shared steps live one folder up)
    APP_NAME,
    DIST,
    Steps,
    build_bundle,
    missing_variables,
    project_version,
)

HERE = Path(__file__).resolve().parent
INFO_PLIST = HERE / "Info.plist"
ENTITLEMENTS = HERE / "entitlements.plist"
DMG_SETTINGS = HERE / "dmg_settings.py"
SIGNING = ("MACOS_SIGN_IDENTITY",)
NOTARIZING = ("APPLE_ID", "APPLE_TEAM_ID", "APPLE_APP_PASSWORD")
# 64-bit, 32-bit (both byte orders) and universal ("fat") Mach-O headers.
MACH_O_MAGICS = {
    bytes.fromhex(magic) for magic in ("feedfacf", "cffaedfe", "feedface", "cefaedfe", "cafebabe")
}


def minimum_system() -> str:
    return str(plistlib.loads(INFO_PLIST.read_bytes())["LSMinimumSystemVersion"])


def merge_info_plist(app: Path, version: str) -> None:
    """Our keys over PyInstaller's Info.plist, with the project's version."""
    target = app / "Contents" / "Info.plist"
    info = plistlib.loads(target.read_bytes())
    info.update(plistlib.loads(INFO_PLIST.read_bytes()))
    info["CFBundleShortVersionString"] = version
    info["CFBundleVersion"] = version
    target.write_bytes(plistlib.dumps(info))


def mach_o_files(app: Path) -> list[Path]:
    """Every executable, dylib and extension module of the bundle, deepest first (the order
    signing needs: a bundle's seal covers the signatures of what it contains)."""
    found = []
    for path in app.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as stream:
                if stream.read(4) in MACH_O_MAGICS:
                    found.append(path)
    return sorted(found, key=lambda path: len(path.parts), reverse=True)


def newer_than_floor(app: Path, floor: str) -> list[str]:
    """Files built for a newer macOS than the one Info.plist promises (they would not load)."""

    def as_tuple(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version.split("."))

    too_new = []
    for path in mach_o_files(app):
        commands = subprocess.run(
            ["otool", "-l", str(path)], check=True, capture_output=True, text=True
        ).stdout
        # LC_BUILD_VERSION says "minos 14.0" (its tools' "version" lines are not the OS); the
        # older LC_VERSION_MIN_MACOSX says "version 10.9".
        for block in re.split(r"^Load command \d+$", commands, flags=re.M):
            wanted = {"LC_BUILD_VERSION": "minos", "LC_VERSION_MIN_MACOSX": "version"}
            kind = re.search(r"^\s*cmd (\w+)$", block, re.M)
            key = wanted.get(kind.group(1)) if kind else None
            found = re.search(rf"^\s*{key} (\d+(?:\.\d+)*)$", block, re.M) if key else None
            if found and as_tuple(found.group(1)) > as_tuple(floor):
                too_new.append(f"{path.relative_to(app)} needs macOS {found.group(1)}")
    return too_new


def sign(steps: Steps, app: Path, identity: str) -> None:
    """Inside out, with the hardened runtime and a secure timestamp (notarization needs both).

    Every nested binary is signed first and the executables get the entitlements; the bundle
    is signed last. `codesign --deep` is kept for the check: signing with it would give every
    nested library the executables' entitlements, which Apple advises against.
    """
    signing = ["codesign", "--force", "--timestamp", "--options", "runtime", "--sign", identity]
    programs = app / "Contents" / "MacOS"
    executables = {programs / "vigogne-desktop", programs / "vigogne-convert"}
    for binary in mach_o_files(app):
        if binary not in executables:
            steps.run([*signing, binary])
    for framework in sorted(app.rglob("*.framework"), key=lambda p: len(p.parts), reverse=True):
        if not framework.is_symlink():
            steps.run([*signing, framework])
    for executable in sorted(executables):
        steps.run([*signing, "--entitlements", ENTITLEMENTS, executable])
    steps.run([*signing, "--entitlements", ENTITLEMENTS, app])
    steps.run(["codesign", "--verify", "--deep", "--strict", "--verbose=2", app])


def notarize(steps: Steps, artifact: Path) -> None:
    """Apple's notary service, waited for; the ticket is stapled so a first start offline works."""
    password = os.environ["APPLE_APP_PASSWORD"]
    upload = artifact
    if artifact.suffix == ".app":
        # notarytool takes a zip, a dmg or a pkg; ditto keeps the bundle's symlinks and modes.
        upload = artifact.with_suffix(".zip")
        steps.run(["ditto", "-c", "-k", "--keepParent", artifact, upload])
    credentials = [
        "--apple-id",
        os.environ["APPLE_ID"],
        "--team-id",
        os.environ["APPLE_TEAM_ID"],
        "--password",
        password,
    ]
    answer = steps.run(
        [
            "xcrun",
            "notarytool",
            "submit",
            upload,
            *credentials,
            "--wait",
            "--output-format",
            "json",
        ],
        secrets=[password],
    )
    if not steps.dry_run:
        verdict = json.loads(answer)
        if verdict.get("status") != "Accepted":
            steps.run(
                ["xcrun", "notarytool", "log", verdict.get("id", ""), *credentials],
                secrets=[password],
            )
            raise SystemExit(f"notarization of {artifact.name}: {verdict.get('status')}")
    steps.run(["xcrun", "stapler", "staple", artifact])
    if upload != artifact and not steps.dry_run:
        upload.unlink()


def build(steps: Steps) -> Path:
    version = project_version()
    floor = minimum_system()
    # The llama.cpp compile and PyInstaller's checks read the floor from the environment.
    folder = build_bundle(steps, "metal", env={"MACOSX_DEPLOYMENT_TARGET": floor})
    app = folder.parent / f"{APP_NAME}.app"

    steps.say(f"+ merge {INFO_PLIST.name} into {app} (version {version})")
    if not steps.dry_run:
        merge_info_plist(app, version)
        too_new = newer_than_floor(app, floor)
        if too_new:
            raise SystemExit("LSMinimumSystemVersion is too low:\n  " + "\n  ".join(too_new))

    signed = not missing_variables(SIGNING)
    if signed:
        sign(steps, app, os.environ["MACOS_SIGN_IDENTITY"])
    else:
        steps.skip("code signing with a Developer ID (ad-hoc signature instead)", SIGNING)
        # Editing Info.plist broke PyInstaller's ad-hoc seal; Apple silicon runs nothing unsealed.
        steps.run(["codesign", "--force", "--deep", "--sign", "-", app])

    missing = missing_variables(NOTARIZING) + ([] if signed else list(SIGNING))
    if not missing:
        notarize(steps, app)
    else:
        steps.skip("notarization of the app", missing)

    dmg = DIST / f"Vigogne-Desktop-{version}-macos-arm64.dmg"
    steps.run(
        [sys.executable, "-m", "dmgbuild", "-s", DMG_SETTINGS, "-D", f"app={app}", APP_NAME, dmg]
    )
    if signed:
        steps.run(
            ["codesign", "--force", "--timestamp", "--sign", os.environ["MACOS_SIGN_IDENTITY"], dmg]
        )
    if not missing:
        notarize(steps, dmg)
    else:
        steps.skip("notarization of the disk image", missing)
    return dmg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run none")
    dry_run = parser.parse_args().dry_run
    if sys.platform != "darwin" and not dry_run:
        raise SystemExit("build_macos.py builds on macOS only (--dry-run shows its steps anywhere)")
    print(build(Steps(dry_run)))


if __name__ == "__main__":
    main()
