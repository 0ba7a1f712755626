"""The dataset table: a `QAbstractTableModel` straight over the dataset's columnar arrays.

No per-row Python objects: `data()` formats one cell on demand from numpy arrays. Sorting
and filtering are done here with numpy (argsort + boolean masks) instead of a
`QSortFilterProxyModel`, which would call `data()` for every row on every sort; the model's
rows are simply a permutation/selection ``rows`` of sample indices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QColor

from facealign_gui.datasets.model import Dataset

COLUMNS: tuple[str, ...] = ("#", "image", "subsets", "NME %", "failed", "status")
COL_INDEX, COL_IMAGE, COL_SUBSETS, COL_NME, COL_FAILED, COL_STATUS = range(6)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_CENTER = int(Qt.AlignmentFlag.AlignCenter)
_FAIL = QColor("#ff6b5e")


@dataclass
class SampleFilter:
    """What the table shows: every condition must hold."""

    subset: str | None = None
    attribute: str | None = None
    nme_min: float | None = None  # fractions, as `core.metrics` returns them
    nme_max: float | None = None
    text: str = ""
    failed_only: bool = False


class SampleTableModel(QAbstractTableModel):
    """Rows are samples of one `Dataset`, filtered and sorted with numpy."""

    def __init__(self, parent: object = None) -> None:
        super().__init__(parent)
        self._ds: Dataset | None = None
        self._n = 0
        self._names = np.zeros(0, dtype=object)
        self._lower = np.zeros(0, dtype=str)
        self._subset_mask = np.zeros(0, np.int64)
        self._subset_names: list[str] = []
        self._mask_text: dict[int, str] = {}
        self._nme = np.zeros(0)
        self._failed = np.zeros(0, bool)
        self._threshold = 0.1
        self._status = np.zeros(0, dtype=object)
        self._filter = SampleFilter()
        self._sort: tuple[int, Qt.SortOrder] = (COL_INDEX, Qt.SortOrder.AscendingOrder)
        self._rows = np.zeros(0, np.int64)
        self._row_of: np.ndarray | None = None
        self._key: np.ndarray | None = None
        # status changes arrive per prediction during a run; the column repaints at most
        # every STATUS_REPAINT_MS, so a run does not repaint the table per chunk
        self._status_pending: set[int] = set()
        self._nme_pending = False
        self._status_timer = QTimer(self)
        self._status_timer.setSingleShot(True)
        self._status_timer.setInterval(self.STATUS_REPAINT_MS)
        self._status_timer.timeout.connect(self._repaint_status)

    # -- inputs ----------------------------------------------------------------------------
    def set_dataset(self, ds: Dataset | None) -> None:
        """Show ``ds`` (or nothing); resets NME, status, filter and sort."""
        self.beginResetModel()
        self._ds = ds
        n = self._n = 0 if ds is None else len(ds)
        images = [] if ds is None else ds.images
        self._names = np.array(images, dtype=object)
        self._lower = np.char.lower(np.array(images, dtype=str)) if n else np.zeros(0, str)
        self._subset_names = [] if ds is None else sorted(ds.subsets)[:62]
        self._subset_mask = np.zeros(n, np.int64)
        for bit, name in enumerate(self._subset_names):
            idx = np.asarray(ds.subsets[name], dtype=np.int64)
            self._subset_mask[idx[(idx >= 0) & (idx < n)]] |= 1 << bit
        self._mask_text = {}
        self._nme = np.full(n, np.nan)
        self._failed = np.zeros(n, bool)
        self._status = np.full(n, "", dtype=object)
        self._filter = SampleFilter()
        self._recompute()
        self.endResetModel()

    def set_nme(self, nme: np.ndarray | None, threshold: float = 0.1) -> None:
        """Per-image NME (fractions; NaN = not scored) and the failure threshold."""
        self.layoutAboutToBeChanged.emit()
        self._nme = np.full(self._n, np.nan) if nme is None else np.asarray(nme, float).copy()
        self._threshold = float(threshold)
        self._failed = np.nan_to_num(self._nme, nan=0.0) > self._threshold
        self._relayout()

    def set_nme_at(self, indices: list[int], nme: list[float] | np.ndarray) -> None:
        """NME of some samples as a run predicts them; the rows keep their order (the run's
        final `set_nme` re-sorts and re-filters), the column repaints with the status."""
        if not len(indices) or len(self._nme) != self._n:
            return
        idx = np.asarray(indices, dtype=np.int64)
        self._nme[idx] = nme
        self._failed[idx] = np.nan_to_num(self._nme[idx], nan=0.0) > self._threshold
        self._nme_pending = True
        if not self._status_timer.isActive():
            self._status_timer.start()

    def set_status(self, status: np.ndarray | list[str] | None) -> None:
        """Review status per sample (strings; hook for the labelling session)."""
        self.layoutAboutToBeChanged.emit()
        self._status = (
            np.full(self._n, "", dtype=object)
            if status is None
            else np.asarray(status, dtype=object)
        )
        self._relayout()

    STATUS_REPAINT_MS = 300

    def set_status_at(self, indices: list[int], texts: list[str]) -> None:
        """Set the status of some samples; keeps sort and filter. The column repaints a
        moment later, once for all changes made meanwhile."""
        if not indices or len(self._status) != self._n:
            return
        self._status[np.asarray(indices, dtype=np.int64)] = texts
        self._status_pending.update(indices)
        if not self._status_timer.isActive():
            self._status_timer.start()

    def _repaint_status(self) -> None:
        """One small update per changed cell: a range update would repaint every visible
        cell of every column, which costs a whole table paint per interval during a run."""
        pending, self._status_pending = self._status_pending, set()
        if self._nme_pending and self.rowCount():
            self._nme_pending = False
            last = self.rowCount() - 1
            self.dataChanged.emit(self.index(0, COL_NME), self.index(last, COL_FAILED))
        if len(pending) > 256:
            rows = self.rowCount()
            if rows:
                self.dataChanged.emit(self.index(0, COL_STATUS), self.index(rows - 1, COL_STATUS))
            return
        for sample in pending:
            r = self.row_of(sample)
            if r >= 0:
                ix = self.index(r, COL_STATUS)
                self.dataChanged.emit(ix, ix)

    def set_filter(self, f: SampleFilter) -> None:
        self.layoutAboutToBeChanged.emit()
        self._filter = f
        self._relayout()

    def subset_names(self) -> list[str]:
        return list(self._subset_names)

    def flag_attributes(self) -> list[str]:
        """Attributes that are 0/1 flags (WFLW pose, blur, ...), usable as filters."""
        if self._ds is None:
            return []
        out = []
        for name, values in self._ds.attributes.items():
            v = np.asarray(values)
            if v.dtype.kind in "biu" and v.size and np.isin(v, (0, 1)).all():
                out.append(name)
        return sorted(out)

    # -- row mapping -----------------------------------------------------------------------
    def rows(self) -> np.ndarray:
        """Sample index of every shown row, in order."""
        return self._rows

    def sample_at(self, row: int) -> int:
        return int(self._rows[row])

    def row_of(self, sample: int) -> int:
        """Row showing ``sample``, or -1 when it is filtered out."""
        if self._row_of is None:
            self._row_of = np.full(self._n, -1, np.int64)
            self._row_of[self._rows] = np.arange(len(self._rows))
        return int(self._row_of[sample]) if 0 <= sample < self._n else -1

    # -- filtering and sorting ---------------------------------------------------------------
    def _mask(self) -> np.ndarray:
        f, ds = self._filter, self._ds
        keep = np.ones(self._n, bool)
        if f.subset and f.subset in self._subset_names:
            keep &= (self._subset_mask >> self._subset_names.index(f.subset)) & 1 == 1
        if f.attribute and ds is not None and f.attribute in ds.attributes:
            keep &= np.asarray(ds.attributes[f.attribute]) != 0
        if f.nme_min is not None:
            keep &= self._nme >= f.nme_min
        if f.nme_max is not None:
            keep &= self._nme <= f.nme_max
        if f.failed_only:
            keep &= self._failed
        if f.text:
            keep &= np.char.find(self._lower, f.text.lower()) >= 0
        return keep

    def _sort_key(self, column: int) -> np.ndarray:
        if column == -1 and self._key is not None and len(self._key) == self._n:
            return self._key
        if column == COL_IMAGE:
            return np.argsort(np.argsort(self._lower, kind="stable"), kind="stable")
        if column == COL_SUBSETS:
            return self._subset_mask
        if column == COL_NME:
            return self._nme
        if column == COL_FAILED:
            return self._failed.astype(np.int8)
        if column == COL_STATUS:
            return np.unique(self._status.astype(str), return_inverse=True)[1]
        return np.arange(self._n)

    def _recompute(self) -> None:
        idx = np.flatnonzero(self._mask())
        column, order = self._sort
        key = self._sort_key(column)[idx]
        if order == Qt.SortOrder.DescendingOrder:
            key = -key.astype(float)
        perm = np.argsort(key, kind="stable")  # NaN (unscored) sorts last either way
        self._rows = idx[perm]
        self._row_of = None

    def _relayout(self) -> None:
        self._recompute()
        self.layoutChanged.emit()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort = (column, order)
        self._key = None
        self._relayout()

    def sort_by_key(self, key: np.ndarray, descending: bool = True) -> None:
        """Order rows by a per-sample value (e.g. NME A − NME B), NaN last."""
        self.layoutAboutToBeChanged.emit()
        self._key = np.asarray(key, dtype=float)
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        self._sort = (-1, order)
        self._relayout()

    # -- Qt model API ----------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        if not index.isValid():
            return None
        i = int(self._rows[index.row()])
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(i, col)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return (
                _RIGHT if col in (COL_INDEX, COL_NME) else (_CENTER if col == COL_FAILED else None)
            )
        if role == Qt.ItemDataRole.ForegroundRole and col in (COL_NME, COL_FAILED):
            return _FAIL if self._failed[i] else None
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_IMAGE and self._ds is not None:
            src = self._ds.sources[i] if self._ds.sources else ""
            return f"{self._ds.image_path(i)}\n{src}".strip()
        return None

    def _display(self, i: int, col: int) -> str:
        if col == COL_INDEX:
            return str(i)
        if col == COL_IMAGE:
            return str(self._names[i])
        if col == COL_SUBSETS:
            return self._subset_text(int(self._subset_mask[i]))
        if col == COL_NME:
            v = self._nme[i]
            return "" if np.isnan(v) else f"{100 * v:.2f}"
        if col == COL_FAILED:
            return "✗" if self._failed[i] else ""
        return str(self._status[i])

    def _subset_text(self, mask: int) -> str:
        text = self._mask_text.get(mask)
        if text is None:
            text = ", ".join(n for b, n in enumerate(self._subset_names) if mask >> b & 1)
            self._mask_text[mask] = text
        return text
