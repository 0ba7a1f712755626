"""From an image and a face region to the network's input tensor, per the card's crop rule.

`crop_face` returns the crop (BGR uint8, the card's input size) and the 2x3 *decode* matrix
that maps image pixels to the crop coordinates the model's outputs are expressed in; the
predictor inverts it to bring points back. `to_tensor` applies colour order, pixel scale,
mean/std and layout.

Crop rules (``mode="official"`` reproduces the published pre-processing, ``"precise"``
keeps the same geometry without its integer truncations):

- ``hrnet_center_scale``: HRNet's center/scale crop, scale x ``scale_factor`` (1.25), via
  `facealign_gui.core.geometry.crop_image`.
- ``pipnet_box``: PIPNet's axis-aligned box enlarged by ``pad`` (``detector_pad`` for detector
  boxes), clipped to the image when ``crop.clip`` (the authors do), cut as
  ``image[int(y1):int(y2), int(x1):int(x2)]`` and resized (``process_wflw`` / ``process_cofw``
  in lib/preprocess.py); outputs are fractions of the box: x = x1 + u * (x2 - x1). With
  ``box_source = "landmarks"`` official mode follows ``process_300w`` instead: integer steps
  for the landmark box, the padding and the size, in the 1-based frame of the ``.pts`` values
  (`facealign_gui.core.geometry.pipnet_300w_box`).
- ``box``: PFLD's square box (used by HIH's data): min/max corner truncated toward zero,
  ``wh = max - min + 1``, centre ``int(min + wh / 2)``, side ``int(max(wh) * enlarge)``
  (`facealign_gui.core.geometry.pfld_square`), zero padding outside the image; outputs are
  fractions of the square. ``crop.clip`` keeps only the part inside the image instead.
- ``full_image``: the whole image resized to the input size.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from facealign_gui.core.geometry import pfld_square, pipnet_300w_box
from facealign_gui.inference.card import ModelCard
from facealign_gui.inference.types import FaceRegion, InferenceError


@dataclass
class Prepared:
    """One face ready for the runtime: its input tensor (no batch axis) and geometry."""

    tensor: np.ndarray
    image_to_crop: np.ndarray  # 2x3, image pixels -> crop coordinates of the outputs
    face: FaceRegion
    center: np.ndarray | None = None  # HRNet center/scale actually used (scale enlarged)
    scale: float | None = None
    seconds: float = 0.0


def face_box(face: FaceRegion) -> np.ndarray:
    """(x1, y1, x2, y2) of a face region: its box, or the square of its center/scale."""
    if face.box is not None:
        return np.asarray(face.box, dtype=np.float64)
    if face.center is not None and face.scale is not None:
        cx, cy = face.center
        half = face.scale * 100.0
        return np.array([cx - half, cy - half, cx + half, cy + half], dtype=np.float64)
    raise InferenceError("face region has neither a box nor center/scale")


def _resize_matrix(x0: float, y0: float, sx: float, sy: float) -> np.ndarray:
    """image -> crop matrix for ``cv2.resize`` of the region starting at (x0, y0).

    ``cv2.resize`` samples destination pixel j at source ``x0 + (j + 0.5) * s - 0.5`` where
    s is source pixels per destination pixel; this is its inverse, for `cv2.warpAffine`.
    """
    return np.array(
        [[1.0 / sx, 0.0, (0.5 - x0) / sx - 0.5], [0.0, 1.0 / sy, (0.5 - y0) / sy - 0.5]],
        dtype=np.float64,
    )


def _decode_matrix(x0: float, y0: float, sx: float, sy: float) -> np.ndarray:
    """image -> crop matrix for outputs expressed as (x - x0) / s."""
    return np.array([[1.0 / sx, 0.0, -x0 / sx], [0.0, 1.0 / sy, -y0 / sy]], dtype=np.float64)


def _warp(image: np.ndarray, m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return cv2.warpAffine(
        image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )


def pipnet_box(
    box: np.ndarray,
    pad: tuple[float, float, float, float],
    width: int,
    height: int,
    clip: bool = True,
) -> np.ndarray:
    """PIPNet's enlarged box (x1, y1, x2, y2), clipped to the image unless ``clip`` is off."""
    x1, y1, x2, y2 = (float(v) for v in box)
    w, h = x2 - x1, y2 - y1
    x1, y1 = x1 - w * pad[0], y1 - h * pad[1]
    x2, y2 = x2 + w * pad[2], y2 + h * pad[3]
    if clip:
        x1, y1 = max(x1, 0.0), max(y1, 0.0)
        x2, y2 = min(x2, width - 1.0), min(y2, height - 1.0)
    if x2 - x1 < 1.0 or y2 - y1 < 1.0:
        raise InferenceError(f"face box {tuple(box)} is outside the {width}x{height} image")
    return np.array([x1, y1, x2, y2])


