"""Developer check: our ONNX exports compute what the authors' own networks compute.

For each family, build the authors' network from a checkout of their repository, give it
random weights (every parameter and batch-norm statistic), load those weights into our
rebuild *by the authors' parameter names* (strict: every name and shape must match), export
ours to ONNX and compare onnxruntime's output with the authors' eager PyTorch output on the
same random input. Nothing of the authors' code is part of this project: point the script at
checkouts you made elsewhere (e.g. under /tmp).

Usage::

    python scripts/verify_converters.py --hrnet /tmp/HRNet-Facial-Landmark-Detection \\
        --pipnet /tmp/PIPNet --hih /tmp/HeatmapInHeatmap

Their code needs small shims here (no yacs / torchvision): the script provides a config
object for HRNet and a minimal ``torchvision.models`` stand-in built from *our* torchvision-
named ResNet/MobileNet backbones for PIPNet, so that only the authors' head code runs from
their files for the PIPNet backbones (the backbone layout itself is checked by name/shape).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np
import torch

from facealign_gui.convert.checkpoint import load_strict
from facealign_gui.convert.export import onnx_bytes, onnx_outputs, torch_outputs

TOLERANCE = 1e-4


def _import_file(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: cannot import")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def randomise(model: torch.nn.Module, seed: int) -> None:
    """Random values for every float parameter and buffer (BN variances kept positive)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            elif t.ndim == 1 and name.endswith("weight"):  # BN scale
                t.copy_(1.0 + 0.1 * torch.randn(t.shape, generator=gen))
            elif t.ndim == 1:  # BN shift, running mean, conv/linear bias
                t.copy_(0.1 * torch.randn(t.shape, generator=gen))
            else:
                fan_in = max(1, t[0].numel())
                t.copy_(torch.randn(t.shape, generator=gen) * (0.5 / fan_in**0.5))


def compare(
    label: str,
    theirs: torch.nn.Module,
    ours: torch.nn.Module,
    input_shape: tuple[int, ...],
    output_names: list[str],
    seed: int = 0,
) -> float:
    """Randomise the authors' network, copy its weights into ours by name, compare."""
    theirs.eval()
    randomise(theirs, seed)
    load_strict(ours, theirs.state_dict(), f"{label} (authors' random weights)")
    return compare_loaded(label, theirs, ours, input_shape, output_names, seed)


def compare_loaded(
    label: str,
    theirs: torch.nn.Module,
    ours: torch.nn.Module,
    input_shape: tuple[int, ...],
    output_names: list[str],
    seed: int = 0,
) -> float:
    """Max |their eager output - our ONNX output| over all outputs; prints one line."""
    ours.eval()
    data = onnx_bytes(ours, input_shape, "input", output_names)
    x = np.random.default_rng(seed).standard_normal((2, *input_shape[1:])).astype(np.float32)
    ref = torch_outputs(theirs, x)
    got = onnx_outputs(data, x)
    diffs = [float(np.max(np.abs(a - b))) for a, b in zip(ref, got, strict=True)]
    scale = max(float(np.max(np.abs(a))) for a in ref)
    worst = max(diffs)
    status = "OK " if worst <= TOLERANCE else "BAD"
    print(
        f"{status} {label:<24} max|diff| {worst:.2e}  relative {worst / scale:.1e}"
        f"  (outputs up to {scale:.2e})"
    )
    return worst


# -- HRNet ---------------------------------------------------------------------------------


