"""A learned, pose-aware per-point correction of the default model's 300W points.

MediaPipe's face oval is a fixed contour on the 3-D face surface; 300-W annotators trace
the 2-D silhouette of the jaw, and their other points follow their own conventions (brow
centre lines, the nose tip, the lip edges). The difference is systematic, so it is learned:
for point k, in the **face frame** (origin the midpoint of the outer eye corners 36 and 45,
x along 36 -> 45, y perpendicular and down, unit the inter-ocular distance)::

    corrected_k = predicted_k + a_k + yaw * b_k

where ``yaw`` is `default_model.yaw_cue` (signed head turn from the mesh) and a_k, b_k are
2-vectors. `fit_correction` fits them by ridge least squares from faces with human 300W
points, each face used twice (as is and mirrored: x -> -x, left/right points swapped,
yaw -> -yaw) so that the correction is left-right symmetric. Points not in ``points`` are
left alone.

The shipped coefficients (``facealign_gui/models/mediapipe_contour_correction.json``) are a
derived statistic of the faces named in their ``fitted_on`` field; the model card's
``[correction]`` table names the file, and ``enabled = false`` there (or
``DefaultModel(correction=None)``) turns it off. ``scripts/fit_contour_correction.py``
refits it from any folder of images with 68-point ``.pts`` files. Its effect is measured
leave-one-out only (``benchmarks/bench_accuracy.py --jaw-correction``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from facealign_gui.core.schemes import get_scheme
from facealign_gui.inference.types import InferenceError

DEFAULT_CARD = Path(__file__).resolve().parents[1] / "models" / "mediapipe_face_landmark.toml"


@dataclass
class Correction:
    """Per-point offsets in the face frame (see the module docstring).

    Attributes
    ----------
    points : which 300W indices are corrected.
    a, b : (68, 2) constant and yaw-proportional offsets (inter-ocular units); rows of
        points not in ``points`` are zero.
    fitted_on : what the coefficients were fitted on (provenance).
    expected : (68,) mean remaining error of each point on the fitting faces after the
        correction (inter-ocular units): the prior of the confidence calibration.
    """

    points: tuple[int, ...]
    a: np.ndarray
    b: np.ndarray
    fitted_on: str = ""
    expected: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "points": list(self.points),
                "a": np.round(self.a, 5).tolist(),
                "b": np.round(self.b, 5).tolist(),
                "fitted_on": self.fitted_on,
                **(
                    {}
                    if self.expected is None
                    else {"expected": np.round(self.expected, 5).tolist()}
                ),
                **self.extra,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str, where: str = "correction") -> Correction:
        try:
            d = json.loads(text)
            a = np.asarray(d["a"], dtype=np.float64)
            b = np.asarray(d["b"], dtype=np.float64)
            points = tuple(int(i) for i in d["points"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InferenceError(f"{where}: not a contour correction file ({exc})") from None
        if a.shape != (68, 2) or b.shape != (68, 2) or not all(0 <= i < 68 for i in points):
            raise InferenceError(f"{where}: a and b must be 68 x 2 and points in 0..67")
        expected = d.get("expected")
        if expected is not None:
            expected = np.asarray(expected, dtype=np.float64)
            if expected.shape != (68,):
                raise InferenceError(f"{where}: 'expected' must have 68 values")
        known = ("points", "a", "b", "fitted_on", "expected")
        extra = {k: v for k, v in d.items() if k not in known}
        return cls(points, a, b, str(d.get("fitted_on", "")), expected, extra)


def face_frame(points68: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(origin, 2x2 rotation whose rows are the frame's x and y axes, scale)."""
    p = np.asarray(points68, dtype=np.float64)
    origin = (p[36] + p[45]) / 2.0
    axis = p[45] - p[36]
    scale = float(np.linalg.norm(axis))
    if not np.isfinite(scale) or scale <= 0:
        raise InferenceError("cannot build a face frame: the outer eye corners coincide")
    x = axis / scale
    rot = np.array([x, [-x[1], x[0]]])
    return origin, rot, scale


def to_frame(points: np.ndarray, frame: tuple[np.ndarray, np.ndarray, float]) -> np.ndarray:
    origin, rot, scale = frame
    return (np.asarray(points, dtype=np.float64) - origin) @ rot.T / scale


def from_frame(local: np.ndarray, frame: tuple[np.ndarray, np.ndarray, float]) -> np.ndarray:
    origin, rot, scale = frame
    return np.asarray(local, dtype=np.float64) * scale @ rot + origin


def apply_correction(corr: Correction, points68: np.ndarray, yaw: float) -> np.ndarray:
    """``points68`` with the correction added in its own face frame (image pixels)."""
    frame = face_frame(points68)
    local = to_frame(points68, frame)
    idx = list(corr.points)
    local[idx] += corr.a[idx] + float(yaw) * corr.b[idx]
    return from_frame(local, frame)


def _mirror(local: np.ndarray) -> np.ndarray:
    perm = np.asarray(get_scheme("300w68").flip_permutation())
    out = local[..., perm, :].copy()
    out[..., 0] *= -1.0
    return out