def _cut(image: np.ndarray, x0: int, y0: int, x1: int, y1: int, size: tuple[int, int]):
    """``cv2.resize(image[y0:y1, x0:x1], size)``, zero padding where the region leaves it."""
    h, w = image.shape[:2]
    if x0 >= 0 and y0 >= 0 and x1 <= w and y1 <= h:
        part = image[y0:y1, x0:x1]
    else:
        part = cv2.copyMakeBorder(
            image[max(y0, 0) : min(y1, h), max(x0, 0) : min(x1, w)],
            max(0, -y0),
            max(0, y1 - h),
            max(0, -x0),
            max(0, x1 - w),
            cv2.BORDER_CONSTANT,
            value=0,
        )
    if part.shape[0] < 1 or part.shape[1] < 1:
        raise InferenceError(f"face region ({x0}, {y0})-({x1}, {y1}) is outside the image")
    return cv2.resize(part, size, interpolation=cv2.INTER_LINEAR)


def _crop_pipnet(
    image: np.ndarray, face: FaceRegion, card: ModelCard, mode: str, detected: bool
) -> tuple[np.ndarray, np.ndarray]:
    h, w = image.shape[:2]
    size = card.input.size
    clip = card.crop.clip
    pad = card.crop.detector_pad if detected else card.crop.pad
    if mode == "official" and card.crop.box_source == "landmarks" and not detected:
        # process_300w: integer steps in the 1-based frame of the .pts values
        x0, y0, bw, bh = pipnet_300w_box(face_box(face), pad, w, h, clip)
        if bw < 1 or bh < 1:
            raise InferenceError(f"face box {face_box(face)} is outside the {w}x{h} image")
        crop = _cut(image, x0, y0, x0 + bw, y0 + bh, size)
        return crop, _decode_matrix(x0 - 1.0, y0 - 1.0, bw / size[0], bh / size[1])
    x1, y1, x2, y2 = pipnet_box(face_box(face), pad, w, h, clip)
    bw, bh = x2 - x1, y2 - y1
    decode = _decode_matrix(x1, y1, bw / size[0], bh / size[1])
    if mode == "official":  # process_wflw / process_cofw: float box, integer slice
        crop = _cut(image, int(x1), int(y1), int(x2), int(y2), size)
    else:
        crop = _warp(image, _resize_matrix(x1, y1, bw / size[0], bh / size[1]), size)
    return crop, decode


def _clip_region(
    x0: float, y0: float, sw: float, sh: float, image: np.ndarray, b: np.ndarray
) -> tuple[float, float, float, float]:
    """The part of a region inside the image (``crop.clip``), as (x0, y0, width, height)."""
    h, w = image.shape[:2]
    x1, y1 = min(x0 + sw, float(w)), min(y0 + sh, float(h))
    x0, y0 = max(x0, 0.0), max(y0, 0.0)
    if x1 - x0 < 1.0 or y1 - y0 < 1.0:
        raise InferenceError(f"face box {tuple(b)} is outside the {w}x{h} image")
    return x0, y0, x1 - x0, y1 - y0


