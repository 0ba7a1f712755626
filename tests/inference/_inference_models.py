"""Tiny ONNX models with known outputs, and cards for them (test helpers).

`constant_model` builds a graph whose outputs are fixed tensors broadcast over the batch
(``0 * mean(input) + constant``), so the decoded landmarks are known exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from facealign_gui.inference.card import (
    CropSpec,
    DecoderSpec,
    InputSpec,
    ModelCard,
    save_card,
)


def constant_model(
    path: Path,
    outputs: dict[str, np.ndarray],
    input_shape: tuple = ("N", 3, 64, 64),
    input_name: str = "input",
) -> Path:
    """An ONNX model: input -> each output = constant[None] broadcast to the batch size.

    ``outputs`` values have no batch axis. A symbolic first input dim makes the batch dynamic.
    """
    nodes = [
        helper.make_node(
            "ReduceMean", [input_name], ["m"], axes=list(range(1, len(input_shape))), keepdims=0
        ),
        helper.make_node("Mul", ["m", "zero"], ["z"]),
    ]
    inits = [numpy_helper.from_array(np.zeros((1,), np.float32), "zero")]
    graph_outputs = []
    for i, (name, value) in enumerate(outputs.items()):
        value = np.asarray(value, dtype=np.float32)
        shape_n = [-1] + [1] * value.ndim
        inits.append(numpy_helper.from_array(np.asarray(shape_n, np.int64), f"shape{i}"))
        inits.append(numpy_helper.from_array(value[None], f"const{i}"))
        nodes.append(helper.make_node("Reshape", ["z", f"shape{i}"], [f"zr{i}"]))
        nodes.append(helper.make_node("Add", [f"zr{i}", f"const{i}"], [name]))
        graph_outputs.append(
            helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", *value.shape])
        )
    graph = helper.make_graph(
        nodes,
        "constant",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, list(input_shape))],
        graph_outputs,
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def card_for(
    card_path: Path,
    onnx_path: Path,
    family: str,
    num_points: int,
    *,
    size: tuple[int, int] = (64, 64),
    colour: str = "rgb",
    crop: CropSpec | None = None,
    decoder: DecoderSpec | None = None,
    outputs: dict[str, str] | None = None,
    scheme: str | None = None,
) -> ModelCard:
    """Write and return a card for ``onnx_path`` (no mean/std: pixels / 255)."""
    nch = 1 if colour == "gray" else 3
    card = ModelCard(
        id=onnx_path.stem,
        family=family,
        num_points=num_points,
        onnx=onnx_path.name,
        scheme=scheme,
        input=InputSpec(size=size, colour=colour, mean=(0.0,) * nch, std=(1.0,) * nch),
        crop=crop or CropSpec(rule="box", enlarge=1.0),
        decoder=decoder or DecoderSpec(),
        outputs=outputs or {},
    )
    save_card(card, card_path)
    return card


def gaussian_maps(points: np.ndarray, size: tuple[int, int], sigma: float = 1.0) -> np.ndarray:
    """(K, H, W) Gaussians peaked at integer ``points`` (x, y)."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack(
        [np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2)) for x, y in points]
    ).astype(np.float32)
