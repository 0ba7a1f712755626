"""Rebuild published face-alignment networks in our own PyTorch code and export them to ONNX.

This package is the only place that imports PyTorch, and only when a converter runs (the
``convert-model`` command imports it lazily). Each family module defines the network with the
authors' parameter names, a ``build_*`` function for random-weight networks and a ``convert``
function that loads a checkpoint safely, exports ONNX with a dynamic batch and writes a card.
"""

from __future__ import annotations

# family name on the command line -> (module, one-line description)
FAMILIES: dict[str, tuple[str, str]] = {
    "kaggle-hourglass": (
        "facealign_gui.convert.kaggle_hourglass",
        "single hourglass, 15 Kaggle points, 96x96 grey (raymon-tian)",
    ),
    "hrnet": ("facealign_gui.convert.hrnet", "HRNetV2-W18 face model (HRNet authors)"),
    "pipnet": ("facealign_gui.convert.pipnet", "PIPNet, ResNet/MobileNet backbones (jhb86253817)"),
    "hih": ("facealign_gui.convert.hih", "Heatmap-in-Heatmap hourglass (starhiking)"),
}


# dataset name on the command line -> landmark scheme (facealign_gui.core.schemes) and count
DATASET_SCHEMES: dict[str, str] = {
    "wflw": "wflw98",
    "300w": "300w68",
    "cofw": "cofw29",
    "aflw": "aflw19",
}
DATASET_POINTS: dict[str, int] = {"wflw": 98, "300w": 68, "cofw": 29, "aflw": 19}


class ConvertError(Exception):
    """A checkpoint cannot be converted; the message names the file and what was wrong."""
