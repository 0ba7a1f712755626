"""The one dataset model every reader produces and every writer consumes.

Columnar on purpose: metrics over 10,000 images are one numpy expression, and a reader
fills arrays instead of building 10,000 objects. ``dataset[i]`` gives a light `Sample` view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, named so a person can find it."""

    file: str
    line: int | None
    message: str
    fatal: bool = False  # True: the sample (or file) could not be loaded

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class DatasetError(Exception):
    """Raised for an unreadable file, or for any problem in ``strict`` mode."""

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(file="", line=None, message=problems, fatal=True)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Sample:
    """A view of one row (one face) of a `Dataset`."""

    index: int
    image: str
    points: np.ndarray | None
    visible: np.ndarray | None
    center: np.ndarray | None
    scale: float | None
    box: np.ndarray | None
    attributes: dict[str, object]
    source: str


@dataclass
class Dataset:
    """N faces, each with K landmarks (or none, for an unlabelled folder).

    Attributes
    ----------
    format : reader name, e.g. ``"hrnet_csv"``, ``"wflw_list"``, ``"pts"``.
    scheme : landmark scheme name (``"wflw98"``, ``"300w68"``, ``"cofw29"``, ``"aflw19"``,
        ``"kaggle15"``) or ``None`` for unlabelled images.
    root : folder image paths are relative to.
    images : N image paths, relative to ``root`` (or absolute).
    points : (N, K, 2) float64 in image pixels (top-left pixel centre = 0,0), or None.
    visible : (N, K) bool; a missing point (Kaggle NaN) is invisible, its coordinate NaN.
    centers : (N, 2) float64 HRNet centre, or None.
    scales : (N,) float64 HRNet scale (box side / 200), or None.
    boxes : (N, 4) float64 face boxes x1, y1, x2, y2, or None.
    attributes : per-sample flags/values by name, each an (N,) array (e.g. WFLW ``pose``,
        AFLW ``box_size``).
    subsets : subset name -> sorted int64 array of sample indices.
    sources : N strings ``"file:line"`` naming where each sample was read from.
    problems : everything wrong that was found while reading.
    skipped : how many rows were rejected.
    occluded : (N, K) bool per-point occlusion flag (COFW), or None. An occluded point is
        still annotated (and scored); a missing point is ``visible == False``.
    image_loader : optional ``f(i) -> BGR uint8 image`` for images stored inside the
        annotation file (COFW .mat, Kaggle pixel strings); use `datasets.images.load_image`,
        which falls back to reading `image_path` from disk.
    meta : format details a writer needs to reproduce the file (e.g. ``newline``).
    """

    format: str
    scheme: str | None
    root: Path
    images: list[str]
    points: np.ndarray | None = None
    visible: np.ndarray | None = None
    centers: np.ndarray | None = None
    scales: np.ndarray | None = None
    boxes: np.ndarray | None = None
    attributes: dict[str, np.ndarray] = field(default_factory=dict)
    subsets: dict[str, np.ndarray] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0
    occluded: np.ndarray | None = None
    image_loader: Callable[[int], np.ndarray] | None = field(default=None, repr=False)
    meta: dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> Sample:
        return Sample(
            index=i,
            image=self.images[i],
            points=None if self.points is None else self.points[i],
            visible=None if self.visible is None else self.visible[i],
            center=None if self.centers is None else self.centers[i],
            scale=None if self.scales is None else float(self.scales[i]),
            box=None if self.boxes is None else self.boxes[i],
            attributes={k: v[i].item() for k, v in self.attributes.items()},
            source=self.sources[i] if self.sources else "",
        )

    def __iter__(self) -> Iterator[Sample]:
        for i in range(len(self)):
            yield self[i]

    @property
    def num_points(self) -> int | None:
        return None if self.points is None else int(self.points.shape[1])

    def image_path(self, i: int) -> Path:
        p = Path(self.images[i])
        return p if p.is_absolute() else self.root / p
