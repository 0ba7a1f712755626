"""The dataset table: numpy-backed rows, sorting, filtering, navigation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from facealign_gui.app.dataset_dock import DatasetDock
from facealign_gui.app.sample_table import COL_FAILED, COL_IMAGE, COL_NME, COL_SUBSETS, SampleFilter
from facealign_gui.datasets.model import Dataset


def make_dataset(n: int) -> Dataset:
    rng = np.random.default_rng(1)
    ds = Dataset(
        format="test",
        scheme=None,
        root=Path("/nowhere"),
        images=[f"img_{(i * 7919) % n:05d}.png" for i in range(n)],
        points=rng.random((n, 4, 2)) * 100,
    )
    ds.attributes["blur"] = (np.arange(n) % 3 == 0).astype(np.uint8)
    ds.attributes["box_size"] = rng.random(n) * 100  # not a flag: not offered as a filter
    ds.subsets["even"] = np.arange(0, n, 2)
    ds.subsets["tens"] = np.arange(0, n, 10)
    return ds


@pytest.fixture
def dock(qtbot: object) -> DatasetDock:
    d = DatasetDock()
    qtbot.addWidget(d)  # type: ignore[attr-defined]
    d.resize(500, 600)
    d.show()
    return d


def cell(dock: DatasetDock, row: int, col: int) -> str:
    return dock.model.data(dock.model.index(row, col))


def test_the_table_has_one_row_per_sample_formatted_on_demand(dock: DatasetDock) -> None:
    ds = make_dataset(10_000)
    dock.set_dataset(ds)
    assert dock.model.rowCount() == 10_000
    assert cell(dock, 20, COL_IMAGE) == ds.images[20]
    assert cell(dock, 20, COL_SUBSETS) == "even, tens"
    assert cell(dock, 21, COL_SUBSETS) == ""
    assert cell(dock, 20, COL_NME) == ""  # not scored yet
    assert dock.count.text() == "10,000 samples"


def test_sorting_by_nme_puts_the_worst_first_and_unscored_last(dock: DatasetDock) -> None:
    dock.set_dataset(make_dataset(6))
    dock.set_nme(np.array([0.05, np.nan, 0.2, 0.01, 0.12, np.nan]), threshold=0.1)
    dock.table.sortByColumn(COL_NME, Qt.SortOrder.DescendingOrder)
    assert dock.model.rows().tolist()[:4] == [2, 4, 0, 3]
    assert set(dock.model.rows().tolist()[4:]) == {1, 5}
    assert cell(dock, 0, COL_NME) == "20.00"
    assert cell(dock, 0, COL_FAILED) == "✗" and cell(dock, 2, COL_FAILED) == ""
    dock.table.sortByColumn(COL_NME, Qt.SortOrder.AscendingOrder)
    assert dock.model.rows().tolist()[:4] == [3, 0, 4, 2]


def test_sorting_by_image_name_is_alphabetical(dock: DatasetDock) -> None:
    ds = make_dataset(50)
    dock.set_dataset(ds)
    dock.table.sortByColumn(COL_IMAGE, Qt.SortOrder.AscendingOrder)
    names = [ds.images[i] for i in dock.model.rows()]
    assert names == sorted(ds.images)


def test_filters_combine_subset_attribute_nme_range_and_text(dock: DatasetDock) -> None:
    n = 60
    dock.set_dataset(make_dataset(n))
    nme = np.linspace(0.0, 0.3, n)
    dock.set_nme(nme)
    assert dock.model.flag_attributes() == ["blur"]
    dock.model.set_filter(SampleFilter(subset="even", attribute="blur"))
    expected = [i for i in range(n) if i % 2 == 0 and i % 3 == 0]
    assert sorted(dock.model.rows().tolist()) == expected
    dock.model.set_filter(SampleFilter(subset="even", nme_min=0.1, nme_max=0.2))
    expected = [i for i in range(n) if i % 2 == 0 and 0.1 <= nme[i] <= 0.2]
    assert sorted(dock.model.rows().tolist()) == expected
    dock.model.set_filter(SampleFilter(text="IMG_0001"))  # case-insensitive substring
    ds = dock.model._ds
    assert sorted(dock.model.rows().tolist()) == [i for i in range(n) if "img_0001" in ds.images[i]]


def test_the_filter_widgets_drive_the_model(dock: DatasetDock) -> None:
    dock.set_dataset(make_dataset(30))
    dock.subset.setCurrentIndex(dock.subset.findData("tens"))
    assert sorted(dock.model.rows().tolist()) == [0, 10, 20]
    assert dock.count.text() == "3 of 30"
    dock.failed_only.setChecked(True)
    assert dock.model.rowCount() == 0


def test_an_nme_range_from_the_histogram_filters_the_table(dock: DatasetDock) -> None:
    dock.set_dataset(make_dataset(10))
    dock.set_nme(np.arange(10) / 100.0)
    dock.set_nme_range(0.03, 0.05)
    assert sorted(dock.model.rows().tolist()) == [3, 4, 5]
    assert dock.nme_min.value() == pytest.approx(3.0)


def test_stepping_follows_the_table_order_and_emits_the_sample(dock: DatasetDock, qtbot) -> None:
    dock.set_dataset(make_dataset(6))
    dock.set_nme(np.array([0.05, 0.5, 0.2, 0.01, 0.12, 0.3]))
    dock.table.sortByColumn(COL_NME, Qt.SortOrder.DescendingOrder)
    shown = []
    dock.sampleActivated.connect(shown.append)
    dock.go_to_row(0)
    dock.step(1)
    dock.step(1)
    dock.step(-1)
    assert shown == [1, 5, 2, 5]
    dock.go_to_row(-1)
    assert shown[-1] == 3


def test_the_current_sample_stays_selected_when_the_order_changes(dock: DatasetDock) -> None:
    dock.set_dataset(make_dataset(6))
    dock.select_sample(4)
    dock.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert dock.current_sample() == 4
    assert dock.table.currentIndex().row() == dock.model.row_of(4) == 1


def test_selecting_a_filtered_out_sample_is_refused(dock: DatasetDock) -> None:
    dock.set_dataset(make_dataset(10))
    dock.model.set_filter(SampleFilter(subset="tens"))
    assert not dock.select_sample(3)
    assert dock.select_sample(0)


def test_sorting_by_an_external_key_puts_the_largest_first_and_nan_last(
    dock: DatasetDock,
) -> None:
    dock.set_dataset(make_dataset(5))
    dock.model.sort_by_key(np.array([0.1, np.nan, -0.3, 0.4, 0.0]), descending=True)
    assert dock.model.rows().tolist() == [3, 0, 4, 2, 1]


def test_choosing_a_subset_in_the_metrics_table_filters_the_table(dock: DatasetDock) -> None:
    dock.set_dataset(make_dataset(30))
    dock.set_subset("tens")
    assert sorted(dock.model.rows().tolist()) == [0, 10, 20]
    dock.set_subset("all")
    assert dock.model.rowCount() == 30
