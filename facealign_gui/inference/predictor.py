"""`CardPredictor`: the Predictor for every ONNX family described by a model card.

pre-process (crop rule, colour, pixel scale, mean/std, layout) -> shared onnxruntime
session -> family decoder -> inverse crop transform -> `Prediction` in image pixels, with
the heatmap->image matrix and, for the faces whose heatmaps are kept (``keep_heatmaps``:
the window's shown sample), the heatmaps as float16. ``eval``/``predict`` keep none, so no
face pays for a copy that is thrown away.

Work is split in two steps so a pipeline can overlap them: `prepare` (CPU, per image,
thread-safe, done by producer threads) and `run_prepared` (one batched session run and the
decode). `predict` / `predict_batch` do both.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from facealign_gui.core import geometry
from facealign_gui.core.annotation import Prediction
from facealign_gui.inference.card import ModelCard
from facealign_gui.inference.families import check_output_shapes, get_family, output_roles
from facealign_gui.inference.preprocess import Prepared, crop_face
from facealign_gui.inference.runtime import get_session
from facealign_gui.inference.types import FaceRegion, InferenceError

MODES = ("official", "precise")


def _compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """2x3 matrix of ``outer(inner(p))``."""
    a = np.vstack([outer, [0.0, 0.0, 1.0]]) @ np.vstack([inner, [0.0, 0.0, 1.0]])
    return a[:2]


def _flags(keep: bool | Sequence[bool], n: int) -> list[bool]:
    """``keep_heatmaps`` as one bool per item."""
    if isinstance(keep, bool | np.bool_):
        return [bool(keep)] * n
    flags = [bool(k) for k in keep]
    if len(flags) != n:
        raise ValueError(f"keep_heatmaps has {len(flags)} flags for {n} faces")
    return flags


class CardPredictor:
    """A loaded model card (any family except ``mediapipe``). Thread-safe."""

    def __init__(self, card: ModelCard, *, threads: int | None = None, mode: str = "official"):
        family = get_family(card.family)
        if family.predictor != "card":
            raise InferenceError(f"{card.where}: use MediaPipePredictor for family {card.family!r}")
        if card.crop.rule == "mediapipe_roi":
            raise InferenceError(
                f"{card.where}: crop rule 'mediapipe_roi' needs the MediaPipe "
                f"predictor; family {card.family!r} cannot use it"
            )
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.card = card
        self.mode = mode
        self.model_id = card.id
        self.num_points = card.num_points
        self.scheme = card.scheme
        digest = card.verify_sha256()
        self.session = get_session(card.onnx_path, sha256=digest, threads=threads)
        self._check_signature()
        self.roles = output_roles(card, self.session.output_names)
        check_output_shapes(card, self.roles, {o.name: o.shape for o in self.session.outputs})
        self.family = family
        if family.check is not None:
            family.check(card)  # fail now, not on the first image

    # -- checks ------------------------------------------------------------------------
    def _expected_input_shape(self) -> tuple[int, int, int]:
        w, h = self.card.input.size
        c = 1 if self.card.input.colour == "gray" else 3
        return (c, h, w) if self.card.input.layout == "NCHW" else (h, w, c)

    def _check_signature(self) -> None:
        info = self.session.input
        card = self.card
        if card.input.name and card.input.name != info.name:
            raise InferenceError(
                f"{card.where}: [input] name {card.input.name!r} does not match the model "
                f"input {info.name!r} of {card.onnx_path}"
            )
        if len(self.session.inputs) != 1:
            raise InferenceError(
                f"{card.onnx_path}: the model has {len(self.session.inputs)} inputs; only "
                f"single-input models are supported"
            )
        model_dtype = np.dtype(info.dtype).name
        if model_dtype != card.input.dtype:
            raise InferenceError(
                f"{card.onnx_path}: input {info.name!r} is {model_dtype}; the card "
                f"{card.where} says [input] dtype = {card.input.dtype!r}"
            )
        want = self._expected_input_shape()
        if info.rank != 4 or any(
            m is not None and m != c for m, c in zip(info.shape[1:], want, strict=False)
        ):
            raise InferenceError(
                f"{card.onnx_path}: input {info.name!r} has shape {info.shape}; the card "
                f"{card.where} produces (N, {', '.join(map(str, want))}) from [input] size "
                f"{list(card.input.size)}, layout {card.input.layout}, colour {card.input.colour}"
            )

    # -- the two steps -----------------------------------------------------------------
    def prepare(
        self, image: np.ndarray, face: FaceRegion, *, detected: bool | None = None
    ) -> Prepared:
        """Crop and normalise one face (thread-safe; no session call).

        ``detected``: the face box came from a face detector (PIPNet then uses the card's
        ``detector_pad``). By default a region with detector keypoints counts as detected.
        """
        t0 = time.perf_counter()
        if image is None or image.ndim not in (2, 3) or image.size == 0:
            raise InferenceError("image is empty or not an (H, W[, 3]) array")
        if detected is None:
            detected = face.keypoints is not None
        prep = crop_face(image, face, self.card, mode=self.mode, detected=detected)
        prep.seconds = time.perf_counter() - t0
        return prep

    def run_prepared(
        self, items: list[Prepared], *, keep_heatmaps: bool | Sequence[bool] = True
    ) -> list[Prediction]:
        """One batched session run + decode for faces from `prepare`.

        ``keep_heatmaps``: one flag for the batch, or one per item; a face whose flag is
        False gets ``heatmaps=None`` (no float16 copy).
        """
        if not items:
            return []
        keep = _flags(keep_heatmaps, len(items))
        t0 = time.perf_counter()
        batch = np.stack([p.tensor for p in items])
        outs = self.session.run(batch)
        check_output_shapes(
            self.card, self.roles, {n: tuple(outs[n].shape) for n in self.roles.values()}
        )
        if self.family.space == "image":  # HRNet: decoded through each face's centre/scale
            preds = self._decode_hrnet(items, outs, keep)
        else:
            preds = self._decode_generic(items, outs, keep)
        share = (time.perf_counter() - t0) / len(items)
        for p, item in zip(preds, items, strict=False):
            p.seconds = item.seconds + share
        return preds

    def _decode_generic(
        self, items: list[Prepared], outs: dict[str, np.ndarray], keep: list[bool]
    ) -> list[Prediction]:
        dec = self.family.decode(self.card, self.roles, outs, items, self.mode)
        preds = []
        for i, item in enumerate(items):
            crop_to_image = geometry.invert_affine(item.image_to_crop)
            pts = dec.points[i] @ crop_to_image[:, :2].T + crop_to_image[:, 2]
            hm = hm_m = None
            if dec.heatmaps is not None and dec.heatmap_to_crop is not None:
                hm = dec.heatmaps[i].astype(np.float16) if keep[i] else None
                hm_m = _compose(crop_to_image, dec.heatmap_to_crop)
            preds.append(
                Prediction(
                    points=pts.astype(np.float64),
                    confidence=dec.confidence[i].astype(np.float32),
                    heatmaps=hm,
                    crop_to_image=hm_m,
                    model_id=self.model_id,
                )
            )
        return preds

    def _decode_hrnet(
        self, items: list[Prepared], outs: dict[str, np.ndarray], keep: list[bool]
    ) -> list[Prediction]:

        dec = self.family.decode(self.card, self.roles, outs, items, self.mode)
        hm, pts, conf = dec.heatmaps, dec.points, dec.confidence
        preds = []
        size = (hm.shape[3], hm.shape[2])
        for i, item in enumerate(items):
            m = geometry.crop_matrix(item.center, float(item.scale), size, mode="precise")
            preds.append(
                Prediction(
                    points=np.asarray(pts[i], dtype=np.float64),
                    confidence=np.asarray(conf[i], dtype=np.float32),
                    heatmaps=hm[i].astype(np.float16) if keep[i] else None,
                    crop_to_image=geometry.invert_affine(m),
                    model_id=self.model_id,
                )
            )
        return preds

    # -- Predictor protocol ------------------------------------------------------------
    def predict(self, image: np.ndarray, face: FaceRegion) -> Prediction:
        return self.run_prepared([self.prepare(image, face)])[0]

    def predict_batch(self, images: list[np.ndarray], faces: list[FaceRegion]) -> list[Prediction]:
        if len(images) != len(faces):
            raise ValueError(f"{len(images)} images but {len(faces)} faces")
        return self.run_prepared(
            [self.prepare(im, f) for im, f in zip(images, faces, strict=False)]
        )
