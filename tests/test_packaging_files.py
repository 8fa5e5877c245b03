"""The installer files that only run on other machines, checked here: the GitHub workflows
against GitHub's schema, the NSIS script compiled by makensis, the macOS plists and dmgbuild
settings loaded as their tools load them, and the build scripts' steps in a dry run."""

from __future__ import annotations

import importlib.util
import os
import plistlib
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
MACOS = ROOT / "packaging" / "macos"
WINDOWS = ROOT / "packaging" / "windows"
SECRETS = (
    "MACOS_SIGN_IDENTITY",
    "APPLE_ID",
    "APPLE_TEAM_ID",
    "APPLE_APP_PASSWORD",
    "WINDOWS_CERTIFICATE",
    "WINDOWS_CERTIFICATE_PASSWORD",
)


def load_script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_workflows(*paths: Path) -> subprocess.CompletedProcess[str]:
    # The schema ships inside check-jsonschema: no network is needed (checked with `unshare -n`).
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_workflows_follow_github_schema(tmp_path: Path) -> None:
    assert [path.name for path in WORKFLOWS] == ["ci.yml", "release.yml"]
    checked = check_workflows(*WORKFLOWS)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The same check refuses a job without a runner: it can fail.
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOWS[0].read_text().replace("runs-on:", "runson:"))
    assert check_workflows(broken).returncode != 0


def test_workflows_test_three_systems_and_release_on_tags() -> None:
    ci, release = (YAML(typ="safe").load(path.read_text()) for path in WORKFLOWS)
    assert set(ci["jobs"]["test"]["strategy"]["matrix"]["os"]) == {
        "ubuntu-22.04",
        "macos-14",
        "windows-2022",
    }
    assert release["on"] == {"push": {"tags": ["v*"]}}
    assert release["jobs"]["linux"]["runs-on"] == "ubuntu-22.04"  # the glibc floor: 2.35
    steps = [
        step
        for workflow in (ci, release)
        for job in workflow["jobs"].values()
        for step in job["steps"]
    ]
    pythons = {
        step["with"]["python-version"] for step in steps if "python-version" in step.get("with", {})
    }
    assert pythons == {"3.11"}
    scripts = {
        word.replace("\\", "/")
        for step in steps
        for word in step.get("run", "").split()
        if word.endswith(".py")
    }
    assert scripts == {"packaging/macos/build_macos.py", "packaging/windows/build_windows.py"}
    assert all((ROOT / script).is_file() for script in scripts)


def fake_bundle(folder: Path) -> Path:
    """What PyInstaller leaves in dist/vigogne-desktop, with dummy contents."""
    (folder / "_internal" / "llama_cpp" / "lib").mkdir(parents=True)
    for name in (
        "vigogne-desktop.exe",
        "vigogne-convert.exe",
        "_internal/python311.dll",
        "_internal/llama_cpp/lib/llama.dll",
    ):
        (folder / name).write_bytes(b"MZ dummy " + name.encode())
    return folder


