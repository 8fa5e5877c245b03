"""The installers' cheap parts: what the bundle collects, and the CPU floor's reading.

The bundle itself is checked by `make package-check`, not here (it takes minutes).
"""

from __future__ import annotations

import importlib.util
import platform
import sys
from pathlib import Path

import llama_cpp
import PySide6
import pytest

from converters.messages import LANGUAGE_VARIABLE
from vigogne_desktop.core.cpu_floor import cpuinfo_flags, missing_features, refusal

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "bundle_contents", ROOT / "packaging" / "hooks" / "bundle_contents.py"
)
assert _spec and _spec.loader
bundle_contents = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bundle_contents)

# A Sandy Bridge laptop (Intel Core i5-2520M, 2011) as its Linux kernel lists it: AVX but
# neither AVX2 nor FMA nor F16C, the CPU the portable build must refuse in one sentence.
SANDY_BRIDGE = """\
processor	: 0
vendor_id	: GenuineIntel
cpu family	: 6
model		: 42
model name	: Intel(R) Core(TM) i5-2520M CPU @ 2.50GHz
stepping	: 7
flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 \
clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx rdtscp lm constant_tsc \
arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf pni pclmulqdq \
dtes64 monitor ds_cpl vmx smx est tm2 ssse3 cx16 xtpr pdcm pcid sse4_1 sse4_2 x2apic popcnt \
tsc_deadline_timer aes xsave avx lahf_lm epb pti ssbd ibrs ibpb stibp tpr_shadow vnmi \
flexpriority ept vpid xsaveopt dtherm ida arat pln pts md_clear flush_l1d
bugs		: cpu_meltdown spectre_v1 spectre_v2 spec_store_bypass l1tf mds swapgs itlb_multihit
bogomips	: 4983.79

processor	: 1
flags		: fpu vme de pse tsc msr pae mce cx8 apic sep
"""


def test_an_old_cpu_is_refused_with_what_it_lacks(monkeypatch: pytest.MonkeyPatch) -> None:
    flags = cpuinfo_flags(SANDY_BRIDGE)
    assert "avx" in flags and "sse4_2" in flags  # the first processor's line, whole
    assert missing_features(flags) == ["avx2", "fma", "f16c"]
    monkeypatch.setenv(LANGUAGE_VARIABLE, "en")
    english = refusal(missing_features(flags))
    monkeypatch.setenv(LANGUAGE_VARIABLE, "fr")
    french = refusal(missing_features(flags))
    for sentence in (english, french):
        assert "AVX2, FMA, F16C" in sentence and sentence.count(".") == 1
    assert english.startswith("This processor") and french.startswith("Ce processeur")


@pytest.mark.skipif(not Path("/proc/cpuinfo").is_file(), reason="Linux only")
def test_this_machines_cpuinfo_is_read() -> None:
    flags = cpuinfo_flags(Path("/proc/cpuinfo").read_text(encoding="utf-8"))
    if platform.machine() == "x86_64":
        assert {"sse2", "fxsr"} <= flags  # every x86-64 CPU has these


def test_llama_libraries_are_collected_once_each() -> None:
    lib_dir = Path(llama_cpp.__file__).parent / "lib"
    collected = {path.name for path in bundle_contents.llama_libraries(lib_dir)}
    on_disk = {path.name for path in lib_dir.iterdir()}
    assert collected <= on_disk
    assert any(name.startswith(("libllama", "llama")) for name in collected)
    if sys.platform.startswith("linux"):
        # ctypes opens libllama.so; the loader finds libggml*.so.0 by SONAME.
        assert {"libllama.so", "libggml.so.0", "libggml-base.so.0", "libggml-cpu.so.0"} <= (
            collected
        )
        assert not [name for name in collected if name.count(".") > 2]  # no .so.0.25.3


def test_only_the_qt_parts_the_window_uses_stay() -> None:
    site = Path(PySide6.__file__).parent.parent
    translations = sorted((site / "PySide6" / "Qt" / "translations").glob("*.qm"))
    kept = [p.name for p in translations if bundle_contents.kept(str(p.relative_to(site)))]
    assert "qtbase_fr.qm" in kept and len(kept) < len(translations) / 10
    assert all(name.split(".")[0].rsplit("_", 1)[-1] in ("fr", "en") for name in kept)
    assert bundle_contents.kept("PySide6/Qt/lib/libQt6Widgets.so.6")
    assert bundle_contents.kept("PySide6/Qt/plugins/platforms/libqxcb.so")
    assert bundle_contents.kept("PySide6/Qt/plugins/imageformats/libqsvg.so")
    assert not bundle_contents.kept("PySide6/Qt/plugins/platforms/libqeglfs.so")
    assert not bundle_contents.kept("PySide6/Qt/lib/libQt6Pdf.so.6")
    assert not bundle_contents.kept("libQt6WaylandClient.so.6")  # PyInstaller's link to it
    assert not bundle_contents.kept("PySide6\\Qt6Qml.dll")
    assert not bundle_contents.kept("PySide6/Qt/translations/qtbase_de.qm")
    assert bundle_contents.kept("numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so")


def test_the_systems_libraries_stay_on_the_system() -> None:
    system = "/usr/lib/x86_64-linux-gnu/"
    assert not bundle_contents.kept("libfontconfig.so.1", system + "libfontconfig.so.1")
    assert not bundle_contents.kept("libstdc++.so.6", system + "libstdc++.so.6")
    assert bundle_contents.kept("libssl.so.3", system + "libssl.so.3")  # Python's ssl
    assert bundle_contents.kept("libpython3.11.so.1.0", "/opt/python/lib/libpython3.11.so.1.0")