def fit_correction(
    predicted: list[np.ndarray],
    truth: list[np.ndarray],
    yaws: list[float],
    points: tuple[int, ...] = tuple(range(68)),
    ridge: float = 1.0,
    fitted_on: str = "",
) -> Correction:
    """Least-squares a, b from faces (predicted and true (68, 2) points, yaw cues).

    Each face's residual ``truth - predicted`` is taken in the predicted points' face
    frame; the mirrored face is added with its yaw negated. ``ridge`` penalises b (the
    yaw terms) as if that many extra faces had zero yaw-dependence.
    """
    if not (len(predicted) == len(truth) == len(yaws)) or not predicted:
        raise ValueError("fit_correction needs the same, non-zero number of faces in each list")
    res, ys = [], []
    for pred, gt, yaw in zip(predicted, truth, yaws, strict=True):
        frame = face_frame(pred)
        r = to_frame(gt, frame) - to_frame(pred, frame)
        res += [r, _mirror(r)]
        ys += [float(yaw), -float(yaw)]
    r = np.stack(res)  # (2N, 68, 2)
    y = np.asarray(ys)
    design = np.column_stack([np.ones_like(y), y])  # (2N, 2)
    gram = design.T @ design + np.diag([1e-9, ridge])
    coef = np.linalg.solve(gram, design.T @ r.reshape(len(y), -1))  # (2, 136)
    a = np.zeros((68, 2))
    b = np.zeros((68, 2))
    idx = list(points)
    a[idx] = coef[0].reshape(68, 2)[idx]
    b[idx] = coef[1].reshape(68, 2)[idx]
    left = r - a[None] - y[:, None, None] * b[None]
    expected = np.linalg.norm(left, axis=2).mean(axis=0)
    return Correction(tuple(points), a, b, fitted_on, expected)


def card_table(card_path: Path = DEFAULT_CARD) -> dict:
    """The card's ``[correction]`` table ({} when it has none)."""
    import tomllib

    try:
        table = tomllib.loads(Path(card_path).read_text(encoding="utf-8")).get("correction", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InferenceError(f"{card_path}: cannot read the [correction] table ({exc})") from None
    if not isinstance(table, dict):
        raise InferenceError(f"{card_path}: [correction] must be a table")
    return table


def card_marches(card_path: Path = DEFAULT_CARD) -> bool:
    """Whether the card asks for silhouette marching (``[correction] march``, default off)."""
    return bool(card_table(card_path).get("march", False))


def card_correction_path(card_path: Path = DEFAULT_CARD) -> Path | None:
    """The correction file the card's ``[correction]`` table names (None: disabled/absent)."""
    table = card_table(card_path)
    if not table or not table.get("enabled", True) or not table.get("file"):
        return None
    return Path(card_path).parent / str(table["file"])


def load_correction(path: Path) -> Correction:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InferenceError(f"{path}: cannot read the contour correction ({exc})") from None
    return Correction.from_json(text, str(path))


def load_default_correction(card_path: Path = DEFAULT_CARD) -> Correction | None:
    """The correction the default card enables, or None."""
    path = card_correction_path(card_path)
    return None if path is None else load_correction(path)


# -- pose-aware silhouette marching (Zhu et al., CVPR 2016, "landmark marching") -----------
MARCH_POINTS = (0, 1, 2, 3, 4, 5, 11, 12, 13, 14, 15, 16)  # the chin region is left alone


def head_frame(mesh: np.ndarray) -> np.ndarray:
    """3x3 rotation whose rows are the head's lateral (right side 234 -> left side 454),
    vertical (forehead 10 -> chin 152, made orthogonal) and depth axes, from the 3-D mesh."""
    m = np.asarray(mesh, dtype=np.float64)[:, :3]
    lateral = m[454] - m[234]
    lateral /= max(float(np.linalg.norm(lateral)), 1e-9)
    down = m[152] - m[10]
    down -= (down @ lateral) * lateral
    down /= max(float(np.linalg.norm(down)), 1e-9)
    return np.array([lateral, down, np.cross(lateral, down)])


def march_silhouette(
    mesh: np.ndarray, points68: np.ndarray, band: float = 0.03, points=MARCH_POINTS
) -> np.ndarray:
    """Move each side jaw point out to the visible silhouette at its height on the head.

    For 300W jaw point k, its "horizontal line" is every mesh vertex on the same side of
    the head whose height in the head frame (`head_frame`) is within ``band`` of the face's
    height of the point's own; the point moves to the vertex of that line that lies
    furthest out in the image along the eye line (only outwards: a point already on the
    silhouette stays). On a frontal face the outermost vertex is the oval's, where the
    point already is; on a turned face the far side's oval is hidden behind the cheek and
    the point moves to the cheek's outline, as 300-W annotators draw it.
    """
    m = np.asarray(mesh, dtype=np.float64)
    pts = np.asarray(points68, dtype=np.float64).copy()
    rot = head_frame(m)
    centre = m[:, :3].mean(axis=0)
    head = (m[:, :3] - centre) @ rot.T
    height = float(np.ptp(head[:, 1]))
    half = float(np.ptp(head[:, 0])) / 2.0
    eye = pts[45] - pts[36]
    eye /= max(float(np.linalg.norm(eye)), 1e-9)
    image_lateral = m[:, :2] @ eye
    # each jaw point's head-frame height: that of its nearest mesh vertex in the image
    nearest = np.argmin(((m[None, :, :2] - pts[:, None, :]) ** 2).sum(axis=2), axis=1)
    for k in points:
        side = -1.0 if k < 8 else 1.0  # subject's right (image left) is -1
        v = head[nearest[k], 1]
        line = (np.abs(head[:, 1] - v) <= band * height) & (side * head[:, 0] > 0.3 * half)
        if not line.any():
            continue
        idx = np.nonzero(line)[0]
        best = idx[np.argmax(side * image_lateral[idx])]
        gain = side * (image_lateral[best] - pts[k] @ eye)
        if gain > 0:
            pts[k] += side * gain * eye  # outwards along the eye line, height kept
    return pts
