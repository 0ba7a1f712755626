"""The metrics dock shows core.metrics numbers and turns clicks into selections."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from facealign_gui.app.metrics_dock import MetricsDock
from facealign_gui.app.nme_histogram import BINS
from facealign_gui.core import metrics
from facealign_gui.core.results import EvalResult
from facealign_gui.datasets.model import Dataset

K = 68
N = 40


def _dataset() -> Dataset:
    gt = np.zeros((N, K, 2))
    gt[:, :, 0] = np.linspace(0, 100, K)
    gt[:, 36] = (0.0, 0.0)
    gt[:, 45] = (100.0, 0.0)  # normaliser 100 px
    return Dataset(
        format="test",
        scheme="300w68",
        root=Path("/data/300w"),
        images=[f"{i}.jpg" for i in range(N)],
        points=gt,
        subsets={"common": np.arange(0, 30), "challenge": np.arange(30, N)},
    )


def _result(ds: Dataset, per_image_px: np.ndarray, model: str, worst_point: int) -> EvalResult:
    """Every point of image i is per_image_px[i] px to the right; ``worst_point`` 3x as far."""
    pred = ds.points.copy()
    pred[:, :, 0] += per_image_px[:, None]
    pred[:, worst_point, 0] += 2 * per_image_px
    return EvalResult.from_points(ds, pred, model)


@pytest.fixture
def results() -> tuple[EvalResult, EvalResult]:
    ds = _dataset()
    a = _result(ds, np.linspace(1.0, 20.0, N), "model_a", worst_point=10)
    b = _result(ds, np.full(N, 6.0), "model_b", worst_point=20)
    return a, b


@pytest.fixture
def dock(qtbot) -> MetricsDock:
    d = MetricsDock()
    qtbot.addWidget(d)
    d.resize(700, 800)
    d.show()
    qtbot.waitExposed(d)
    return d


def _click(qtbot, plot, x: float, y: float) -> None:
    QApplication.processEvents()
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=plot.widget_pos(x, y))


def test_table_shows_the_numbers_of_core_metrics_summarize(dock, results) -> None:
    a, _ = results
    dock.set_results(a)
    s = metrics.summarize(a.nme, 0.1, a.subsets)
    assert dock.table.rowCount() == 3
    assert dock.table.row_texts(0) == [
        "all",
        "40",
        "0",
        f"{100 * s['nme']:.2f}",
        f"{100 * s['fr']:.2f}",
        f"{s['auc']:.4f}",
    ]
    assert dock.table.row_texts(2)[0] == "challenge"
    assert not dock.sort_button.isEnabled()
    assert dock.difference() is None
    copied = dock.table.copy_all()
    header = ["Subset", "Count", "Missing", "NME %", "FR %", "AUC"]
    assert copied.splitlines()[0].split("\t") == header
    assert QApplication.clipboard().text() == copied


def test_ctrl_c_copies_the_selected_cells_with_their_headers(qtbot, dock, results) -> None:
    dock.set_results(results[0])
    dock.table.setFocus()
    dock.table.setCurrentCell(1, 3)
    qtbot.keyClick(dock.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.clipboard().text() == f"NME %\n{dock.table.item(1, 3).text()}\n"


def test_clicking_a_bar_selects_that_landmark_and_highlights_it(qtbot, dock, results) -> None:
    dock.set_results(results[0])
    dock.tabs.setCurrentWidget(dock.bars)
    qtbot.waitExposed(dock.bars)
    means = results[0].per_landmark_mean()
    assert int(np.argmax(means)) == 10
    with qtbot.waitSignal(dock.landmarkSelected, timeout=1000) as sig:
        _click(qtbot, dock.bars, 10.0, means[10] / 2)
    assert sig.args == [10]
    assert dock.bars.selected == 10
    brushes = dock.bars.bars[0].opts["brushes"]
    assert brushes[10].color() != brushes[9].color()
    title = dock.bars.plot_item.titleLabel.text
    assert f"selected 10 {dock.bars.point_names[10]}: {means[10]:.4f}" in title


def test_clicking_a_histogram_bin_emits_its_nme_range(qtbot, dock, results) -> None:
    a, _ = results
    dock.set_results(a)
    dock.tabs.setCurrentWidget(dock.histogram)
    qtbot.waitExposed(dock.histogram)
    edges = dock.histogram.edges
    assert len(edges) == BINS + 1 and edges[0] == 0.0
    # NME of image i is (1 + i * 19/39) px * (67 + 3) / 68 / 100: the counts hold all 40.
    assert int(np.sum(dock.histogram.counts[0])) == N
    j = 3
    with qtbot.waitSignal(dock.nmeRangeSelected, timeout=1000) as sig:
        _click(qtbot, dock.histogram, (edges[j] + edges[j + 1]) / 2, 0.2)
    lo, hi = sig.args
    assert lo == pytest.approx(edges[j]) and hi == pytest.approx(edges[j + 1])
    with qtbot.waitSignal(dock.nmeRangeSelected, timeout=1000) as sig:
        _click(qtbot, dock.histogram, (edges[-2] + edges[-1]) / 2, 0.2)
    assert sig.args[1] == float("inf")  # the last bin holds everything above


def test_two_models_show_both_curves_and_the_per_image_difference(qtbot, dock, results) -> None:
    a, b = results
    dock.set_results(a, b)
    assert len(dock.ced.curves) == 2
    names = [item[1].text for item in dock.ced.legend.items]
    assert any("A: model_a" in n for n in names) and any("B: model_b" in n for n in names)
    assert dock.ced.threshold_line.value() == pytest.approx(0.1)
    assert dock.ced.threshold_line.label.toPlainText() == "threshold 0.1"
    assert dock.table.horizontalHeaderItem(3).text() == "NME % A"
    assert len(dock.bars.bars) == 2 and len(dock.histogram.counts) == 2
    diff = dock.difference()
    np.testing.assert_allclose(diff, a.nme - b.nme)
    order = dock.worst_first()
    assert order[0] == N - 1 and diff[order[0]] == np.nanmax(diff)
    assert dock.tabs.isTabEnabled(dock.compare_tab)
    worse = int((diff > 0).sum())
    assert f"A worse on {worse}," in dock.difference_plot.summary.textItem.toPlainText()
    with qtbot.waitSignal(dock.compareSortRequested, timeout=1000):
        dock.sort_button.click()
    dock.set_results(a)
    assert not dock.sort_button.isEnabled() and not dock.tabs.isTabEnabled(dock.compare_tab)


def test_comparing_different_datasets_is_refused(dock, results) -> None:
    a, _ = results
    ds = _dataset()
    small = Dataset("t", "300w68", Path("."), ["x"], points=ds.points[:1])
    other = EvalResult.from_points(small, small.points, "m")
    with pytest.raises(ValueError, match="not the same dataset"):
        dock.set_results(a, other)


def test_clicking_a_subset_row_restricts_the_charts(qtbot, dock, results) -> None:
    a, _ = results
    dock.set_results(a)
    with qtbot.waitSignal(dock.subsetSelected, timeout=1000) as sig:
        rect = dock.table.visualItemRect(dock.table.item(2, 0))
        qtbot.mouseClick(dock.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert sig.args == ["challenge"]
    assert int(np.sum(dock.histogram.counts[0])) == 10
    _, ys = dock.ced.curve_data()[0]
    expected = metrics.ced_curve(a.nme[30:], 0.15)[1]
    np.testing.assert_allclose(ys, expected)
    assert "subset challenge" in dock.heading.text()


def test_export_buttons_save_model_a_and_protect_the_dataset_file(
    qtbot, dock, results, tmp_path: Path, monkeypatch
) -> None:
    from facealign_gui.app import export

    dock.set_results(*results)
    out = tmp_path / "table.csv"
    monkeypatch.setattr(export, "ask_path", lambda *a: out)
    dock.export_metrics_action.trigger()
    assert out.read_text().splitlines()[1].startswith("model_a,/data/300w,all,40,")
    dataset_file = tmp_path / "dataset.csv"
    dataset_file.write_text("ground truth")
    dock.protect = str(dataset_file)
    monkeypatch.setattr(export, "ask_path", lambda *a: dataset_file)
    monkeypatch.setattr(export, "ask_overwrite", lambda parent: lambda path: False)
    dock.export_images_action.trigger()
    assert dataset_file.read_text() == "ground truth"
    png = tmp_path / "chart.png"
    monkeypatch.setattr(export, "ask_path", lambda *a: png)
    dock.tabs.setCurrentWidget(dock.ced)
    dock.export_chart_action.trigger()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_clear_results_empties_the_table_and_every_chart(dock, results) -> None:
    dock.set_results(*results)
    dock.clear_results()
    assert dock.table.rowCount() == 0 and dock.difference() is None
    assert dock.ced.curves == [] and not dock.ced.threshold_line.isVisible()
    assert dock.bars.bars == [] and dock.histogram.counts == []
    assert not dock.tabs.isTabEnabled(dock.compare_tab)
