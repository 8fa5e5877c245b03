"""What a quantization costs, shown: the typical figures and their sources, the chart in the
convert dialog (French and English, light and dark, at 960×600), the recommended choice
ringed, and a file's own measurement replacing the typical figures (dialog and library).
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPalette
from PySide6.QtWidgets import QApplication

from converters.quality import QualityReport
from converters.quality_metadata import store_report
from converters.quantize import QUANT_TYPES, quantize
from converters.synthetic import TINY, write_random_llama
from vigogne_desktop.core.catalog import by_id
from vigogne_desktop.core.hardware import GiB, Machine
from vigogne_desktop.core.settings import AppSettings, models_dir
from vigogne_desktop.ui.convert_dialog import ConvertDialog
from vigogne_desktop.ui.main_window import MainWindow
from vigogne_desktop.ui.quality_chart import RADIUS, QualityChart
from vigogne_desktop.ui.theme import apply_theme

# A 7B model at Q8_0 does not fit in 8 GiB free; Q4_K_M does, comfortably.
LAPTOP = Machine(total_ram=16 * GiB, available_ram=8 * GiB, physical_cores=4, logical_cores=8)
REPORT = QualityReport(
    reference_type="F16",
    kl_mean=0.0042,
    kl_p99=0.05,
    top1_agreement=0.9,
    ppl=7.25,
    ppl_reference=7.1,
    tokens=400,
    text_sha256="0" * 64,
    context_length=512,
)


@pytest.fixture
def window(
    qtbot, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HOME", str(tmp_path / "user"))  # no other app's models
    win = MainWindow(AppSettings())
    qtbot.addWidget(win)
    win.resize(960, 600)
    win.show()
    yield win
    win.close()
    apply_theme(QApplication.instance(), "light")  # type: ignore[arg-type]


def convert_dialog(qtbot, window: MainWindow, entry_id: str) -> ConvertDialog:  # type: ignore[no-untyped-def]
    window.show_library()
    window.library.refresh(LAPTOP)
    qtbot.waitUntil(lambda: window.library.machine is LAPTOP, timeout=15000)
    window.library_view.open_convert()
    dialog = window.library_view.convert_dialog
    assert dialog is not None
    dialog.entry.setCurrentIndex(dialog.entry.findData(entry_id))
    return dialog


def measured_file(entry_id: str, tmp_path: Path) -> Path:
    """A real Q8_0 GGUF named after a catalog entry, carrying a quality report."""
    source = write_random_llama(tmp_path / "tiny.f32.gguf", TINY, seed=3)
    target = models_dir() / f"{entry_id}.Q8_0.gguf"
    quantize(source, target, "Q8_0")
    store_report(target, REPORT)
    return target


def ring_painted(chart: QualityChart, quant: str) -> bool:
    """Whether the highlight colour is painted on the ring around `quant`'s point."""
    image = chart.grab().toImage()
    scale = image.devicePixelRatio()
    accent = chart.palette().color(QPalette.ColorRole.Highlight)
    centre = chart._points[quant]
    for angle, ring in itertools.product(range(0, 360, 15), (RADIUS + 5, RADIUS + 6.5)):
        x = centre.x() + ring * math.cos(math.radians(angle))
        y = centre.y() + ring * math.sin(math.radians(angle))
        pixel = image.pixelColor(int(x * scale), int(y * scale))
        gap = sum(abs(a - b) for a, b in zip(pixel.getRgb()[:3], accent.getRgb()[:3], strict=True))
        if gap < 60:
            return True
    return False


def test_every_typical_figure_has_a_source() -> None:
    source = resources.files("converters").joinpath("quality_typical.json")
    types = json.loads(source.read_text(encoding="utf-8"))["types"]
    assert {"Q8_0", "Q4_K_M"} <= set(types)
    for quant, figures in types.items():
        assert quant in QUANT_TYPES
        assert figures["source"].strip()
        assert figures["kl_mean"] >= 0 and 0 < figures["top1_agreement"] <= 1
    # A smaller type costs more: the published figures keep their order.
    assert types["Q8_0"]["kl_mean"] < types["Q6_K"]["kl_mean"] < types["Q4_K_M"]["kl_mean"]