@pytest.mark.skipif(
    shutil.which("makensis") is None, reason="makensis is not installed (Debian package nsis)"
)
def test_installer_script_compiles(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path / "vigogne-desktop")
    signed_log = tmp_path / "signed.txt"
    signer = tmp_path / "sign.py"
    signer.write_text(f"import sys\nopen({str(signed_log)!r}, 'a').write(sys.argv[1] + '\\n')\n")
    setup = tmp_path / "Vigogne-Desktop-0.1.0-windows-x64-setup.exe"

    def makensis(*defines: str) -> subprocess.CompletedProcess[str]:
        # -WX: a warning (a string missing in one language, say) fails the test too.
        return subprocess.run(
            [
                "makensis",
                "-WX",
                "-V2",
                f"-DSOURCE_DIR={bundle}",
                "-DAPP_VERSION=0.1.0",
                f"-DOUTFILE={setup}",
                *defines,
                str(WINDOWS / "installer.nsi"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )

    built = makensis(f'-DSIGN_COMMAND="{sys.executable}" "{signer}"')
    assert built.returncode == 0, built.stdout + built.stderr
    assert setup.read_bytes()[:2] == b"MZ"
    # The installer and the uninstaller inside it both went through the signing command.
    signed = signed_log.read_text().split()
    assert len(signed) == 2 and str(setup) in signed

    (bundle / "vigogne-convert.exe").unlink()
    refused = makensis()
    assert refused.returncode != 0
    assert "vigogne-convert.exe is missing" in refused.stdout + refused.stderr


def test_macos_plists_and_their_merge(tmp_path: Path) -> None:
    info = plistlib.loads((MACOS / "Info.plist").read_bytes())
    assert info["CFBundleIdentifier"] == "org.vigogne.desktop"
    assert info["CFBundleExecutable"] == "vigogne-desktop"
    assert info["NSHighResolutionCapable"] is True
    assert info["LSMinimumSystemVersion"] == "14.0"
    entitlements = plistlib.loads((MACOS / "entitlements.plist").read_bytes())
    assert entitlements == {"com.apple.security.cs.allow-unsigned-executable-memory": True}

    build_macos = load_script(MACOS / "build_macos.py")
    app = tmp_path / "Vigogne Desktop.app"
    (app / "Contents").mkdir(parents=True)
    pyinstaller_keys = {
        "CFBundleExecutable": "vigogne-desktop",
        "LSMinimumSystemVersion": "12.0",
        "PyInstaller": "6.x",
    }
    (app / "Contents" / "Info.plist").write_bytes(plistlib.dumps(pyinstaller_keys))
    build_macos.merge_info_plist(app, "1.2.3")
    merged = plistlib.loads((app / "Contents" / "Info.plist").read_bytes())
    assert merged["CFBundleShortVersionString"] == merged["CFBundleVersion"] == "1.2.3"
    assert merged["LSMinimumSystemVersion"] == "14.0" and merged["PyInstaller"] == "6.x"


def test_dmg_settings_load_as_dmgbuild_loads_them() -> None:
    # dmgbuild.core.load_settings runs the file this way, with its -D options as `defines`
    # (dmgbuild itself imports only on macOS).
    app = "/build/dist/Vigogne Desktop.app"
    settings: dict[str, Any] = {"defines": {"app": app}}
    path = MACOS / "dmg_settings.py"
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), settings, settings)
    assert settings["files"] == [app]
    assert settings["symlinks"] == {"Applications": "/Applications"}
    assert set(settings["icon_locations"]) == {"Vigogne Desktop.app", "Applications"}
    assert settings["format"] in {"UDZO", "UDBZ", "ULFO", "ULMO"}