def _crop_square(
    image: np.ndarray, face: FaceRegion, card: ModelCard, mode: str
) -> tuple[np.ndarray, np.ndarray]:
    size = card.input.size
    b = face_box(face)
    if mode == "official":
        ix, iy, side = pfld_square(b, card.crop.enlarge)
        x0, y0, sw, sh = float(ix), float(iy), float(side), float(side)
    else:
        centre = (b[:2] + b[2:]) / 2.0
        sw = sh = float(np.max(b[2:] - b[:2])) * card.crop.enlarge
        x0, y0 = (float(v) for v in centre - sw / 2.0)
    if sw < 1.0:
        raise InferenceError(f"face box {tuple(b)} is empty")
    if card.crop.clip:  # the part of the square inside the image, no zero padding
        x0, y0, sw, sh = _clip_region(x0, y0, sw, sh, image, b)
    s = (sw / size[0], sh / size[1])
    if mode == "official":  # PFLD: slice, zero border (copyMakeBorder), cv2.resize
        crop = _cut(image, int(x0), int(y0), int(x0 + sw), int(y0 + sh), size)
    else:
        crop = _warp(image, _resize_matrix(x0, y0, *s), size)
    return crop, _decode_matrix(x0, y0, *s)


def _crop_full(image: np.ndarray, card: ModelCard) -> tuple[np.ndarray, np.ndarray]:
    h, w = image.shape[:2]
    size = card.input.size
    crop = image if (w, h) == size else cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    return crop, _decode_matrix(0.0, 0.0, w / size[0], h / size[1])


def _crop_hrnet(
    image: np.ndarray, face: FaceRegion, card: ModelCard, mode: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    from facealign_gui.core import geometry

    if face.center is not None and face.scale is not None:
        center = np.asarray(face.center, dtype=np.float64)
        scale = float(face.scale)
    else:
        c, s = geometry.center_scale_from_box(face_box(face))
        center, scale = np.asarray(c, dtype=np.float64), float(s)
    scale *= card.crop.scale_factor
    crop, m = geometry.crop_image(image, center, scale, card.input.size, 0.0, mode=mode)
    return crop, np.asarray(m, dtype=np.float64), center, scale


def crop_face(
    image: np.ndarray,
    face: FaceRegion,
    card: ModelCard,
    *,
    mode: str = "official",
    detected: bool = False,
) -> Prepared:
    """Crop ``face`` out of a BGR uint8 ``image`` and build the input tensor."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    rule = card.crop.rule
    center = scale = None
    if rule == "hrnet_center_scale":
        crop, m, center, scale = _crop_hrnet(image, face, card, mode)
    elif rule == "pipnet_box":
        crop, m = _crop_pipnet(image, face, card, mode, detected)
    elif rule == "box":
        crop, m = _crop_square(image, face, card, mode)
    elif rule == "full_image":
        crop, m = _crop_full(image, card)
    else:
        raise InferenceError(f"{card.where}: crop rule {rule!r} is not handled by this predictor")
    return Prepared(to_tensor(crop, card), m, face, center, scale)


def to_tensor(crop: np.ndarray, card: ModelCard) -> np.ndarray:
    """BGR uint8 crop -> float tensor (C, H, W) or (H, W, C) per the card."""
    spec = card.input
    if spec.colour == "gray":
        crop = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)[:, :, None]
    # (p * scale - mean) / std as one multiply-add per pixel, in BGR order
    mean = np.asarray(spec.mean, dtype=np.float64)
    std = np.asarray(spec.std, dtype=np.float64)
    a = np.broadcast_to(spec.pixel_scale / std, (crop.shape[2],)).astype(np.float32)
    b = np.broadcast_to(mean / std, (crop.shape[2],)).astype(np.float32)
    if spec.colour == "rgb":  # card values are in RGB order; the crop is BGR
        a, b = a[::-1], b[::-1]
    x = crop.astype(np.float32)
    x *= a
    x -= b
    if spec.colour == "rgb":
        x = x[:, :, ::-1]
    if spec.layout == "NCHW":
        x = x.transpose(2, 0, 1)
    return np.ascontiguousarray(x, dtype=np.float16 if spec.dtype == "float16" else np.float32)
