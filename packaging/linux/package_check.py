"""`make package-check`: the .deb, unpacked into a scratch root, works as an end user's would.

With an empty HOME, only the bundle and the system on PATH, and a working folder outside
the checkout: `--self-test` (the demo converted by the bundled converter, loaded, asked),
the bundled `vigogne-convert` on a test checkpoint, `chat` and the sharing server with its
output, the window offscreen for 10 s; then `ldd` on every library, the highest GLIBC
symbol asked for, the size. Prints a table; exits 1 on any failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # packaging/
from linux.make_deb import (  # noqa: E402
    COMMANDS,
    DEPENDS,
    DIST,
    NAME,
    PREFIX,
    elf_files,
    folder_size,
    highest_glibc,
)
from llama_wheel import ROOT  # noqa: E402

SIZE_GOAL = 300 * 10**6
CHECKPOINT = ROOT / "tests" / "fixtures" / "mistral"  # a tiny Mistral, not the demo's Llama
WINDOW_SECONDS = 10


class Check:
    """Runs the checks in order, keeping one row of the table for each."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, bool, str]] = []

    def row(self, name: str, ok: bool, detail: str) -> bool:
        self.rows.append((name, ok, detail))
        print(f"{'ok  ' if ok else 'FAIL'}  {name}: {detail}", flush=True)
        return ok

    def table(self) -> bool:
        width = max(len(name) for name, _, _ in self.rows)
        print(f"\n{'check'.ljust(width)}  result  detail")
        for name, ok, detail in self.rows:
            print(f"{name.ljust(width)}  {'ok' if ok else 'FAIL':6}  {detail.splitlines()[0][:90]}")
        return all(ok for _, ok, _ in self.rows)


def missing_libraries(bundle: Path) -> list[str]:
    """`file: library` for each library ldd cannot find (no LD_LIBRARY_PATH: the bundle's
    libraries find each other through their RPATH, as they must)."""
    env = {"PATH": "/usr/bin:/bin"}
    missing = []
    for path in elf_files(bundle):
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env).stdout
        missing += [
            f"{path.relative_to(bundle)}: {line.split()[0]}"
            for line in out.splitlines()
            if "not found" in line
        ]
    return missing


def system_dependencies() -> list[str]:
    """The .deb's Depends not installed here (as apt would install them with the .deb)."""
    missing = []
    for depend in DEPENDS:
        package = depend.split()[0]
        status = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
        ).stdout
        if "install ok installed" not in status:
            missing.append(package)
    return missing


