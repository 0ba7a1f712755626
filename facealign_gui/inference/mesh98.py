"""The default model's 98 WFLW points: from MediaPipe's mesh, the 68 300W points and the
iris model.

How each WFLW point is built (indices 0-based; "right" is the subject's right, on the
image's left; mesh vertex numbers are MediaPipe's):

==========  ===========================================================================
WFLW        construction
==========  ===========================================================================
0-32        contour. Even points 2i are the 300W jaw points i = 0..16 (after the learned
            correction, so they follow the drawn outline like 300W's); odd points are the
            Catmull-Rom midpoints of the two neighbours ((-p0 + 9 p1 + 9 p2 - p3) / 16,
            ends mirrored), so the 33-point line follows the jaw's curve.
33-41       right brow: 33 the outer tip = mean of vertices 70 and 46 (upper/lower outer);
            34, 35, 36 the upper line (63, 105, 66); 37 the inner upper corner (107); 38 the
            inner lower corner (55); 39, 40, 41 the lower line back outwards (65, 52, 53).
42-50       left brow, the mirror: 42 inner upper (336); 43-45 upper (296, 334, 293);
            46 the outer tip = mean(300, 276); 47-49 lower (283, 282, 295); 50 inner lower
            (285).
51-54       nose bridge = 300W 27-30 (nasion to tip).
55-59       nose lower edge = 300W 31-35.
60-67       right eye: 60 outer corner (33), 61-63 upper lid (161, 159, 157), 64 inner
            corner (133), 65-67 lower lid inner to outer (154, 145, 163).
68-75       left eye: 68 inner corner (362), 69-71 upper lid (384, 386, 388), 72 outer
            corner (263), 73-75 lower lid outer to inner (390, 374, 381).
76-87       outer lip = 300W 48-59.
88-95       inner lip = 300W 60-67.
96, 97      pupils (right, left): the iris centre of MediaPipe's iris model
            (`iris_centres`); without that model, the mean of the eye's eight points.
==========  ===========================================================================

Departures from WFLW's definitions:

* WFLW's contour has its own 33 positions (annotated independently of 300W's 17); here
  every second point is a 300W jaw point, the others are interpolated, so the spacing
  follows 300W's (equal arc length per side only roughly).
* The brows come from MediaPipe's brow contours: their inner ends run a little closer to
  the nose than WFLW annotators put 37/38 and 42/50, and the brow's lower line is the
  mesh's, not the visible lower hair edge.
* The lids take whole mesh vertices at about 1/4, 1/2 and 3/4 of each lid, WFLW's spacing
  is by eye; MediaPipe's lid vertices sit on the lid margin (WFLW's too, approximately).
* The pupil is the iris centre, WFLW's is the visible pupil centre (the same point unless
  the iris is partly covered by a lid).
* The confidence of a 98 point is that of the 300W point it comes from (for brows and
  eyes the nearest 300W point of the same part).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from facealign_gui.core.geometry import invert_affine, transform_points
from facealign_gui.inference.types import InferenceError

NUM_WFLW = 98

# WFLW index -> mesh vertices averaged (brows and eyes)
MESH_POINTS: dict[int, tuple[int, ...]] = {
    33: (70, 46), 34: (63,), 35: (105,), 36: (66,), 37: (107,),
    38: (55,), 39: (65,), 40: (52,), 41: (53,),
    42: (336,), 43: (296,), 44: (334,), 45: (293,), 46: (300, 276),
    47: (283,), 48: (282,), 49: (295,), 50: (285,),
    60: (33,), 61: (161,), 62: (159,), 63: (157,), 64: (133,),
    65: (154,), 66: (145,), 67: (163,),
    68: (362,), 69: (384,), 70: (386,), 71: (388,), 72: (263,),
    73: (390,), 74: (374,), 75: (381,),
}  # fmt: skip

# WFLW index -> 300W index taken as is
FROM_300W: dict[int, int] = {
    **{2 * i: i for i in range(17)},
    **{51 + k: 27 + k for k in range(9)},
    **{76 + k: 48 + k for k in range(20)},
}

# WFLW brow/eye index -> the 300W point whose confidence it takes
CONFIDENCE_SOURCE: dict[int, int] = {
    33: 17, 34: 18, 35: 19, 36: 20, 37: 21, 38: 21, 39: 20, 40: 19, 41: 18,
    42: 22, 43: 23, 44: 24, 45: 25, 46: 26, 47: 25, 48: 24, 49: 23, 50: 22,
    60: 36, 61: 37, 62: 37, 63: 38, 64: 39, 65: 40, 66: 41, 67: 41,
    68: 42, 69: 43, 70: 44, 71: 44, 72: 45, 73: 46, 74: 47, 75: 47,
    96: 37, 97: 44,
}  # fmt: skip

RIGHT_EYE_WFLW = tuple(range(60, 68))
LEFT_EYE_WFLW = tuple(range(68, 76))


def contour33(jaw17: np.ndarray) -> np.ndarray:
    """33 contour points: the 17 jaw points and Catmull-Rom midpoints between them."""
    p = np.asarray(jaw17, dtype=np.float64)
    if p.shape[0] != 17:
        raise ValueError(f"expected 17 jaw points, got {p.shape[0]}")
    ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])  # mirrored ends
    mids = (-ext[:-3] + 9 * ext[1:-2] + 9 * ext[2:-1] - ext[3:]) / 16.0
    out = np.empty((33, p.shape[1]))
    out[0::2] = p
    out[1::2] = mids
    return out


def wflw98(mesh: np.ndarray, points68: np.ndarray, pupils: np.ndarray | None = None) -> np.ndarray:
    """(98, 2) WFLW points from the (468, 2+) mesh, the (68, 2) 300W points and optionally
    the (2, 2) pupils (right, left)."""
    mesh = np.asarray(mesh, dtype=np.float64)[:, :2]
    p68 = np.asarray(points68, dtype=np.float64)
    out = np.full((NUM_WFLW, 2), np.nan)
    out[0:33] = contour33(p68[0:17])
    for w, src in FROM_300W.items():
        if w % 2 or w > 32:
            out[w] = p68[src]
    for w, verts in MESH_POINTS.items():
        out[w] = mesh[list(verts)].mean(axis=0)
    if pupils is None:
        out[96] = out[list(RIGHT_EYE_WFLW)].mean(axis=0)
        out[97] = out[list(LEFT_EYE_WFLW)].mean(axis=0)
    else:
        out[96:98] = np.asarray(pupils, dtype=np.float64)[:2, :2]
    return out


def confidence98(conf68: np.ndarray) -> np.ndarray:
    """Per-point confidence of the 98 points from the 68 (see the module docstring)."""
    c = np.asarray(conf68, dtype=np.float32)
    out = np.empty(NUM_WFLW, dtype=np.float32)
    for w in range(NUM_WFLW):
        if w <= 32:
            out[w] = c[w // 2] if w % 2 == 0 else min(c[w // 2], c[w // 2 + 1])
        elif w in FROM_300W:
            out[w] = c[FROM_300W[w]]
        else:
            out[w] = c[CONFIDENCE_SOURCE[w]]
    return out


# -- MediaPipe's iris model ---------------------------------------------------------------
IRIS_CARD = Path(__file__).resolve().parents[1] / "models" / "mediapipe_iris_landmark.toml"
IRIS_SIZE = 64
EYE_CORNERS = ((33, 133), (362, 263))  # right eye, left eye: (one corner, the other)


def eye_crop_matrix(corner_a: np.ndarray, corner_b: np.ndarray, mirror: bool) -> np.ndarray:
    """2x3 matrix from image pixels to the 64x64 iris crop of one eye.

    As MediaPipe's iris graph (``iris_landmark_left_and_right_cpu``): a square centred on
    the two eye corners, of side 2.3 times their distance, rotated so that the corners are
    level; the left eye's crop is mirrored so that both look like a right eye.
    """
    a, b = np.asarray(corner_a, np.float64), np.asarray(corner_b, np.float64)
    centre = (a + b) / 2.0
    d = b - a
    side = 2.3 * float(np.linalg.norm(d))
    if side <= 0:
        raise InferenceError("the eye corners coincide: no iris crop")
    angle = float(np.arctan2(d[1], d[0]))
    k = IRIS_SIZE / side
    c, s = np.cos(angle), np.sin(angle)
    m = np.array([[k * c, k * s, 0.0], [-k * s, k * c, 0.0]])
    if mirror:
        m[0] *= -1.0
    m[:, 2] = IRIS_SIZE / 2.0 - m[:, :2] @ centre
    return m


class IrisModel:
    """MediaPipe's iris landmark model (``mediapipe_iris_landmark.onnx``); thread-safe."""

    def __init__(self, threads: int | None = None) -> None:
        from facealign_gui.inference.card import load_card
        from facealign_gui.inference.runtime import get_session

        card = load_card(IRIS_CARD)
        card.verify_sha256()
        self.card = card
        self.session = get_session(card.onnx_path, sha256=card.sha256, threads=threads)
        self.input_name = card.input.name or self.session.input.name
        iris = card.output_for("coords")
        if iris is None:
            raise InferenceError(f"{card.where}: [outputs] must name the iris 'coords' output")
        self.output = iris
        self.session.output(iris)

    def centres(self, image_bgr: np.ndarray, mesh: np.ndarray) -> np.ndarray:
        """(2, 2) iris centres (right, left) in image pixels, both eyes in one run."""
        import cv2

        from facealign_gui.inference.detect import to_chw

        pts = np.asarray(mesh, dtype=np.float64)[:, :2]
        mats, crops = [], []
        one = np.float32(1.0 / 255.0)
        for (i, j), mirror in zip(EYE_CORNERS, (False, True), strict=True):
            m = eye_crop_matrix(pts[i], pts[j], mirror)
            patch = cv2.warpAffine(
                image_bgr, m, (IRIS_SIZE, IRIS_SIZE), borderMode=cv2.BORDER_REPLICATE
            )
            crops.append(to_chw(patch, True, np.full(3, one), np.zeros(3, np.float32)))
            mats.append(m)
        out = self.session.run(np.stack(crops), self.input_name)[self.output]
        raw = np.asarray(out, dtype=np.float64).reshape(2, -1, 3)[:, 0, :2]  # iris centres
        centres = np.empty((2, 2))
        for e, m in enumerate(mats):
            centres[e] = transform_points(raw[e : e + 1], invert_affine(m))[0]
        return centres


_LOCK = threading.Lock()
_IRIS: dict[int | None, IrisModel] = {}


def get_iris_model(threads: int | None = None) -> IrisModel:
    """The process-wide iris model (raises `InferenceError` when it cannot be loaded)."""
    with _LOCK:
        model = _IRIS.get(threads)
        if model is None:
            model = IrisModel(threads)
            _IRIS[threads] = model
        return model
