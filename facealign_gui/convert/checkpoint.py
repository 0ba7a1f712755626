"""Read a PyTorch checkpoint without running code from it, and load it strictly by name.

`read_state_dict` only ever calls ``torch.load(..., weights_only=True)``: PyTorch's restricted
unpickler, which rebuilds tensors, storages and plain containers (dict, OrderedDict, list,
numbers, strings) and refuses every other global. It reads both the zip format (torch >= 1.6)
and the legacy pickle-stream format (the Kaggle hourglass checkpoint is one). A checkpoint that
pickled a whole model object, an optimizer class or a numpy array cannot be read this way; it is
refused with the names it asked for, because unpickling those would run arbitrary code.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from facealign_gui.convert import ConvertError

# dict keys under which training scripts commonly nest the weights, tried in this order
WRAPPER_KEYS = ("state_dict", "model_state_dict", "model", "net", "network")
# buffers that torch < 0.4 did not save; their absence changes nothing in eval mode
OPTIONAL_BUFFERS = ("num_batches_tracked",)


def read_state_dict(path: str | Path) -> dict[str, Any]:
    """Tensors of a checkpoint by name, unwrapped and with any ``module.`` prefix removed.

    Raises
    ------
    ConvertError
        If the file is missing, is not a PyTorch checkpoint, needs arbitrary unpickling, or
        holds no tensors.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise ConvertError(f"{path}: no such checkpoint file")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ConvertError(_refusal(path, str(exc))) from None
    except (RuntimeError, EOFError, ValueError, OSError, AttributeError) as exc:
        raise ConvertError(f"{path}: not a readable PyTorch checkpoint ({exc})") from None
    return unwrap_state_dict(obj, path)


def _refusal(path: Path, message: str) -> str:
    wanted = sorted(set(re.findall(r"GLOBAL ([\w.]+)", message)))
    named = f" It asks for {', '.join(wanted)}." if wanted else ""
    return (
        f"{path}: refused: this checkpoint can only be read by arbitrary unpickling, which "
        f"would run code stored in the file.{named} Only tensors and plain containers are "
        "accepted. Re-save it where you trust it as weights only, e.g. "
        "torch.save(model.state_dict(), 'weights.pth')."
    )


def unwrap_state_dict(obj: Any, path: str | Path = "<checkpoint>") -> dict[str, Any]:
    """Find the name -> tensor mapping in a loaded checkpoint object.

    Accepts a bare state dict or one nested under a common wrapper key (``state_dict``,
    ``model``, ...), and strips the ``module.`` prefix that ``DataParallel`` adds.
    """
    import torch

    for _ in range(3):  # wrappers nest at most a couple of levels in practice
        if not isinstance(obj, Mapping):
            break
        if any(isinstance(v, torch.Tensor) for v in obj.values()):
            break
        inner = next((obj[k] for k in WRAPPER_KEYS if isinstance(obj.get(k), Mapping)), None)
        if inner is None:
            break
        obj = inner
    if not isinstance(obj, Mapping):
        raise ConvertError(f"{path}: expected a dict of tensors, found {type(obj).__name__}")
    tensors = {str(k): v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        keys = ", ".join(map(str, list(obj)[:8]))
        raise ConvertError(f"{path}: holds no tensors (top-level keys: {keys})")
    if all(k.startswith("module.") for k in tensors):
        tensors = {k[len("module.") :]: v for k, v in tensors.items()}
    return tensors


@dataclass
class KeyReport:
    """How a checkpoint's names and shapes compare with a network's."""

    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def describe(self, limit: int = 12) -> str:
        """Readable summary, at most ``limit`` names per kind."""
        lines = []
        for title, names in (("missing", self.missing), ("unexpected", self.unexpected)):
            if names:
                shown = ", ".join(names[:limit]) + (" ..." if len(names) > limit else "")
                lines.append(f"{len(names)} {title} key(s): {shown}")
        if self.mismatched:
            shown = "; ".join(
                f"{k}: checkpoint {list(a)} vs network {list(b)}"
                for k, a, b in self.mismatched[:limit]
            )
            lines.append(f"{len(self.mismatched)} shape mismatch(es): {shown}")
        return "\n".join(lines)


def compare_keys(expected: Mapping[str, Any], found: Mapping[str, Any]) -> KeyReport:
    """Compare the network's state dict (``expected``) with a checkpoint's (``found``)."""
    report = KeyReport()
    for k in expected:
        if k not in found and k.rsplit(".", 1)[-1] not in OPTIONAL_BUFFERS:
            report.missing.append(k)
    for k in found:
        if k not in expected:
            report.unexpected.append(k)
        elif tuple(expected[k].shape) != tuple(found[k].shape):
            report.mismatched.append((k, tuple(found[k].shape), tuple(expected[k].shape)))
    return report


def non_finite_tensors(state: Mapping[str, Any]) -> list[str]:
    """Names of the floating-point tensors in ``state`` with a NaN or infinite value."""
    import torch

    return [
        k
        for k, v in state.items()
        if isinstance(v, torch.Tensor)
        and v.is_floating_point()
        and not bool(torch.isfinite(v).all())
    ]


def load_strict(model: Any, state: Mapping[str, Any], path: str | Path) -> None:
    """Load ``state`` into ``model`` by name; every name and shape must match.

    Raises
    ------
    ConvertError
        Naming the file and listing missing, unexpected and mis-shaped keys, or the tensors
        holding NaN / infinite values.
    """
    report = compare_keys(model.state_dict(), state)
    if not report.ok:
        raise ConvertError(
            f"{path}: does not match the {type(model).__name__} network:\n{report.describe()}"
        )
    bad = non_finite_tensors(state)
    if bad:
        shown = ", ".join(bad[:8]) + (f" and {len(bad) - 8} more" if len(bad) > 8 else "")
        raise ConvertError(
            f"{path}: refused: {len(bad)} tensor(s) hold NaN or infinite values ({shown}); "
            "the network would predict nothing usable"
        )
    model.load_state_dict(dict(state), strict=False)
