"""MediaPipe Face Mesh as a `Predictor`: ROI, crop, run, decode, map to 300W.

The crop follows MediaPipe's face-landmark graphs:

* ROI from a detection (``face_detection_front_detection_to_roi.pbtxt``): the detection box's
  centre, rotated by ``0 - atan2(-(y1 - y0), x1 - x0)`` where (x0, y0) is key point 0 (right
  eye) and (x1, y1) key point 1 (left eye), so that the eyes are horizontal in the crop
  (target angle 0); square on the box's longer side, scaled by 1.5 (``scale_x/scale_y``),
  no shift.
* crop (``ImageToTensorCalculator``): the rotated square is warped to 192x192 with bilinear
  interpolation and replicated borders, RGB in [0, 1].
* decode: the 1404 outputs are 468 x (x, y, z) in crop pixels; x, y go back through the
  inverse warp, z is scaled like x. The face-presence score is ``sigmoid(face_flag)``
  (MediaPipe drops faces below 0.5; here the score is reported as the confidence instead).

A `FaceRegion` without BlazeFace's six key points (dataset boxes, Haar boxes) gets the same
square ROI without rotation;
one with only ``center``/``scale`` (HRNet convention, box side = 200 * scale) is turned into
that box first; one with nothing uses the whole image.

On top of MediaPipe's single pass, the predictor (options ``refine``, ``mirror`` and the
card's learned ``[correction]``, all batched through one session):

* **second pass** (``refine`` >= 1): the crop is redone from the first mesh with MediaPipe's
  tracking ROI (`face_from_mesh`: tight box of the mesh, rotated so that the eye corners are
  level). A dataset box carries no key points, so this is where its in-plane rotation from
  the eyes comes from;
* **mirrored pass** (``mirror``): the last crop flipped left-right is run too (it is the crop
  of the mirrored image with the mirrored ROI moved by one crop pixel, since column 96 flips
  to 95; the flip of the outputs, x -> 191 - x, undoes it exactly); its 68 points, flipped
  back with 300W's flip pairs, are averaged with the direct ones, and their disagreement is
  the per-point uncertainty that `default_model.confidence_from_spread` turns into the
  reported confidence;
* **silhouette marching** (`contour.march_silhouette`, card ``[correction] march``): the side
  jaw points move out along their horizontal line on the 3-D mesh to the visible outline;
* **learned correction** (`contour.apply_correction`): per-point offsets in the face frame,
  proportional to a yaw cue from the mesh, when the card enables one.

`track` is the cheap path for video: one pass from the previous frame's mesh, no mirror.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from facealign_gui.core.annotation import Prediction
from facealign_gui.core.geometry import invert_affine, transform_points
from facealign_gui.inference.card import ModelCard
from facealign_gui.inference.detect import to_chw
from facealign_gui.inference.mesh68 import NUM_MESH_POINTS, mesh_to_300w
from facealign_gui.inference.preprocess import Prepared
from facealign_gui.inference.types import FaceRegion, InferenceError


@dataclass
class MeshPrediction(Prediction):
    """A `Prediction` that also keeps MediaPipe's full mesh.

    Attributes
    ----------
    mesh : (468, 3) float64, x/y in image pixels, z in the same pixel units (relative depth).
    presence : the face-presence score in [0, 1].
    """

    mesh: np.ndarray | None = None
    presence: float = 0.0
    spread: np.ndarray | None = None  # (68,) mirrored-pass disagreement, inter-ocular units
    yaw: float = 0.0  # `default_model.yaw_cue` of the mesh


@dataclass(frozen=True)
class Roi:
    """A rotated square in image pixels: centre, side and rotation (radians, clockwise in
    image coordinates, i.e. the crop's x axis points along (cos r, sin r))."""

    cx: float
    cy: float
    side: float
    rotation: float = 0.0

    def to_crop(self, size: int) -> np.ndarray:
        """2x3 affine matrix from image pixels to the size x size crop."""
        k = size / self.side
        c, s = np.cos(self.rotation), np.sin(self.rotation)
        m = np.array([[k * c, k * s, 0.0], [-k * s, k * c, 0.0]])
        m[:, 2] = size / 2.0 - m[:, :2] @ np.array([self.cx, self.cy])
        return m


def normalize_radians(angle: float) -> float:
    """Wrap an angle into [-pi, pi) like MediaPipe's ``NormalizeRadians``."""
    return float(angle - 2 * np.pi * np.floor((angle + np.pi) / (2 * np.pi)))


def face_box(face: FaceRegion, image_shape: tuple[int, ...]) -> tuple[float, float, float, float]:
    """The face's box: its own, else from center/scale (side = 200 * scale), else the image."""
    if face.box is not None:
        return tuple(float(v) for v in face.box)  # type: ignore[return-value]
    if face.center is not None and face.scale is not None:
        half = 100.0 * float(face.scale)
        cx, cy = (float(v) for v in face.center)
        return (cx - half, cy - half, cx + half, cy + half)
    h, w = image_shape[:2]
    return (0.0, 0.0, float(w - 1), float(h - 1))


def roi_from_face(face: FaceRegion, image_shape: tuple[int, ...], enlarge: float = 1.5) -> Roi:
    """MediaPipe's landmark ROI for a face (see the module docstring)."""
    x1, y1, x2, y2 = face_box(face, image_shape)
    w, h = x2 - x1, y2 - y1
    if not (np.isfinite([x1, y1, x2, y2]).all() and w > 0 and h > 0):
        raise InferenceError(f"face box {face_box(face, image_shape)} is empty or not finite")
    rotation = 0.0
    kp = face.keypoints
    if kp is not None and len(kp) == 6:  # BlazeFace's six key points; anything else: no rotation
        (ex0, ey0), (ex1, ey1) = np.asarray(kp, dtype=np.float64)[:2, :2]
        rotation = normalize_radians(0.0 - np.arctan2(-(ey1 - ey0), ex1 - ex0))
    return Roi((x1 + x2) / 2.0, (y1 + y2) / 2.0, max(w, h) * enlarge, rotation)


def face_from_mesh(mesh: np.ndarray, score: float = 1.0) -> FaceRegion:
    """The region MediaPipe tracks from one frame's mesh to the next.

    As ``face_landmark_landmarks_to_roi.pbtxt``: the tight box of all mesh points, rotated
    by the line from vertex 33 to vertex 133 (the right eye's corners); `roi_from_face` then
    squares it and scales it by 1.5. In a video, feeding this to the next frame's `predict`
    skips the detector while the face stays in view. The six key points are the mesh
    vertices 33, 133 (the rotation pair), 1 (nose tip), 13 (mouth), 234 and 454 (face sides).
    """
    pts = np.asarray(mesh, dtype=np.float64)[:, :2]
    if pts.shape != (NUM_MESH_POINTS, 2) or not np.isfinite(pts).all():
        raise InferenceError(f"expected a finite ({NUM_MESH_POINTS}, 2+) mesh, got {pts.shape}")
    x1, y1 = pts.min(axis=0)
    x2, y2 = pts.max(axis=0)
    return FaceRegion(
        box=(float(x1), float(y1), float(x2), float(y2)),
        keypoints=pts[[33, 133, 1, 13, 234, 454]].copy(),
        score=float(score),
    )


class MediaPipePredictor:
    """MediaPipe Face Mesh from a model card; `predict` gives 300W-68 points.

    Thread-safe: the onnxruntime session is shared and the predictor keeps no state.
    """

    def __init__(
        self,
        card: ModelCard,
        *,
        threads: int | None = None,
        refine: int = 1,
        mirror: bool = True,
        correction: object | None = "card",
        march: bool | None = None,
    ) -> None:
        from facealign_gui.inference import contour
        from facealign_gui.inference.runtime import get_session

        if card.family != "mediapipe":
            raise InferenceError(f"{card.where}: family is {card.family!r}, not 'mediapipe'")
        width, height = card.input.size
        if width != height:
            raise InferenceError(f"{card.where}: the mesh model needs a square input")
        card.verify_sha256()
        self.card = card
        self.model_id = card.id
        self.scheme = card.scheme
        self.num_points = card.num_points
        if self.num_points not in (68, 98, NUM_MESH_POINTS):
            raise InferenceError(
                f"{card.where}: num_points must be 68 (300W mapping), 98 (WFLW mapping) or "
                f"468 (raw mesh), got {self.num_points}"
            )
        self.size = width
        self.enlarge = card.crop.enlarge
        self.session = get_session(card.onnx_path, sha256=card.sha256, threads=threads)
        self.input_name = card.input.name or self.session.input.name
        coords = card.output_for("coords")
        if coords is None:
            raise InferenceError(f"{card.where}: [outputs] must name the 'coords' output")
        # the face-presence logit: the card's 'score_map' output, else the model's other one
        others = [n for n in self.session.output_names if n != coords]
        self.coords_output = coords
        self.flag_output = card.output_for("score_map") or (others[0] if others else None)
        for name in (coords, self.flag_output):
            if name is not None:
                self.session.output(name)  # raises naming the file when absent
        std = np.broadcast_to(np.asarray(card.input.std, np.float32), (3,))
        mean = np.broadcast_to(np.asarray(card.input.mean, np.float32), (3,))
        self._scale = (card.input.pixel_scale / std).astype(np.float32)
        self._offset = (-mean / std).astype(np.float32)
        self._rgb = card.input.colour == "rgb"
        self.refine = max(0, int(refine))
        self.mirror = bool(mirror)
        if correction == "card":
            path = card.path
            correction = None if path is None else contour.load_default_correction(path)
        self.correction = correction if self.num_points in (68, 98) else None
        if march is None:
            march = card.path is not None and contour.card_marches(card.path)
        self.march = bool(march) and self.num_points in (68, 98)
        self._threads = threads

    # -- steps --------------------------------------------------------------------------
    def crop(self, image_bgr: np.ndarray, roi: Roi) -> tuple[np.ndarray, np.ndarray]:
        """(3, S, S) float32 input and the 2x3 image-to-crop matrix."""
        import cv2

        matrix = roi.to_crop(self.size)
        patch = cv2.warpAffine(
            image_bgr,
            matrix,
            (self.size, self.size),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        return to_chw(patch, self._rgb, self._scale, self._offset), matrix

    def _decode(
        self, raw: np.ndarray, flag: np.ndarray | None, matrix: np.ndarray
    ) -> tuple[np.ndarray, float]:
        mesh = np.asarray(raw, dtype=np.float64).reshape(NUM_MESH_POINTS, 3)
        a = matrix[:, :2]
        xy = transform_points(mesh[:, :2], invert_affine(matrix))
        z = mesh[:, 2:3] / np.sqrt(abs(np.linalg.det(a)))
        score = 1.0 if flag is None else float(1.0 / (1.0 + np.exp(-float(np.ravel(flag)[0]))))
        return np.concatenate([xy, z], axis=1), score

    def prepare(
        self, image: np.ndarray, face: FaceRegion, *, detected: bool | None = None
    ) -> Prepared:
        """Crop and normalise one face (thread-safe, no session call); for the batch
        pipeline. ``detected`` is accepted for interface parity and ignored: the ROI rule
        depends only on whether the face has key points. The image is kept (by reference)
        when a second pass needs it."""
        from facealign_gui.inference.detect import as_bgr

        t0 = time.perf_counter()
        image = as_bgr(image)
        tensor, matrix = self.crop(image, roi_from_face(face, image.shape, self.enlarge))
        keep = image if self.refine > 0 or self.num_points == 98 else None
        return MeshPrepared(tensor, matrix, face, seconds=time.perf_counter() - t0, image=keep)

    def _meshes(self, tensors: np.ndarray, matrices: list[np.ndarray]):
        """One session run; (meshes in image pixels, presence scores, raw crop meshes)."""
        out = self.session.run(np.ascontiguousarray(tensors), self.input_name)
        raw = out[self.coords_output].reshape(len(tensors), -1)
        if raw.shape[1] != 3 * NUM_MESH_POINTS:
            raise InferenceError(
                f"{self.card.onnx_path}: output {self.coords_output!r} has {raw.shape[1]} "
                f"values per face, expected {3 * NUM_MESH_POINTS}"
            )
        flags = out[self.flag_output].reshape(len(tensors), -1) if self.flag_output else None
        meshes, scores = [], []
        for i in range(len(tensors)):
            crop_mesh = raw[i].reshape(NUM_MESH_POINTS, 3).copy()
            if i >= len(matrices):  # a mirrored crop: x back to the direct crop's frame
                crop_mesh[:, 0] = (self.size - 1) - crop_mesh[:, 0]
            m = matrices[i % len(matrices)]
            mesh, score = self._decode(crop_mesh, None if flags is None else flags[i], m)
            meshes.append(mesh)
            scores.append(score)
        return meshes, scores

    def run_prepared(self, items: list[Prepared]) -> list[MeshPrediction]:
        """Batched session runs + decode for faces from `prepare` (see the module doc)."""
        return self._run_items(items, self.refine, self.mirror)

    def _run_items(self, items: list[Prepared], refine: int, mirror: bool) -> list[MeshPrediction]:
        from facealign_gui.inference import contour
        from facealign_gui.inference.default_model import (
            confidence_from_spread,
            inter_ocular,
            unflip_points,
            yaw_cue,
        )

        if not items:
            return []

        t0 = time.perf_counter()
        n = len(items)
        tensors = np.stack([p.tensor for p in items])
        matrices = [p.image_to_crop for p in items]
        extra = 0.0
        for _ in range(refine):
            meshes, scores = self._meshes(tensors, matrices)
            t1 = time.perf_counter()
            new_t, new_m = [], []
            for item, mesh, score in zip(items, meshes, scores, strict=True):
                image = getattr(item, "image", None)
                if image is None:
                    raise InferenceError("a second pass needs the image: use prepare()")
                roi = roi_from_face(face_from_mesh(mesh, score), image.shape, self.enlarge)
                tensor, matrix = self.crop(image, roi)
                new_t.append(tensor)
                new_m.append(matrix)
            tensors, matrices = np.stack(new_t), new_m
            extra += time.perf_counter() - t1
        if mirror:
            tensors = np.concatenate([tensors, tensors[:, :, :, ::-1]])
        meshes, scores = self._meshes(tensors, matrices)
        run_seconds = (time.perf_counter() - t0) / n
        preds = []
        for i, item in enumerate(items):
            mesh, score = meshes[i], scores[i]
            if self.num_points == NUM_MESH_POINTS:
                pts = mesh[:, :2].copy()
                spread = None
            else:
                pts = mesh_to_300w(mesh[:, :2])
                spread = np.zeros(68)
                if mirror:
                    other = unflip_points(mesh_to_300w(meshes[n + i][:, :2]))
                    spread = np.linalg.norm(pts - other, axis=1) / max(inter_ocular(pts), 1e-9)
                    pts = (pts + other) / 2.0
                    score = min(score, scores[n + i])
            yaw = yaw_cue(mesh)
            if self.march:
                pts = contour.march_silhouette(mesh, pts)
            if self.correction is not None:
                pts = contour.apply_correction(self.correction, pts, yaw)  # type: ignore[arg-type]
            prior = getattr(self.correction, "expected", None)
            conf = (
                confidence_from_spread(spread, score, prior, yaw)
                if spread is not None
                else np.full(len(pts), score, dtype=np.float32)
            )
            if self.num_points == 98:
                pts, conf = self._wflw98(item, mesh, pts, conf)
            preds.append(
                MeshPrediction(
                    points=pts,
                    confidence=conf,
                    crop_to_image=invert_affine(matrices[i]),
                    model_id=self.model_id,
                    seconds=item.seconds + run_seconds,
                    mesh=mesh,
                    presence=score,
                    spread=spread,
                    yaw=yaw,
                )
            )
        return preds

    def _wflw98(
        self, item: Prepared, mesh: np.ndarray, pts68: np.ndarray, conf68: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The 98 WFLW points and confidences (pupils from the iris model when it loads)."""
        from facealign_gui.inference import mesh98

        pupils = None
        image = getattr(item, "image", None)
        if image is not None:
            try:
                pupils = mesh98.get_iris_model(self._threads).centres(image, mesh)
            except InferenceError:
                pupils = None  # eye-centre fallback, see mesh98
        return mesh98.wflw98(mesh, pts68, pupils), mesh98.confidence98(conf68)

    def track(self, image: np.ndarray, previous: MeshPrediction) -> MeshPrediction:
        """The next video frame's face from the previous frame's mesh: one pass on
        MediaPipe's tracking ROI, no mirror (the live view's per-frame call)."""
        if previous.mesh is None:
            raise InferenceError("track() needs a prediction that kept its mesh")
        return self.track_from(image, face_from_mesh(previous.mesh, previous.presence))

    def track_from(self, image: np.ndarray, face: FaceRegion) -> MeshPrediction:
        """One pass from ``face``, no second pass and no mirror (fast; for video)."""
        from facealign_gui.inference.detect import as_bgr

        image = as_bgr(image)
        t0 = time.perf_counter()
        tensor, matrix = self.crop(image, roi_from_face(face, image.shape, self.enlarge))
        item = MeshPrepared(tensor, matrix, face, seconds=time.perf_counter() - t0, image=image)
        return self._run_items([item], refine=0, mirror=False)[0]

    def _run(self, images: list[np.ndarray], faces: list[FaceRegion]) -> list[MeshPrediction]:
        if len(images) != len(faces):
            raise ValueError(f"{len(images)} images but {len(faces)} faces")
        return self.run_prepared(
            [self.prepare(img, face) for img, face in zip(images, faces, strict=True)]
        )

    # -- Predictor protocol ----------------------------------------------------------------
    def predict(self, image: np.ndarray, face: FaceRegion) -> MeshPrediction:
        """Landmarks for one face of a BGR uint8 image (68 300W points, or the raw mesh's
        468 x/y when the card says ``num_points = 468``)."""
        return self._run([image], [face])[0]

    def predict_batch(
        self, images: list[np.ndarray], faces: list[FaceRegion]
    ) -> list[MeshPrediction]:
        """`predict` for several faces in one onnxruntime call."""
        return self._run(images, faces)

    def predict_mesh(self, image: np.ndarray, face: FaceRegion) -> tuple[np.ndarray, float]:
        """The full (468, 3) mesh in image coordinates and the face-presence score."""
        pred = self._run([image], [face])[0]
        assert pred.mesh is not None
        return pred.mesh, pred.presence


@dataclass
class MeshPrepared(Prepared):
    """A `Prepared` face that keeps its image for the second pass (None: single pass)."""

    image: np.ndarray | None = None


def load_default_predictor(
    threads: int | None = None, card_name: str = "mediapipe_face_landmark", **options: object
) -> MediaPipePredictor:
    """The embedded default model (``facealign_gui/models/mediapipe_face_landmark.toml``);
    ``options`` are `MediaPipePredictor`'s (``refine``, ``mirror``, ``correction``)."""
    from facealign_gui.inference.card import load_card
    from facealign_gui.inference.detect import MODELS_DIR

    card = load_card(MODELS_DIR / f"{card_name}.toml")
    return MediaPipePredictor(card, threads=threads, **options)  # type: ignore[arg-type]