@pytest.mark.parametrize(("language", "theme"), [("fr", "light"), ("en", "dark")])
def test_the_chart_in_the_convert_dialog_at_960_by_600(  # type: ignore[no-untyped-def]
    qtbot,
    window: MainWindow,
    app_language: Callable[[str], None],
    language: str,
    theme: str,
    tmp_path: Path,
) -> None:
    app_language(language)
    apply_theme(QApplication.instance(), theme)  # type: ignore[arg-type]
    dialog = convert_dialog(qtbot, window, "vigogne-2-7b-chat")
    dialog.resize(960, 600)
    qtbot.waitUntil(dialog.chart.isVisible)
    assert dialog.minimumSizeHint().width() <= 960 and dialog.minimumSizeHint().height() <= 600
    assert dialog.width() <= 960
    chart = dialog.chart
    recommended = [c.quant for c in chart.choices if c.recommended]
    assert recommended == [dialog.quant.currentData()] and recommended != ["Q8_0"]
    assert ring_painted(chart, recommended[0]) and not ring_painted(chart, "Q8_0")
    # What the screen reader gets: every choice, in the user's language.
    described = chart.accessibleDescription()
    assert all(c.quant in described for c in chart.choices)
    assert ("recommandée" if language == "fr" else "recommended") in described
    assert not any(c.measured for c in chart.choices)
    assert dialog.grab().save(str(tmp_path / f"dialog-{language}-{theme}.png"))


def test_clicking_a_point_chooses_it_and_the_measure_is_asked_for(
    qtbot, window: MainWindow
) -> None:  # type: ignore[no-untyped-def]
    dialog = convert_dialog(qtbot, window, "vigogne-2-7b-chat")
    qtbot.waitUntil(lambda: "Q6_K" in dialog.chart._points)  # painted
    point = dialog.chart._points["Q6_K"].toPoint()
    qtbot.mouseClick(dialog.chart, Qt.MouseButton.LeftButton, pos=point)
    assert dialog.quant.currentData() == "Q6_K"
    assert dialog.request() is not None and "--measure" not in dialog.request().options  # type: ignore[union-attr]
    dialog.measure.setChecked(True)
    request = dialog.request()
    assert request is not None and request.options[:3] == ("--quant", "Q6_K", "--measure")
    dialog._on_progress("measure", 120, 400, -1)
    assert dialog.progress_label.text().startswith("Measuring the quality… 120/400 tokens")
    dialog.quant.setCurrentIndex(dialog.quant.findData("F16"))
    assert not dialog.measure.isEnabled()


def test_a_measured_file_replaces_the_typical_figures(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    entry = by_id("vigogne-2-7b-chat")
    assert entry is not None
    path = measured_file(entry.id, tmp_path)
    dialog = convert_dialog(qtbot, window, entry.id)
    qtbot.waitUntil(dialog.chart.isVisible)
    q8 = next(c for c in dialog.chart.choices if c.quant == "Q8_0")
    assert q8.measured and q8.top1_agreement == 0.9 and q8.kl_mean == 0.0042
    assert "(measured on this computer)" in dialog.chart.accessibleDescription()
    others = [c for c in dialog.chart.choices if c.quant != "Q8_0"]
    assert not any(c.measured for c in others)
    dialog.reject()
    # The library's detail of that file: its figures in words, and on the chart.
    view = window.library_view
    qtbot.waitUntil(lambda: view.local.rowCount() > 0, timeout=15000)
    assert view.select_local(str(path))
    detail = view.local_detail
    qtbot.waitUntil(detail.quality.isVisible)
    assert "90.0 %" in detail.quality.text() and "400" in detail.quality.text()
    assert detail.chart.isVisible()
    assert [c.quant for c in detail.chart.choices if c.measured] == ["Q8_0"]
    assert not QImage(detail.chart.grab().toImage()).isNull()