class _Cfg(dict):
    """A yacs-like node: item and attribute access."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


def _cfg(obj: Any) -> Any:
    if isinstance(obj, dict):
        return _Cfg({k: _cfg(v) for k, v in obj.items()})
    return obj


def verify_hrnet(repo: Path) -> list[float]:
    import yaml

    from facealign_gui.convert.hrnet import POINTS, build_hrnet_w18

    theirs_mod = _import_file(repo / "lib" / "models" / "hrnet.py", "authors_hrnet")
    results = []
    for dataset in ("wflw", "300w"):
        text = repo / "experiments" / dataset / f"face_alignment_{dataset}_hrnet_w18.yaml"
        cfg = _cfg(yaml.safe_load(text.read_text()))
        cfg.MODEL.INIT_WEIGHTS = False
        theirs = theirs_mod.HighResolutionNet(cfg)
        assert POINTS[dataset] == cfg.MODEL.NUM_JOINTS
        ours = build_hrnet_w18(POINTS[dataset])
        results.append(compare(f"hrnet {dataset}", theirs, ours, (1, 3, 256, 256), ["heatmaps"]))
    return results


# -- PIPNet --------------------------------------------------------------------------------


def _torchvision_stand_in() -> None:
    """``torchvision.models`` made of our torchvision-named trunks (torchvision is absent).

    The authors' ``Pip_resnet*`` / ``Pip_mbnetv2`` only take modules from these objects by
    name; their MobileNet-V3 comes from their own ``lib/mobilenetv3.py`` and runs as is.
    """
    from facealign_gui.convert.backbones import MobileNetV2Trunk, ResNetTrunk

    models = types.ModuleType("torchvision.models")
    for name in ("resnet18", "resnet50", "resnet101"):
        setattr(models, name, lambda pretrained=False, _n=name: ResNetTrunk(_n))
    models.mobilenet_v2 = lambda pretrained=False: MobileNetV2Trunk()  # type: ignore[attr-defined]
    tv = types.ModuleType("torchvision")
    tv.models = models  # type: ignore[attr-defined]
    sys.modules.setdefault("torchvision", tv)
    sys.modules.setdefault("torchvision.models", models)


def verify_pipnet(repo: Path) -> list[float]:
    from facealign_gui.convert.pipnet import build_pipnet

    _torchvision_stand_in()
    nets = _import_file(repo / "lib" / "networks.py", "authors_pip_networks")
    mbv3 = _import_file(repo / "lib" / "mobilenetv3.py", "authors_pip_mobilenetv3")
    models = sys.modules["torchvision.models"]
    makers = {
        "resnet18": lambda: nets.Pip_resnet18(models.resnet18(), 10, num_lms=98),
        "resnet50": lambda: nets.Pip_resnet50(models.resnet50(), 10, num_lms=98),
        "resnet101": lambda: nets.Pip_resnet101(models.resnet101(), 10, num_lms=98),
        "mobilenet_v2": lambda: nets.Pip_mbnetv2(models.mobilenet_v2(), 10, num_lms=98),
        "mobilenet_v3": lambda: nets.Pip_mbnetv3(mbv3.mobilenetv3_large(), 10, num_lms=98),
    }
    names = ["cls", "x", "y", "nb_x", "nb_y"]
    return [
        compare(f"pipnet {b}", make(), build_pipnet(b, 98), (1, 3, 256, 256), names)
        for b, make in makers.items()
    ]


# -- HIH -----------------------------------------------------------------------------------


class _LastStack(torch.nn.Module):
    """The authors' network as their ``inference()`` reads it: last stack, last offsets."""

    def __init__(self, net: torch.nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        preds, offsets = self.net(x)
        return preds[:, -1], offsets[:, -1]


def verify_hih(repo: Path) -> list[float]:
    from facealign_gui.convert.hih import build_hih

    # their module imports timm (a ViT head we do not use) and torchvision; stub both
    timm_vit = types.ModuleType("timm.models.vision_transformer")
    timm_vit.VisionTransformer = type("VisionTransformer", (), {})  # type: ignore[attr-defined]
    timm_vit.Attention = type("Attention", (), {})  # type: ignore[attr-defined]
    for name in ("timm", "timm.models"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules.setdefault("timm.models.vision_transformer", timm_vit)
    _torchvision_stand_in()
    sys.path.insert(0, str(repo))
    try:
        hg = _import_file(repo / "lib" / "model" / "get_hourglass.py", "authors_hih")
        config = _import_file(repo / "experiments" / "Data_WFLW" / "HIHC_64x8_hg_l2.py",
                              "authors_hih_config").Config()  # fmt: skip
    finally:
        sys.path.remove(str(repo))
    config.pretrained = False
    theirs = _LastStack(hg.StackedHourGlass(config))
    ours = build_hih(config.num_landmarks)
    # our names are the authors' without the wrapper's "net." prefix
    theirs.eval()
    randomise(theirs, 0)
    state = {k.removeprefix("net."): v for k, v in theirs.state_dict().items()}
    load_strict(ours, state, "hih (authors' random weights)")
    return [compare_loaded("hih wflw", theirs, ours, (1, 3, 256, 256), ["heatmaps", "offsets"])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hrnet", type=Path, help="checkout of HRNet-Facial-Landmark-Detection")
    parser.add_argument("--pipnet", type=Path, help="checkout of jhb86253817/PIPNet")
    parser.add_argument("--hih", type=Path, help="checkout of starhiking/HeatmapInHeatmap")
    args = parser.parse_args(argv)
    torch.set_grad_enabled(False)
    worst: list[float] = []
    if args.hrnet:
        worst += verify_hrnet(args.hrnet)
    if args.pipnet:
        worst += verify_pipnet(args.pipnet)
    if args.hih:
        worst += verify_hih(args.hih)
    if not worst:
        parser.error("give at least one checkout")
    return 0 if max(worst) <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
