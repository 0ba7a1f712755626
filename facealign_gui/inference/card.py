"""Model cards: the TOML file that says how to feed an ONNX model and read its outputs.

A card names the ONNX file (relative to the card), its checksum, the input tensor (size,
layout, colour order, pixel scale, mean/std), the crop rule, what each output means, the
decoder's parameters and where the model's published numbers come from. Cards are read with
`tomllib` and written with the small writer in `facealign_gui.inference.tomlwrite`.

Example::

    id = "hrnetv2_w18_wflw"
    family = "hrnet"
    scheme = "wflw98"
    num_points = 98
    onnx = "hrnetv2_w18_wflw.onnx"

    [input]
    size = [256, 256]
    colour = "rgb"
    ...
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from facealign_gui.fileio import atomic_write_text
from facealign_gui.inference.decoders.heatmap import SUBPIXEL
from facealign_gui.inference.families import FAMILIES as REGISTRY
from facealign_gui.inference.families import get_family
from facealign_gui.inference.model_files import (
    MAX_CARD_BYTES,
    MAX_ONNX_BYTES,
    open_model_file,
    read_model_file,
)
from facealign_gui.inference.tomlwrite import dumps_toml
from facealign_gui.inference.types import InferenceError

log = logging.getLogger(__name__)

CROP_RULES = ("hrnet_center_scale", "pipnet_box", "box", "mediapipe_roi", "full_image")
CLIP_RULES = ("pipnet_box", "box")  # the rules that cut a box out of the image
LAYOUTS = ("NCHW", "NHWC")
COLOURS = ("rgb", "bgr", "gray")
OUTPUT_MEANINGS = (
    "heatmaps",  # (N, K, H, W) landmark heatmaps
    "score_map",  # PIPNet (N, K, h, w) classification map
    "offset_x",  # PIPNet (N, K, h, w)
    "offset_y",
    "nb_x",  # PIPNet (N, K*num_nb, h, w)
    "nb_y",
    "offset_heatmaps",  # HIH (N, K, s, s) decimal heatmaps
    "coords",  # regression (N, 2K) or (N, K, 2)
    "ignore",
)
BOX_SOURCES = ("auto", "dataset", "landmarks")


@dataclass
class InputSpec:
    """How the crop becomes the input tensor: ``(pixel * pixel_scale - mean) / std``."""

    name: str = ""
    size: tuple[int, int] = (256, 256)  # (width, height)
    layout: str = "NCHW"
    colour: str = "rgb"
    pixel_scale: float = 1.0 / 255.0
    mean: tuple[float, ...] = (0.0, 0.0, 0.0)
    std: tuple[float, ...] = (1.0, 1.0, 1.0)
    dtype: str = "float32"


@dataclass
class CropSpec:
    """Which part of the image the model sees.

    Attributes
    ----------
    rule : one of `CROP_RULES`.
    scale_factor : HRNet's enlargement of the dataset scale (1.25).
    pad : PIPNet box enlargement as fractions of the box width/height added on the
        (left, top, right, bottom) sides; (0.1, 0.1, 0.1, 0.1) is their WFLW ``scale = 1.2``.
    detector_pad : the same for boxes that come from a face detector (their demo uses
        (0.1, -0.1, 0.1, 0.1): 1.2x wider, shifted down by a tenth).
    enlarge : ``box`` rule: square side = enlarge * max(box width, box height).
    box_source : ``dataset`` (face box / center-scale of the sample), ``landmarks`` (box of
        the ground-truth points, as PIPNet's 300W and PFLD/HIH test crops do) or ``auto``.
    clip : ``pipnet_box`` and ``box`` only: keep the part of the box inside the image (PIPNet
        clips); off, the parts outside the image are zero padding (PFLD's square).
    """

    rule: str = "hrnet_center_scale"
    scale_factor: float = 1.25
    pad: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    detector_pad: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    enlarge: float = 1.0
    box_source: str = "auto"
    clip: bool = False


@dataclass
class DecoderSpec:
    """Family-specific decoder parameters (unused ones keep their defaults)."""

    subpixel: str = "quarter"  # heatmap: "none", "quarter" (HRNet), "quadratic"
    heatmap_stride: float = 0.0  # crop pixels per heatmap pixel; 0 = input size / map size
    net_stride: int = 32  # PIPNet
    num_nb: int = 10  # PIPNet
    meanface: str = ""  # PIPNet mean face file, relative to the card
    offset_size: int = 8  # HIH decimal heatmap side
    coords: str = "normalised"  # regression: "normalised" ([0,1] of the crop) or "pixels"


@dataclass
class Published:
    """One published number and what it was measured on."""

    dataset: str
    metric: str
    value: float
    note: str = ""


@dataclass
class Provenance:
    source: str = ""
    paper: str = ""
    license: str = ""
    notes: str = ""
    published: list[Published] = field(default_factory=list)


@dataclass
class Quantization:
    """How an int8 model was made from its float one, and what it costs and gains (measured)."""

    method: str  # e.g. "static QDQ int8, per-channel"
    float_model: str  # the float card it was made from
    calibration: str  # the dataset calibrated on
    calibration_faces: int
    heldout_faces: int  # faces of that dataset, not calibrated on, measured on
    nme_float: float
    nme_int8: float
    speedup: float  # float ms / int8 ms per face, same machine, same threads


@dataclass
class ModelCard:
    """Everything needed to run one ONNX model and decode its outputs.

    ``path`` is where the card was read from (or will be written); ``onnx`` and
    ``decoder.meanface`` are relative to its folder.
    """

    id: str
    family: str
    num_points: int
    onnx: str
    name: str = ""
    scheme: str | None = None
    sha256: str = ""
    input: InputSpec = field(default_factory=InputSpec)
    crop: CropSpec = field(default_factory=CropSpec)
    outputs: dict[str, str] = field(default_factory=dict)  # output name -> meaning
    decoder: DecoderSpec = field(default_factory=DecoderSpec)
    provenance: Provenance = field(default_factory=Provenance)
    quantization: Quantization | None = None
    path: Path | None = None

    # -- paths -------------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()

    @property
    def where(self) -> str:
        return str(self.path) if self.path is not None else f"card {self.id!r}"

    def resolve(self, relative: str) -> Path:
        p = Path(relative).expanduser()
        return p if p.is_absolute() else (self.folder / p)

    @property
    def onnx_path(self) -> Path:
        return self.resolve(self.onnx)

    def output_for(self, meaning: str) -> str | None:
        """The output name that carries ``meaning``, or None."""
        for name, m in self.outputs.items():
            if m == meaning:
                return name
        return None

    # -- checksum ------------------------------------------------------------------------
    def verify_sha256(self) -> str:
        """Hash the ONNX file; raise `InferenceError` if it differs from the card's.

        Returns the digest. An empty ``sha256`` in the card is not checked (logged).
        """
        digest = file_sha256(self.onnx_path)
        if not self.sha256:
            log.info("%s: no sha256 given; %s has %s", self.where, self.onnx_path, digest)
        elif digest.lower() != self.sha256.lower():
            raise InferenceError(
                f"{self.where}: sha256 mismatch for {self.onnx_path}: card says "
                f"{self.sha256}, file is {digest} (wrong or modified model file?)"
            )
        return digest

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("path")
        if d["scheme"] is None:
            d.pop("scheme")
        for key in ("size",):
            d["input"][key] = list(d["input"][key])
        return d


_HASH_CACHE: dict[tuple[str, int, int], str] = {}


def file_sha256(path: Path) -> str:
    """sha256 of a model file, cached by (path, size, mtime).

    The file must be a regular file of at most `MAX_ONNX_BYTES` (checked on the open
    descriptor before reading: ``/dev/zero`` or a FIFO would never end).
    """
    with open_model_file(path, "model file", MAX_ONNX_BYTES) as (f, _size):
        st = os.fstat(f.fileno())
        key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
        if key not in _HASH_CACHE:
            h = hashlib.sha256()
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
            _HASH_CACHE[key] = h.hexdigest()
    return _HASH_CACHE[key]


# -- validation ------------------------------------------------------------------------


class CardError(InferenceError):
    """A card file is unreadable or a field is wrong; the message names file and field."""


def _get(
    table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any
) -> Any:
    if key not in table:
        if default is _REQUIRED:
            raise CardError(f"{where}: missing required field '{key}'")
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is int and isinstance(value, bool):
        raise CardError(f"{where}: field '{key}' must be an integer, got {value!r}")
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise CardError(f"{where}: field '{key}' must be {names}, got {value!r}")
    return value


_REQUIRED = object()


def _choice(value: str, options: tuple[str, ...], where: str, key: str) -> str:
    if value not in options:
        raise CardError(f"{where}: field '{key}' is {value!r}; expected one of {list(options)}")
    return value


def _floats(value: Any, n: int | None, where: str, key: str) -> tuple[float, ...]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
    ):
        raise CardError(f"{where}: field '{key}' must be a list of numbers, got {value!r}")
    if n is not None and len(value) != n:
        raise CardError(f"{where}: field '{key}' must have {n} numbers, got {len(value)}")
    return tuple(float(v) for v in value)


# Bounds a sane card stays within: wide enough for every published model, tight enough
# that a hostile card cannot ask for a 100000x100000 input or a million landmarks.
MAX_POINTS = 10_000
MAX_INPUT_SIDE = 4096


def _in_range(
    value: float, where: str, key: str, lo: float, hi: float, *, lo_open: bool = False
) -> float:
    """``value`` when finite and in [lo, hi] ((lo, hi] with ``lo_open``); else `CardError`."""
    ok = math.isfinite(value) and (value > lo if lo_open else value >= lo) and value <= hi
    if not ok:
        span = f"{'(' if lo_open else '['}{lo:g}, {hi:g}]"
        raise CardError(f"{where}: field '{key}' must be a finite number in {span}, got {value!r}")
    return value


def _all_in_range(
    values: tuple[float, ...], where: str, key: str, lo: float, hi: float, *, lo_open: bool = False
) -> tuple[float, ...]:
    for v in values:
        _in_range(v, where, key, lo, hi, lo_open=lo_open)
    return values


def _table(d: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    t = d.get(key, {})
    if not isinstance(t, dict):
        raise CardError(f"{where}: '{key}' must be a table ([{key}])")
    return t


def card_from_dict(d: dict[str, Any], where: str = "<card>", path: Path | None = None) -> ModelCard:
    """Validate a parsed TOML table and build a `ModelCard`."""
    family = _choice(_get(d, "family", str, where, _REQUIRED), tuple(REGISTRY), where, "family")
    num_points = _get(d, "num_points", int, where, _REQUIRED)
    if not 0 < num_points <= MAX_POINTS:
        raise CardError(
            f"{where}: field 'num_points' must be between 1 and {MAX_POINTS}, got {num_points}"
        )
    card = ModelCard(
        id=_get(d, "id", str, where, _REQUIRED),
        family=family,
        num_points=num_points,
        onnx=_get(d, "onnx", str, where, _REQUIRED),
        name=_get(d, "name", str, where, ""),
        scheme=_get(d, "scheme", str, where, None),
        sha256=_get(d, "sha256", str, where, ""),
        path=path,
    )
    if card.sha256 and (
        len(card.sha256) != 64 or any(c not in "0123456789abcdefABCDEF" for c in card.sha256)
    ):
        raise CardError(f"{where}: field 'sha256' must be 64 hex digits, got {card.sha256!r}")

    t = _table(d, "input", where)
    w = f"{where} [input]"
    size = _floats(_get(t, "size", list, w, [256, 256]), 2, w, "size")
    if any(not 0 < s <= MAX_INPUT_SIDE or s != int(s) for s in size):
        raise CardError(
            f"{w}: field 'size' must be two integers from 1 to {MAX_INPUT_SIDE} [width, height], "
            f"got {[int(v) if math.isfinite(v) and v == int(v) else v for v in size]}"
        )
    colour = _choice(_get(t, "colour", str, w, "rgb"), COLOURS, w, "colour")
    nch = 1 if colour == "gray" else 3
    mean = _floats(_get(t, "mean", (list, int, float), w, [0.0] * nch), None, w, "mean")
    std = _floats(_get(t, "std", (list, int, float), w, [1.0] * nch), None, w, "std")
    for key, vals in (("mean", mean), ("std", std)):
        if len(vals) not in (1, nch):
            raise CardError(f"{w}: field '{key}' needs 1 or {nch} values for colour {colour!r}")
    _all_in_range(mean, w, "mean", -1e4, 1e4)
    _all_in_range(std, w, "std", 0.0, 1e4, lo_open=True)
    card.input = InputSpec(
        name=_get(t, "name", str, w, ""),
        size=(int(size[0]), int(size[1])),
        layout=_choice(_get(t, "layout", str, w, "NCHW"), LAYOUTS, w, "layout"),
        colour=colour,
        pixel_scale=_in_range(
            _get(t, "pixel_scale", float, w, 1.0 / 255.0), w, "pixel_scale", 0.0, 1e3, lo_open=True
        ),
        mean=mean,
        std=std,
        dtype=_choice(_get(t, "dtype", str, w, "float32"), ("float32", "float16"), w, "dtype"),
    )

    t = _table(d, "crop", where)
    w = f"{where} [crop]"
    card.crop = CropSpec(
        rule=_choice(_get(t, "rule", str, w, "hrnet_center_scale"), CROP_RULES, w, "rule"),
        scale_factor=_in_range(
            _get(t, "scale_factor", float, w, 1.25), w, "scale_factor", 0.0, 100.0, lo_open=True
        ),
        pad=_all_in_range(  # type: ignore[arg-type]
            _floats(_get(t, "pad", list, w, [0.0] * 4), 4, w, "pad"), w, "pad", -0.5, 10.0
        ),
        detector_pad=_all_in_range(  # type: ignore[arg-type]
            _floats(_get(t, "detector_pad", list, w, [0.0] * 4), 4, w, "detector_pad"),
            w,
            "detector_pad",
            -0.5,
            10.0,
        ),
        enlarge=_in_range(
            _get(t, "enlarge", float, w, 1.0), w, "enlarge", 0.0, 100.0, lo_open=True
        ),
        box_source=_choice(_get(t, "box_source", str, w, "auto"), BOX_SOURCES, w, "box_source"),
        clip=_get(t, "clip", bool, w, False),
    )

    if card.crop.clip and card.crop.rule not in CLIP_RULES:
        raise CardError(
            f"{w}: field 'clip' applies to rules {list(CLIP_RULES)} only; rule "
            f"{card.crop.rule!r} has no box to clip"
        )

    t = _table(d, "outputs", where)
    for name, meaning in t.items():
        if not isinstance(meaning, str):
            raise CardError(f"{where} [outputs]: '{name}' must name a meaning (a string)")
        _choice(meaning, OUTPUT_MEANINGS, f"{where} [outputs]", name)
    card.outputs = dict(t)

    t = _table(d, "decoder", where)
    w = f"{where} [decoder]"
    card.decoder = DecoderSpec(
        subpixel=_choice(_get(t, "subpixel", str, w, "quarter"), SUBPIXEL, w, "subpixel"),
        heatmap_stride=_in_range(
            _get(t, "heatmap_stride", float, w, 0.0), w, "heatmap_stride", 0.0, 1024.0
        ),
        net_stride=int(_in_range(_get(t, "net_stride", int, w, 32), w, "net_stride", 1, 1024)),
        num_nb=int(_in_range(_get(t, "num_nb", int, w, 10), w, "num_nb", 1, 1000)),
        meanface=_get(t, "meanface", str, w, ""),
        offset_size=int(_in_range(_get(t, "offset_size", int, w, 8), w, "offset_size", 1, 1024)),
        coords=_choice(
            _get(t, "coords", str, w, "normalised"), ("normalised", "pixels"), w, "coords"
        ),
    )
    for need in get_family(family).missing(card):
        raise CardError(
            f"{where} [{need.table}]: family {family!r} needs field '{need.name}' ({need.help})"
        )

    t = _table(d, "provenance", where)
    w = f"{where} [provenance]"
    pubs = []
    for i, p in enumerate(t.get("published", [])):
        wp = f"{w} published[{i}]"
        if not isinstance(p, dict):
            raise CardError(f"{wp}: must be a table")
        pubs.append(
            Published(
                dataset=_get(p, "dataset", str, wp, _REQUIRED),
                metric=_get(p, "metric", str, wp, _REQUIRED),
                value=_in_range(
                    _get(p, "value", float, wp, _REQUIRED), wp, "value", -math.inf, math.inf
                ),
                note=_get(p, "note", str, wp, ""),
            )
        )
    card.provenance = Provenance(
        source=_get(t, "source", str, w, ""),
        paper=_get(t, "paper", str, w, ""),
        license=_get(t, "license", str, w, ""),
        notes=_get(t, "notes", str, w, ""),
        published=pubs,
    )
    if "quantization" in d:
        t = _table(d, "quantization", where)
        w = f"{where} [quantization]"
        card.quantization = Quantization(
            method=_get(t, "method", str, w, _REQUIRED),
            float_model=_get(t, "float_model", str, w, ""),
            calibration=_get(t, "calibration", str, w, ""),
            calibration_faces=_get(t, "calibration_faces", int, w, 0),
            heldout_faces=_get(t, "heldout_faces", int, w, 0),
            nme_float=_get(t, "nme_float", float, w, _REQUIRED),
            nme_int8=_get(t, "nme_int8", float, w, _REQUIRED),
            speedup=_get(t, "speedup", float, w, _REQUIRED),
        )
    return card


def load_card(path: str | Path) -> ModelCard:
    """Read and validate a card; errors name the file and the field."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the same parser as the 'tomli' package
        import tomli as tomllib  # type: ignore[no-redef]

    path = Path(path)
    try:
        data = read_model_file(path, "model card", MAX_CARD_BYTES)
    except InferenceError as exc:
        raise CardError(str(exc)) from None
    try:
        d = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise CardError(f"{path}: model card is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise CardError(f"{path}: not valid TOML: {exc}") from None
    return card_from_dict(d, where=str(path), path=path)


def card_to_toml(card: ModelCard) -> str:
    """The card as TOML text (round-trips through `load_card`)."""
    return dumps_toml(card.to_dict())


def save_card(card: ModelCard, path: str | Path, *, comment: str = "") -> Path:
    """Write ``card`` atomically to ``path`` and set ``card.path``.

    ``card.onnx`` / ``decoder.meanface`` are written as given: keep them relative to
    ``path``'s folder (or absolute). ``comment`` lines go on top as TOML comments.
    """
    path = Path(path)
    text = card_to_toml(card)
    if comment:
        text = "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines()) + text
    atomic_write_text(path, text)
    card.path = path
    return path