def dry_run(script: Path, *args: str, **secrets: str) -> str:
    env = {key: value for key, value in os.environ.items() if key not in SECRETS}
    done = subprocess.run(
        [sys.executable, str(script), "--dry-run", *args],
        env={**env, **secrets},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_macos_build_skips_signing_without_secrets_and_signs_with_them() -> None:
    unsigned = dry_run(MACOS / "build_macos.py")
    assert "build_bundle.py --variant metal" in unsigned
    assert "SKIPPED code signing" in unsigned and "SKIPPED notarization of the app" in unsigned
    assert "codesign --force --deep --sign -" in unsigned  # the ad-hoc seal after the plist
    assert "notarytool" not in unsigned and unsigned.rstrip().endswith("macos-arm64.dmg")

    signed = dry_run(
        MACOS / "build_macos.py",
        MACOS_SIGN_IDENTITY="Developer ID Application: T",
        APPLE_ID="a@b.c",
        APPLE_TEAM_ID="TEAM",
        APPLE_APP_PASSWORD="hunter2-secret",
    )
    assert "SKIPPED" not in signed
    assert "--options runtime" in signed and "--timestamp" in signed
    assert signed.count("notarytool submit") == 2 and signed.count("stapler staple") == 2
    assert "hunter2-secret" not in signed and "--password ***" in signed


def test_windows_build_signs_only_with_a_certificate() -> None:
    unsigned = dry_run(WINDOWS / "build_windows.py", "--variant", "cuda")
    assert "build_bundle.py --variant cuda" in unsigned and "/DVARIANT=CUDA" in unsigned
    assert "SKIPPED code signing" in unsigned and "SIGN_COMMAND" not in unsigned
    assert unsigned.rstrip().endswith("windows-x64-cuda-setup.exe")

    signed = dry_run(
        WINDOWS / "build_windows.py",
        WINDOWS_CERTIFICATE="c.pfx",
        WINDOWS_CERTIFICATE_PASSWORD="hunter2-secret",
    )
    assert "signtool sign /fd SHA256" in signed and "/DSIGN_COMMAND=" in signed
    assert "hunter2-secret" not in signed


def test_windows_build_collects_the_runtimes_llama_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_windows = load_script(WINDOWS / "build_windows.py")
    internal = fake_bundle(tmp_path / "vigogne-desktop") / "_internal"
    lib = internal / "llama_cpp" / "lib"
    (lib / "llama.dll").unlink()
    # PyInstaller found this one itself (beside python311.dll): it is not copied again.
    (internal / "VCRUNTIME140_1.dll").write_bytes(b"MZ\0")
    # Import tables name DLLs in ASCII; cuBLAS in turn imports cuBLASLt.
    (lib / "ggml-cuda.dll").write_bytes(b"MZ\0KERNEL32.dll\0cudart64_12.dll\0cublas64_12.dll\0")
    (lib / "llama.dll").write_bytes(b"MZ\0MSVCP140.dll\0VCRUNTIME140_1.dll\0")
    cuda_bin = tmp_path / "cuda" / "bin"
    cuda_bin.mkdir(parents=True)
    for name, imports in {
        "cudart64_12.dll": b"",
        "cublas64_12.dll": b"cublasLt64_12.dll",
        "cublasLt64_12.dll": b"",
        "msvcp140.dll": b"",
        "vcruntime140_1.dll": b"",
        "cufft64_11.dll": b"",
    }.items():
        (cuda_bin / name).write_bytes(b"MZ\0" + imports)
    monkeypatch.setenv("CUDA_PATH", str(tmp_path / "cuda"))

    build_windows.collect_runtimes(build_windows.Steps(dry_run=False), lib)
    assert sorted(path.name for path in lib.iterdir()) == [
        "cublas64_12.dll",
        "cublasLt64_12.dll",
        "cudart64_12.dll",
        "ggml-cuda.dll",
        "llama.dll",
        "msvcp140.dll",
    ]

    # A runtime found nowhere (no machine has this CUDA) stops the build, saying which.
    (lib / "mtmd.dll").write_bytes(b"MZ\0cudart64_99.dll\0")
    with pytest.raises(SystemExit, match="cudart64_99.dll"):
        build_windows.collect_runtimes(build_windows.Steps(dry_run=False), lib)


def test_icons_hold_every_size_as_png(qapp: object) -> None:
    """The committed .ico and .icns (packaging/icons.py) index PNGs of the sizes they claim."""
    from PySide6.QtGui import QImage

    def png_size(data: bytes) -> int:
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        image = QImage.fromData(data)
        assert image.width() == image.height()
        return image.width()

    ico = (WINDOWS / "vigogne.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", ico)
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        width, _, _, _, _, _, length, offset = struct.unpack_from("<BBBBHHII", ico, 6 + 16 * index)
        assert png_size(ico[offset : offset + length]) == (width or 256)
        sizes.append(width or 256)
    assert sizes == [16, 24, 32, 48, 64, 128, 256]

    icns = (MACOS / "vigogne.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack_from(">I", icns, 4)[0] == len(icns)
    found, at = {}, 8
    while at < len(icns):
        element, length = icns[at : at + 4].decode(), struct.unpack_from(">I", icns, at + 4)[0]
        found[element] = png_size(icns[at + 8 : at + length])
        at += length
    assert found == {
        "icp4": 16,
        "icp5": 32,
        "ic11": 32,
        "icp6": 64,
        "ic12": 64,
        "ic07": 128,
        "ic08": 256,
        "ic13": 256,
        "ic09": 512,
        "ic14": 512,
        "ic10": 1024,
    }
