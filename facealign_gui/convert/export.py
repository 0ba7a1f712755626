"""Export a network to ONNX (dynamic batch, opset 17) and check it against eager PyTorch."""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facealign_gui.convert import ConvertError
from facealign_gui.fileio import atomic_write_bytes as write_atomic  # noqa: F401

OPSET = 17


@dataclass
class ConvertResult:
    """What a converter produced: the card to save beside the ONNX file, the largest
    |ONNX - PyTorch| difference measured on a random batch of two, and files to copy next to
    the card (destination name -> source path), e.g. PIPNet's mean face."""

    card: Any
    max_abs_diff: float
    extra_files: dict[str, Path] = field(default_factory=dict)


def onnx_bytes(
    model: Any,
    input_shape: Sequence[int],
    input_name: str,
    output_names: Sequence[str],
) -> bytes:
    """Serialised ONNX model of ``model`` in eval mode; axis 0 of every tensor is dynamic."""
    import torch

    model.eval()
    dummy = torch.zeros(*input_shape)
    axes = {name: {0: "batch"} for name in (input_name, *output_names)}
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # the TorchScript exporter is deprecated in favour of the dynamo one, which needs
        # onnxscript; it is still the one that gives plain, custom-op-free graphs here
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        with torch.no_grad():
            torch.onnx.export(
                model,
                (dummy,),
                buf,
                dynamo=False,
                opset_version=OPSET,
                input_names=[input_name],
                output_names=list(output_names),
                dynamic_axes=axes,
                do_constant_folding=True,
            )
    return buf.getvalue()


def torch_outputs(model: Any, x: np.ndarray) -> list[np.ndarray]:
    """Eager outputs of ``model`` for ``x`` as numpy arrays (a tuple output becomes a list)."""
    import torch

    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(x))
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o.numpy() for o in outs]


def onnx_outputs(data: bytes | str | Path, x: np.ndarray) -> list[np.ndarray]:
    """Outputs of an ONNX model for ``x`` through onnxruntime on the CPU."""
    import onnxruntime as ort

    src = str(data) if isinstance(data, (str, Path)) else data
    sess = ort.InferenceSession(src, providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})


def max_abs_diff(model: Any, data: bytes | str | Path, x: np.ndarray) -> float:
    """Largest absolute difference between the eager network and its ONNX export on ``x``."""
    ref = torch_outputs(model, x)
    got = onnx_outputs(data, x)
    if len(ref) != len(got):
        raise ConvertError(f"ONNX export has {len(got)} outputs, the network {len(ref)}")
    return max(float(np.max(np.abs(a - b))) for a, b in zip(ref, got, strict=True))
