"""Face detection: MediaPipe's BlazeFace short- and full-range models, with OpenCV's Haar
cascade as a fallback.

``detect_faces`` returns every face it finds as a `FaceRegion` in image pixels, best first.
By default both BlazeFace models run on the letterboxed image: the short-range one (128x128,
built for faces that fill much of the frame) and the full-range one (192x192, one anchor
layer at stride 4, for faces down to a few percent of the image's longer side). Their
detections, mapped to image pixels, are merged by MediaPipe's weighted non-maximum
suppression, so a face both find is reported once (score-weighted box and key points).
When the image's longer side exceeds ``tile_above`` pixels, the full-range model also runs
on overlapping square tiles, which finds faces of ~40 pixels in large photos.

The models and their cards ship in ``facealign_gui/models``; their onnxruntime sessions
come from the shared cache in `facealign_gui.inference.runtime` (one session per model file
for the whole process). When a model cannot be loaded (missing or corrupt file) the Haar
cascade bundled with OpenCV (``cv2.data.haarcascades``) is used instead and a warning is
logged once; ``backend="haar"`` asks for it explicitly.

Haar faces carry no key points and ``score`` 1.0 (the cascade gives no calibrated score), so
``min_score`` does not filter them.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from facealign_gui.inference import blazeface
from facealign_gui.inference.types import FaceRegion, InferenceError

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
DEFAULT_DETECTOR_CARD = MODELS_DIR / "blazeface_short_range.toml"
FULL_RANGE_CARD = MODELS_DIR / "blazeface_full_range.toml"
HAAR_FILE = "haarcascade_frontalface_default.xml"

Backend = Literal["auto", "blazeface", "haar"]
Ranges = Literal["both", "short", "full"]


def as_bgr(image: np.ndarray, what: str = "image") -> np.ndarray:
    """A contiguous uint8 (H, W, 3) BGR view of ``image`` (gray and BGRA are converted).

    Raises ``ValueError`` naming what was wrong.
    """
    import cv2

    if not isinstance(image, np.ndarray):
        raise ValueError(f"{what}: expected a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"{what}: expected uint8 pixels, got {image.dtype}")
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    elif image.ndim == 3 and image.shape[2] == 1:
        image = cv2.cvtColor(image[:, :, 0], cv2.COLOR_GRAY2BGR)
    elif not (image.ndim == 3 and image.shape[2] == 3):
        raise ValueError(f"{what}: expected an (H, W, 3) BGR image, got shape {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"{what}: image is empty ({image.shape[1]}x{image.shape[0]})")
    return np.ascontiguousarray(image)


def to_chw(patch: np.ndarray, rgb: bool, scale: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 BGR -> contiguous (3, H, W) float32 ``pixel * scale + offset``.

    ``scale``/``offset`` are per channel in the model's order (RGB when ``rgb``). The uint8
    array is reordered first and converted after: many times faster than converting first.
    """
    chw = patch.transpose(2, 0, 1)
    x = np.ascontiguousarray(chw[::-1] if rgb else chw).astype(np.float32)
    x *= scale.reshape(3, 1, 1)
    x += offset.reshape(3, 1, 1)
    return x


