"""PIPNet (Pixel-in-Pixel Net) decoding, following the published test code.

The network predicts, on a grid of ``input / net_stride`` cells, per landmark a score map,
x/y offsets inside the best cell, and x/y offsets of ``num_nb`` neighbours (which landmarks
are neighbours comes from the mean face). Each landmark's final position is the mean of its
own estimate and the votes of every landmark that has it as a neighbour. Points come out
normalised to [0, 1] of the crop (``(cell + offset) / grid``), as in ``forward_pip``.

Neighbour and reverse-index tables reproduce ``get_meanface`` of jhb86253817/PIPNet
(lib/functions.py): neighbours are the ``num_nb`` nearest mean-face points after the first
of the argsort (the point itself); reverse lists are padded to the longest one by cyclic
repetition (the list is extended by ten copies of itself, then cut to ``max_len``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from facealign_gui.inference.model_files import MAX_MEANFACE_BYTES, read_model_file
from facealign_gui.inference.types import InferenceError


@dataclass(frozen=True)
class NeighbourTables:
    """Neighbour indices (K, num_nb) and the flat reverse-index lists (K * max_len,)."""

    indices: np.ndarray
    reverse1: np.ndarray  # which landmark voted
    reverse2: np.ndarray  # which of its neighbour slots holds the vote
    max_len: int

    @property
    def num_points(self) -> int:
        return int(self.indices.shape[0])


def load_meanface(path: str | Path) -> np.ndarray:
    """Mean face file (first line: x1 y1 x2 y2 ... normalised) -> (K, 2) float64."""
    path = Path(path)
    data = read_model_file(path, "PIPNet mean face", MAX_MEANFACE_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InferenceError(f"{path}: PIPNet mean face is not UTF-8 text") from None
    first = text.splitlines()[0] if text.strip() else ""
    try:
        values = [float(v) for v in first.split()]
    except ValueError:
        raise InferenceError(f"{path}:1: mean face must be numbers separated by spaces") from None
    if not values or len(values) % 2:
        raise InferenceError(
            f"{path}:1: mean face needs an even number of values (x y pairs), got {len(values)}"
        )
    return np.asarray(values, dtype=np.float64).reshape(-1, 2)


def neighbour_tables(meanface: np.ndarray, num_nb: int) -> NeighbourTables:
    """Neighbour and reverse-index tables exactly as PIPNet's ``get_meanface``."""
    k = meanface.shape[0]
    if not 0 < num_nb < k:
        raise InferenceError(f"PIPNet num_nb={num_nb} must be between 1 and {k - 1}")
    indices = np.empty((k, num_nb), dtype=np.int64)
    for i in range(k):
        dists = np.sum((meanface[i] - meanface) ** 2, axis=1)
        indices[i] = np.argsort(dists)[1 : 1 + num_nb]
    voters: list[list[int]] = [[] for _ in range(k)]
    slots: list[list[int]] = [[] for _ in range(k)]
    for i in range(k):
        for j in range(num_nb):
            voters[indices[i, j]].append(i)
            slots[indices[i, j]].append(j)
    max_len = max(len(v) for v in voters)
    rev1: list[int] = []
    rev2: list[int] = []
    for t in range(k):
        a = (voters[t] * 11)[:max_len]
        b = (slots[t] * 11)[:max_len]
        if len(a) != max_len:
            raise InferenceError(
                f"PIPNet mean face: landmark {t} is a neighbour of {len(voters[t])} landmarks; "
                f"padding by repetition cannot reach {max_len} (the published code would fail)"
            )
        rev1 += a
        rev2 += b
    return NeighbourTables(indices, np.asarray(rev1), np.asarray(rev2), max_len)


def decode_pipnet(
    score_map: np.ndarray,
    offset_x: np.ndarray,
    offset_y: np.ndarray,
    nb_x: np.ndarray,
    nb_y: np.ndarray,
    tables: NeighbourTables,
    input_size: tuple[int, int],
    net_stride: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Merged PIPNet landmarks, normalised to [0, 1] of the crop.

    Parameters
    ----------
    score_map, offset_x, offset_y : (N, K, h, w).
    nb_x, nb_y : (N, K * num_nb, h, w); channel ``i * num_nb + j`` is landmark i's
        estimate of its j-th neighbour.
    tables : from `neighbour_tables`.
    input_size : (width, height) of the network input.
    net_stride : input pixels per grid cell.

    Returns
    -------
    points : (N, K, 2) float64 normalised crop coordinates (x, y).
    confidence : (N, K) float32, the score map maximum.
    """
    n, k, h, w = score_map.shape
    nb = tables.indices.shape[1]
    if tables.num_points != k:
        raise InferenceError(
            f"PIPNet score map has {k} landmarks but the mean face has {tables.num_points}"
        )
    for name, arr, ch in (
        ("offset_x", offset_x, k),
        ("offset_y", offset_y, k),
        ("nb_x", nb_x, k * nb),
        ("nb_y", nb_y, k * nb),
    ):
        if arr.shape != (n, ch, h, w):
            raise InferenceError(
                f"PIPNet output {name} has shape {arr.shape}, expected {(n, ch, h, w)}"
            )
    flat = score_map.reshape(n, k, h * w)
    ids = np.argmax(flat, axis=2)  # (N, K)
    conf = np.take_along_axis(flat, ids[..., None], axis=2)[..., 0]
    col = (ids % w).astype(np.float64)
    row = (ids // w).astype(np.float64)
    grid_x = input_size[0] / net_stride
    grid_y = input_size[1] / net_stride

    def pick(arr: np.ndarray, channels: int) -> np.ndarray:
        a = arr.reshape(n, channels, h * w)
        idx = np.repeat(ids, channels // k, axis=1)  # channel i*nb+j uses landmark i's cell
        return np.take_along_axis(a, idx[..., None], axis=2)[..., 0].astype(np.float64)

    own_x = (col + pick(offset_x, k)) / grid_x
    own_y = (row + pick(offset_y, k)) / grid_y
    est_x = (col[..., None] + pick(nb_x, k * nb).reshape(n, k, nb)) / grid_x
    est_y = (row[..., None] + pick(nb_y, k * nb).reshape(n, k, nb)) / grid_y
    votes_x = est_x[:, tables.reverse1, tables.reverse2].reshape(n, k, tables.max_len)
    votes_y = est_y[:, tables.reverse1, tables.reverse2].reshape(n, k, tables.max_len)
    x = np.concatenate([own_x[..., None], votes_x], axis=2).mean(axis=2)
    y = np.concatenate([own_y[..., None], votes_y], axis=2).mean(axis=2)
    return np.stack([x, y], axis=-1), conf.astype(np.float32)
