"""Converter tests run PyTorch on one thread: on a busy 2-core machine, two spinning
intra-op threads made tracing and small convolutions about three times slower."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread() -> None:
    try:
        import torch
    except ModuleNotFoundError:
        return
    torch.set_num_threads(1)