@dataclass
class BlazeFaceDetector:
    """One BlazeFace model (short- or full-range): its shared session, card and anchors."""

    session: Any  # facealign_gui.inference.runtime.ModelSession
    input_name: str
    size: int
    scale: np.ndarray  # per-channel multiplier: pixel_scale / std
    offset: np.ndarray  # per-channel offset: -mean / std
    rgb: bool
    boxes_output: str
    scores_output: str
    anchors: np.ndarray

    @classmethod
    def from_card(
        cls, card_path: Path = DEFAULT_DETECTOR_CARD, threads: int | None = None
    ) -> BlazeFaceDetector:
        """Load the card, verify the ONNX checksum and get the shared session."""
        from facealign_gui.inference.card import load_card
        from facealign_gui.inference.runtime import get_session

        card = load_card(card_path)
        card.verify_sha256()
        session = get_session(card.onnx_path, sha256=card.sha256, threads=threads)
        width, height = card.input.size
        if width != height:
            raise InferenceError(
                f"{card.where}: BlazeFace needs a square input, got {width}x{height}"
            )
        boxes = card.output_for("coords")
        scores = card.output_for("score_map")
        if boxes is None or scores is None:
            raise InferenceError(
                f"{card.where}: [outputs] must name a 'coords' (regressors) and a "
                f"'score_map' (classificators) output"
            )
        for name in (boxes, scores):
            session.output(name)  # raises with the file name when absent
        std = np.broadcast_to(np.asarray(card.input.std, np.float32), (3,))
        mean = np.broadcast_to(np.asarray(card.input.mean, np.float32), (3,))
        try:
            anchors = blazeface.ssd_anchors(blazeface.anchor_options_for(width))
        except ValueError as exc:
            raise InferenceError(f"{card.where}: {exc}") from None
        n_out = session.output(boxes).shape[1] if len(session.output(boxes).shape) > 1 else None
        if n_out is not None and n_out != len(anchors):
            raise InferenceError(
                f"{card.onnx_path}: output {boxes!r} has {n_out} boxes, the anchors {len(anchors)}"
            )
        return cls(
            session=session,
            input_name=card.input.name or session.input.name,
            size=width,
            scale=(card.input.pixel_scale / std).astype(np.float32),
            offset=(-mean / std).astype(np.float32),
            rgb=card.input.colour == "rgb",
            boxes_output=boxes,
            scores_output=scores,
            anchors=anchors,
        )

    def preprocess(self, image_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Letterboxed (1, 3, S, S) float32 tensor and the image-to-tensor matrix."""
        import cv2

        h, w = image_bgr.shape[:2]
        matrix = blazeface.letterbox_matrix(w, h, self.size)
        crop = cv2.warpAffine(
            image_bgr,
            matrix,
            (self.size, self.size),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0, 0, 0),
        )
        return to_chw(crop, self.rgb, self.scale, self.offset)[None], matrix

    def raw_detections(self, image_bgr: np.ndarray, min_score: float = 0.5) -> blazeface.Detections:
        """Every anchor above ``min_score``, decoded to image pixels, before NMS."""
        tensor, matrix = self.preprocess(image_bgr)
        out = self.session.run(tensor, self.input_name)
        opts = blazeface.DecodeOptions(min_score=min_score, box_scale=(float(self.size),) * 4)
        det = blazeface.decode(out[self.boxes_output], out[self.scores_output], self.anchors, opts)
        return blazeface.to_image(det, matrix, self.size)

    def detect(
        self, image_bgr: np.ndarray, min_score: float = 0.5, max_faces: int | None = None
    ) -> list[FaceRegion]:
        det = self.raw_detections(image_bgr, min_score)
        return regions(blazeface.weighted_nms(det, 0.3, max_faces))


def regions(det: blazeface.Detections) -> list[FaceRegion]:
    """`FaceRegion`s of image-pixel detections, in their order."""
    return [
        FaceRegion(
            box=tuple(float(v) for v in det.boxes[i]),  # type: ignore[arg-type]
            keypoints=det.keypoints[i].astype(np.float64),
            score=float(det.scores[i]),
        )
        for i in range(len(det))
    ]


def tile_origins(length: int, tile: int, overlap: float = 0.25) -> list[int]:
    """Start offsets of tiles of side ``tile`` covering ``0..length`` with at least
    ``overlap`` of a tile shared by neighbours; the last tile ends at ``length``."""
    if length <= tile:
        return [0]
    step = tile * (1.0 - overlap)
    n = int(np.ceil((length - tile) / step)) + 1
    return [round(float(v)) for v in np.linspace(0, length - tile, n)]


def tiles(width: int, height: int, tile: int, overlap: float = 0.25) -> list[tuple[int, int]]:
    """(x0, y0) of the square tiles of side ``tile`` over a ``width`` x ``height`` image."""
    return [
        (x, y)
        for y in tile_origins(height, tile, overlap)
        for x in tile_origins(width, tile, overlap)
    ]


def inner_faces(
    det: blazeface.Detections,
    tile_w: int,
    tile_h: int,
    origin: tuple[int, int],
    image_size: tuple[int, int],
    margin: float = 2.0,
) -> np.ndarray:
    """Indices of a tile's detections to keep: box side at most half the tile's, and no box
    edge within ``margin`` pixels of a tile edge that lies inside the image."""
    if len(det) == 0:
        return np.zeros(0, dtype=np.intp)
    b = det.boxes
    small = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) <= 0.5 * min(tile_w, tile_h)
    x0, y0 = origin
    w, h = image_size
    ok = small.copy()
    if x0 > 0:
        ok &= b[:, 0] > margin
    if y0 > 0:
        ok &= b[:, 1] > margin
    if x0 + tile_w < w:
        ok &= b[:, 2] < tile_w - 1 - margin
    if y0 + tile_h < h:
        ok &= b[:, 3] < tile_h - 1 - margin
    return np.nonzero(ok)[0]


def shift(det: blazeface.Detections, dx: float, dy: float) -> blazeface.Detections:
    """Detections moved by (dx, dy) pixels (from a tile's frame to the image's)."""
    if len(det) == 0:
        return det
    return blazeface.Detections(
        det.boxes + np.array([dx, dy, dx, dy]), det.keypoints + np.array([dx, dy]), det.scores
    )


def merge(
    parts: list[blazeface.Detections], iou_threshold: float = 0.3, max_faces: int | None = None
) -> blazeface.Detections:
    """Weighted NMS over the detections of several models or tiles (image pixels)."""
    return blazeface.weighted_nms(blazeface.concat(parts), iou_threshold, max_faces)


_LOCK = threading.Lock()
_DETECTORS: dict[tuple[str, int | None], BlazeFaceDetector] = {}
_FAILED: dict[str, str] = {}
_HAAR: Any = None


def get_detector(
    card_path: Path = DEFAULT_DETECTOR_CARD, threads: int | None = None
) -> BlazeFaceDetector:
    """The process-wide BlazeFace detector for ``card_path`` (raises `InferenceError`).

    ``threads`` is onnxruntime's intra-op thread count (None: its default).
    """
    key = (str(Path(card_path).resolve()), threads)
    with _LOCK:
        det = _DETECTORS.get(key)
        if det is None:
            det = BlazeFaceDetector.from_card(Path(card_path), threads)
            _DETECTORS[key] = det
        return det


def haar_available() -> bool:
    """Whether this OpenCV has ``cv2.CascadeClassifier`` and its bundled face cascade."""
    import cv2

    folder = getattr(getattr(cv2, "data", None), "haarcascades", "")
    return hasattr(cv2, "CascadeClassifier") and (Path(folder) / HAAR_FILE).is_file()


def _haar() -> Any:
    global _HAAR
    import cv2

    with _LOCK:
        if _HAAR is None:
            folder = getattr(getattr(cv2, "data", None), "haarcascades", "")
            path = Path(folder) / HAAR_FILE
            if not haar_available():
                raise InferenceError(
                    f"OpenCV {cv2.__version__} has no Haar face cascade ({path} / "
                    f"cv2.CascadeClassifier missing; OpenCV 5 moved them out of the main "
                    f"package): the Haar fallback needs opencv-python-headless 4.x"
                )
            cascade = cv2.CascadeClassifier(str(path))
            if cascade.empty():
                raise InferenceError(f"{path}: cannot load OpenCV's Haar face cascade")
            _HAAR = cascade
        return _HAAR


def detect_faces_haar(image_bgr: np.ndarray, max_faces: int | None = None) -> list[FaceRegion]:
    """OpenCV Haar cascade faces, largest first; box only, score 1.0."""
    import cv2

    gray = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    gray = cv2.equalizeHist(gray)
    min_side = max(24, min(gray.shape) // 12)
    rects = _haar().detectMultiScale(
        gray, scaleFactor=1.1, minNeighbors=5, minSize=(min_side, min_side)
    )
    faces = sorted((tuple(int(v) for v in r) for r in rects), key=lambda r: -r[2] * r[3])
    if max_faces is not None:
        faces = faces[:max_faces]
    # Haar rects are (x, y, w, h) in whole pixels; as corners: x1 = x, x2 = x + w - 1.
    return [
        FaceRegion(box=(float(x), float(y), float(x + w - 1), float(y + h - 1)), score=1.0)
        for x, y, w, h in faces
    ]


def _tiled(
    detector: BlazeFaceDetector, image: np.ndarray, tile: int, image_max: int, min_score: float
) -> blazeface.Detections:
    """Full-range detections on square tiles (see `detect_faces`), in image pixels."""
    import cv2

    h, w = image.shape[:2]
    k = min(1.0, image_max / max(h, w))
    small = image
    if k < 1.0:
        size = (max(1, round(w * k)), max(1, round(h * k)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    parts = []
    for x0, y0 in tiles(sw, sh, tile):
        crop = small[y0 : y0 + tile, x0 : x0 + tile]
        found = detector.raw_detections(crop, min_score)
        keep = inner_faces(found, crop.shape[1], crop.shape[0], (x0, y0), (sw, sh))
        parts.append(shift(found.take(keep), x0, y0))
    det = blazeface.concat(parts)
    if k < 1.0 and len(det):
        # pixel centres: small x = (x + 0.5) * k - 0.5  =>  x = (small x + 0.5) / k - 0.5
        det = blazeface.Detections(
            (det.boxes + 0.5) / k - 0.5, (det.keypoints + 0.5) / k - 0.5, det.scores
        )
    return det


def detect_faces(
    image_bgr: np.ndarray,
    *,
    min_score: float = 0.5,
    max_faces: int | None = None,
    backend: Backend = "auto",
    card_path: Path | None = None,
    threads: int | None = None,
    ranges: Ranges = "both",
    tile_above: int | None = 480,
    tile_image_max: int = 4096,
) -> list[FaceRegion]:
    """Every face in a BGR uint8 image, best first.

    Parameters
    ----------
    image_bgr : (H, W, 3) uint8 BGR image (gray or BGRA are converted).
    min_score : BlazeFace score threshold (MediaPipe's default 0.5).
    max_faces : keep at most this many faces (None: all).
    backend : ``"auto"`` (BlazeFace, Haar when a model cannot be loaded), ``"blazeface"``
        (raise `InferenceError` when it cannot be loaded) or ``"haar"``.
    card_path : one other BlazeFace card, run alone (default: the embedded models).
    threads : onnxruntime intra-op threads of the detector sessions (None: its default).
    ranges : which embedded models: ``"both"`` (short- and full-range, merged), ``"short"``
        or ``"full"``.
    tile_above : when the image's longer side is above this, the full-range model also runs
        on square tiles of this side (25 % overlap), keeping from each tile only faces of at
        most half its side that do not touch an inner tile edge (bigger or cut faces are the
        whole-image passes' job); None: never (the live view's setting).
    tile_image_max : images longer than this are shrunk to it (area filter) before tiling,
        which bounds the tile count (about 120 tiles at most). Shrinking costs recall on
        the smallest faces (two of four 40-60 pixel faces were lost when a 2600-pixel
        canvas was shrunk to 1920), so the default only guards against huge images.
    """
    image = as_bgr(image_bgr)
    if max_faces is not None and max_faces < 1:
        raise ValueError(f"max_faces must be at least 1, got {max_faces}")
    if not 0.0 <= min_score <= 1.0:
        raise ValueError(f"min_score must be in [0, 1], got {min_score}")
    if backend == "haar":
        return detect_faces_haar(image, max_faces)
    if backend not in ("auto", "blazeface"):
        raise ValueError(f"backend must be 'auto', 'blazeface' or 'haar', got {backend!r}")
    if ranges not in ("both", "short", "full"):
        raise ValueError(f"ranges must be 'both', 'short' or 'full', got {ranges!r}")
    if card_path is not None:
        paths = [Path(card_path)]
    else:
        paths = {
            "both": [DEFAULT_DETECTOR_CARD, FULL_RANGE_CARD],
            "short": [DEFAULT_DETECTOR_CARD],
            "full": [FULL_RANGE_CARD],
        }[ranges]
    try:
        detectors = [get_detector(p, threads) for p in paths]
    except InferenceError as exc:
        if backend == "blazeface":
            raise
        key = str(paths)
        if key not in _FAILED:
            _FAILED[key] = str(exc)
            log.warning("BlazeFace unavailable (%s); using OpenCV's Haar cascade", exc)
        try:
            return detect_faces_haar(image, max_faces)
        except InferenceError as haar_exc:
            raise InferenceError(
                f"no face detector available: {exc}; and the fallback: {haar_exc}"
            ) from None
    parts = [d.raw_detections(image, min_score) for d in detectors]
    h, w = image.shape[:2]
    full = [d for d in detectors if d.size == 192]
    if full and tile_above is not None and max(h, w) > tile_above:
        parts.append(_tiled(full[0], image, tile_above, tile_image_max, min_score))
    return regions(merge(parts, 0.3, max_faces))
