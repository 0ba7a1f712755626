"""onnxruntime sessions: one per (model file, options), created once and shared.

`get_session` returns a `ModelSession`, a thin thread-safe wrapper (onnxruntime sessions
may be run from several threads) that knows the model's input/output signature, checks
tensors against it with messages that name the file, and batches when the batch dimension
is dynamic.

How a session uses the CPU is a `SessionConfig`: intra-op threads and whether idle
threads spin (busy-wait for the next parallel section). Spinning burns a core between calls
that come one at a time (the live view, the window's on-demand predictions) and steals the
cores of the reader threads and of other programs in a run; it only wins (by <= 9 %) on
back-to-back batches on an idle machine. So it is off unless asked for;
`session_config(purpose)` gives the measured choice per kind of work
(``benchmarks/bench_runtime.py``). Every ``threads=`` argument in the inference layer takes
an int (intra-op threads, spinning off) or a `SessionConfig`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from facealign_gui.inference.model_files import MAX_ONNX_BYTES, check_model_file
from facealign_gui.inference.types import InferenceError

_NP_TYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(uint8)": np.uint8,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
}


@dataclass(frozen=True)
class TensorInfo:
    """Name, shape (ints, or None for a symbolic dimension) and numpy dtype of a tensor."""

    name: str
    shape: tuple[int | None, ...]
    dtype: Any

    @property
    def rank(self) -> int:
        return len(self.shape)


@dataclass(frozen=True)
class SessionConfig:
    """How an onnxruntime session uses the CPU.

    threads : intra-op threads (None: onnxruntime's default, one per physical core).
    spinning : idle intra-op threads busy-wait for work (onnxruntime's own default). Off
        (here the default), a session costs its own work only.
    """

    threads: int | None = None
    spinning: bool = False

    def __post_init__(self) -> None:
        if self.threads is not None and int(self.threads) < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads}")


Purpose = Literal["batch", "interactive", "live"]

# Measured on 2 cores (benchmarks/bench_runtime.py, see docs/architecture.md):
# batch: runs (eval, predict, the window's dataset run): every core, no spinning (spinning
#   wins <= 9 % faces/s only on an idle machine, and costs up to 1.7x the CPU).
# interactive: one face on demand (the window's shown sample): every core, no spinning.
# live: one frame every ~33 ms: one thread, no spinning (1/8 of the CPU, same latency).
_PURPOSES: dict[str, SessionConfig] = {
    "batch": SessionConfig(None, False),
    "interactive": SessionConfig(None, False),
    "live": SessionConfig(1, False),
}


def session_config(purpose: Purpose = "batch", threads: int | None = None) -> SessionConfig:
    """The session settings for a kind of work; ``threads`` (e.g. ``--threads``) overrides."""
    try:
        base = _PURPOSES[purpose]
    except KeyError:
        raise ValueError(f"purpose must be one of {sorted(_PURPOSES)}, got {purpose!r}") from None
    return base if threads is None else SessionConfig(int(threads), base.spinning)


ThreadsArg = int | SessionConfig | None


def as_config(threads: ThreadsArg) -> SessionConfig:
    """A ``threads=`` argument (None, an int or a `SessionConfig`) as a `SessionConfig`."""
    if isinstance(threads, SessionConfig):
        return threads
    if threads is None or threads == 0:
        return SessionConfig()
    return SessionConfig(int(threads))


def _options(config: SessionConfig) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if config.threads:
        opts.intra_op_num_threads = int(config.threads)
    opts.inter_op_num_threads = 1
    if not config.spinning:
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
    opts.log_severity_level = 3
    return opts


def _info(arg: Any) -> TensorInfo:
    shape = tuple(d if isinstance(d, int) and d > 0 else None for d in (arg.shape or ()))
    return TensorInfo(arg.name, shape, _NP_TYPES.get(arg.type, np.float32))


def available_providers() -> list[str]:
    """CUDA first when this onnxruntime build has it, then CPU."""
    import onnxruntime as ort

    have = ort.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in have]


class ModelSession:
    """One onnxruntime session plus its signature. Thread-safe; share one per model."""

    def __init__(self, path: Path, threads: ThreadsArg = None) -> None:
        import onnxruntime as ort

        self.path = path
        self.config = as_config(threads)
        opts = _options(self.config)
        try:
            self.session = ort.InferenceSession(
                str(path), sess_options=opts, providers=available_providers()
            )
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InferenceError(f"{path}: not a loadable ONNX model ({first[:300]})") from None
        self.inputs = [_info(a) for a in self.session.get_inputs()]
        self.outputs = [_info(a) for a in self.session.get_outputs()]
        self.output_names = [o.name for o in self.outputs]

    @property
    def input(self) -> TensorInfo:
        return self.inputs[0]

    @property
    def dynamic_batch(self) -> bool:
        return bool(self.input.shape) and self.input.shape[0] is None

    def output(self, name: str) -> TensorInfo:
        for o in self.outputs:
            if o.name == name:
                return o
        raise InferenceError(
            f"{self.path}: no output named {name!r}; outputs are {self.output_names}"
        )

    def check_input(self, batch: np.ndarray) -> None:
        """Raise `InferenceError` when ``batch`` does not fit the model's input."""
        info = self.input
        if batch.ndim != info.rank:
            raise InferenceError(
                f"{self.path}: input {info.name!r} expects rank {info.rank} {info.shape}, "
                f"the card produces shape {tuple(batch.shape)}"
            )
        for axis, (want, got) in enumerate(zip(info.shape, batch.shape, strict=False)):
            if axis == 0:
                continue  # a fixed batch size is handled by `run` (split and pad)
            if want is not None and want != got:
                raise InferenceError(
                    f"{self.path}: input {info.name!r} has shape {info.shape}, the card "
                    f"produces {tuple(batch.shape)} (axis {axis}: {got} != {want}); check "
                    f"[input] size/layout/colour in the card"
                )

    def run(self, batch: np.ndarray, input_name: str | None = None) -> dict[str, np.ndarray]:
        """Run a batch; split into model-sized pieces when the batch dimension is fixed."""
        info = self.input
        name = input_name or info.name
        if name != info.name:
            raise InferenceError(
                f"{self.path}: the card names input {name!r}, the model's input is {info.name!r}"
            )
        self.check_input(batch)
        batch = np.ascontiguousarray(batch, dtype=info.dtype)
        fixed = info.shape[0] if info.shape else None
        if fixed is None or fixed == batch.shape[0]:
            outs = self._run({name: batch})
        else:  # fixed batch size: run model-sized pieces, zero-padding the last one
            n = batch.shape[0]
            pieces = []
            for i in range(0, n, fixed):
                part = batch[i : i + fixed]
                if part.shape[0] < fixed:
                    pad = np.zeros((fixed - part.shape[0], *part.shape[1:]), dtype=part.dtype)
                    part = np.concatenate([part, pad])
                pieces.append(self._run({name: part}))
            outs = [np.concatenate([p[j] for p in pieces])[:n] for j in range(len(self.outputs))]
        return dict(zip(self.output_names, outs, strict=False))

    def _run(self, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        try:
            return self.session.run(None, feed)
        except Exception as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InferenceError(f"{self.path}: onnxruntime failed: {msg[:300]}") from None


_CACHE: dict[tuple[str, str, SessionConfig], ModelSession] = {}
_LOCK = threading.Lock()


def get_session(path: str | Path, *, sha256: str = "", threads: ThreadsArg = None) -> ModelSession:
    """The shared session for ``path`` (created on first use).

    ``threads``: an intra-op thread count or a `SessionConfig` (see `session_config`). The
    cache key is the resolved path, the file's checksum (so a replaced file gets a new
    session) and the `SessionConfig`.
    """
    path = Path(path)
    if not path.exists():
        raise InferenceError(f"{path}: model file not found")
    check_model_file(path, "model file", MAX_ONNX_BYTES)  # onnxruntime opens it by name
    if not sha256:
        from facealign_gui.inference.card import file_sha256

        sha256 = file_sha256(path)
    config = as_config(threads)
    key = (str(path.resolve()), sha256.lower(), config)
    with _LOCK:
        sess = _CACHE.get(key)
        if sess is None:
            sess = ModelSession(path, threads=config)
            _CACHE[key] = sess
        return sess


def clear_sessions() -> None:
    """Forget every cached session (tests, or after the user removes a model)."""
    with _LOCK:
        _CACHE.clear()