def window_runs(command: list[str], env: dict[str, str], cwd: Path) -> tuple[bool, str]:
    """The window, offscreen, alive after WINDOW_SECONDS with no traceback; then SIGTERM."""
    with tempfile.TemporaryFile(mode="w+") as stderr:
        window = subprocess.Popen(
            command,
            env={**env, "QT_QPA_PLATFORM": "offscreen"},
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        time.sleep(WINDOW_SECONDS)
        alive = window.poll() is None
        window.send_signal(signal.SIGTERM)
        try:
            window.wait(20)
        except subprocess.TimeoutExpired:
            window.kill()
            window.wait()
        stderr.seek(0)
        log = stderr.read()
    if not alive:
        return False, f"ended after less than {WINDOW_SECONDS} s (exit {window.returncode}): {log}"
    if "Traceback" in log:
        return False, log
    return True, f"{WINDOW_SECONDS} s offscreen, no traceback"


def sharing_answers(desktop: str, model: Path, env: dict[str, str], cwd: Path) -> tuple[bool, str]:
    """The frozen `--share-server` child serves the OpenAI API; it ends when its stdin closes,
    as when the app that started it leaves."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [desktop, "--share-server", "--model", str(model), "--port", str(port), "--n-ctx", "256"],
        env={**env, "VIGOGNE_SHARE_KEY": "check"},
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/models", headers={"Authorization": "Bearer check"}
    )
    answer = ""
    for _ in range(60):
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                answer = response.read().decode()
            break
        except OSError:
            time.sleep(0.5)
    assert server.stdin is not None
    server.stdin.close()
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        return False, "still running 20 s after its stdin closed"
    return '"vigogne"' in answer, answer or "no answer on /v1/models in 30 s"


def run(
    check: Check,
    name: str,
    command: list[str],
    env: dict[str, str],
    cwd: Path,
    ok: Callable[[subprocess.CompletedProcess[str]], bool],
    timeout: int = 600,
) -> None:
    started = time.monotonic()
    try:
        done = subprocess.run(
            command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        check.row(name, False, f"no answer in {timeout} s")
        return
    seconds = time.monotonic() - started
    passed = done.returncode == 0 and ok(done)
    detail = done.stdout.strip().splitlines()[-1:] if passed else [done.stderr or done.stdout]
    check.row(name, passed, f"{seconds:.0f} s: {' '.join(detail)}".strip())


def main() -> int:
    (deb,) = sorted(DIST.glob(f"{NAME}_*_amd64.deb"))[-1:] or sys.exit(
        "dist/ has no .deb: run `make package` first"
    )
    check = Check()
    missing = system_dependencies()
    if missing and os.geteuid() == 0 and os.environ.get("CI"):
        # What `apt install ./the.deb` would bring; CI machines start without Qt's xcb libs.
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", *missing],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        missing = system_dependencies()
    check.row(
        "Depends installed",
        not missing,
        "all" if not missing else "apt-get install " + " ".join(missing),
    )
    with tempfile.TemporaryDirectory(prefix="vigogne-package-check-") as scratch:
        root, home, work = (Path(scratch) / part for part in ("root", "home", "work"))
        for folder in (home, work):
            folder.mkdir()
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
        bundle = root / PREFIX
        links = {c: os.readlink(root / "usr/bin" / c) for c in COMMANDS}
        check.row(
            "/usr/bin links",
            all(t == f"/{PREFIX}/{c}" for c, t in links.items()),
            ", ".join(f"{c} -> {t}" for c, t in links.items()),
        )
        env = {
            "HOME": str(home),
            "PATH": f"{bundle}:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "XDG_RUNTIME_DIR": str(home),
        }
        desktop, convert = (str(bundle / command) for command in COMMANDS)
        run(
            check,
            "--self-test",
            [desktop, "--self-test"],
            env,
            work,
            lambda done: "self-test OK" in done.stdout,
        )
        gguf = work / "mistral.Q8_0.gguf"
        run(
            check,
            "vigogne-convert",
            [convert, str(CHECKPOINT), "-o", str(gguf), "--outtype", "q8_0"],
            env,
            work,
            lambda _: gguf.is_file() and gguf.stat().st_size > 0,
        )
        run(
            check,
            "chat with it",
            [desktop, "chat", str(gguf), "Bonjour !", "--max-tokens", "8", "--temperature", "0"],
            env,
            work,
            lambda done: bool(done.stdout.strip()),
        )
        check.row("--share-server", *sharing_answers(desktop, gguf, env, work))
        check.row("window", *window_runs([desktop], env, work))
        broken = [
            str(p.relative_to(bundle))
            for p in bundle.rglob("*")
            if p.is_symlink() and not p.exists()
        ]
        check.row("links in the bundle", not broken, "; ".join(broken) or "none broken")
        lost = missing_libraries(bundle)
        check.row("ldd", not lost, "every library found" if not lost else "; ".join(lost))
        glibc, where = highest_glibc(bundle)
        check.row("highest GLIBC", True, f"{glibc} ({where})")
        size = folder_size(bundle)
        check.row(
            "size unpacked",
            size <= SIZE_GOAL,
            f"{size / 1e6:.0f} MB (goal {SIZE_GOAL / 1e6:.0f} MB); .deb "
            f"{deb.stat().st_size / 1e6:.0f} MB",
        )
    return 0 if check.table() else 1


if __name__ == "__main__":
    sys.exit(main())
