"""Hostile model cards: files that are not regular or too large are refused before reading."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from _inference_models import card_for, constant_model

from facealign_gui.inference.card import CropSpec, DecoderSpec, load_card
from facealign_gui.inference.loader import load_predictor
from facealign_gui.inference.model_files import MAX_MEANFACE_BYTES, MAX_ONNX_BYTES
from facealign_gui.inference.runtime import clear_sessions
from facealign_gui.inference.types import InferenceError


@pytest.fixture(autouse=True)
def _fresh_sessions() -> None:
    clear_sessions()


def _raises_within(seconds: float, call: Callable[[], object]) -> BaseException | None:
    """What ``call`` raised, or fail when it is still running after ``seconds`` (a hang)."""
    result: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            result.append(None)
        except BaseException as exc:
            result.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"still reading after {seconds} s: the file was not refused"
    return result[0]


def _hostile(kind: str, path: Path) -> Path:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "socket":
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(path))
        s.close()
    elif kind == "dev_zero":
        path.symlink_to("/dev/zero")
    return path


KINDS = [
    ("fifo", "FIFO"),
    ("folder", "folder"),
    ("socket", "socket"),
    ("dev_zero", "character device"),
]


@pytest.mark.parametrize(("kind", "said"), KINDS)
def test_card_whose_onnx_is_not_a_regular_file_is_refused_at_once(
    tmp_path: Path, kind: str, said: str
) -> None:
    onnx = _hostile(kind, tmp_path / "m.onnx")
    card_for(tmp_path / "m.toml", onnx, "heatmap", 2)
    exc = _raises_within(10, lambda: load_predictor(tmp_path / "m.toml"))
    assert isinstance(exc, InferenceError)
    assert str(onnx) in str(exc) and said in str(exc)


@pytest.mark.parametrize(("kind", "said"), KINDS)
def test_pipnet_meanface_that_is_not_a_regular_file_is_refused_at_once(
    tmp_path: Path, kind: str, said: str
) -> None:
    k, nb = 4, 2
    maps = np.zeros((k, 2, 2), np.float32)
    nbm = np.zeros((k * nb, 2, 2), np.float32)
    constant_model(
        tmp_path / "pip.onnx",
        {"cls": maps, "x": maps, "y": maps, "nb_x": nbm, "nb_y": nbm},
        ("N", 3, 64, 64),
    )
    mf = _hostile(kind, tmp_path / "mf.txt")
    card_for(
        tmp_path / "pip.toml",
        tmp_path / "pip.onnx",
        "pipnet",
        k,
        crop=CropSpec(rule="pipnet_box"),
        decoder=DecoderSpec(net_stride=32, num_nb=nb, meanface="mf.txt"),
    )
    exc = _raises_within(10, lambda: load_predictor(tmp_path / "pip.toml"))
    assert isinstance(exc, InferenceError)
    assert str(mf) in str(exc) and "mean face" in str(exc) and said in str(exc)


@pytest.mark.parametrize(("kind", "said"), KINDS)
def test_card_file_that_is_not_a_regular_file_is_refused_at_once(
    tmp_path: Path, kind: str, said: str
) -> None:
    card = _hostile(kind, tmp_path / "m.toml")
    exc = _raises_within(10, lambda: load_card(card))
    assert isinstance(exc, InferenceError)
    assert str(card) in str(exc) and said in str(exc)


def test_oversized_onnx_and_meanface_are_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.onnx"
    with open(big, "wb") as f:  # sparse: no disk is used
        f.truncate(MAX_ONNX_BYTES + 1)
    card_for(tmp_path / "big.toml", big, "heatmap", 2)
    exc = _raises_within(10, lambda: load_predictor(tmp_path / "big.toml"))
    assert isinstance(exc, InferenceError)
    assert str(big) in str(exc) and f"{MAX_ONNX_BYTES + 1:,} bytes" in str(exc)

    from facealign_gui.inference.decoders.pipnet import load_meanface

    mf = tmp_path / "mf.txt"
    mf.write_bytes(b"0 " * (MAX_MEANFACE_BYTES // 2 + 1))
    with pytest.raises(InferenceError, match="mean face is 1,048,578 bytes"):
        load_meanface(mf)


def test_a_regular_meanface_and_model_still_load(tmp_path: Path) -> None:
    from facealign_gui.inference.decoders.pipnet import load_meanface

    mf = tmp_path / "mf.txt"
    mf.write_text("0 0 1 0 3 0 4 0\n")
    assert load_meanface(mf).tolist() == [[0, 0], [1, 0], [3, 0], [4, 0]]


def test_meanface_with_a_flood_of_points_is_refused_before_its_tables_are_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from facealign_gui.inference.decoders import pipnet as decoder
    from facealign_gui.inference.families import pipnet as family

    built: list[int] = []
    real = decoder.neighbour_tables
    monkeypatch.setattr(decoder, "neighbour_tables", lambda mf, nb: built.append(1) or real(mf, nb))
    k, nb = 4, 2
    maps = np.zeros((k, 2, 2), np.float32)
    nbm = np.zeros((k * nb, 2, 2), np.float32)
    constant_model(
        tmp_path / "pip.onnx",
        {"cls": maps, "x": maps, "y": maps, "nb_x": nbm, "nb_y": nbm},
        ("N", 3, 64, 64),
    )
    (tmp_path / "mf.txt").write_text("0.5 " * 2 * 50_000 + "\n")  # 50,000 points, K^2 work
    card_for(
        tmp_path / "pip.toml",
        tmp_path / "pip.onnx",
        "pipnet",
        k,
        crop=CropSpec(rule="pipnet_box"),
        decoder=DecoderSpec(net_stride=32, num_nb=nb, meanface="mf.txt"),
    )
    family._tables.cache_clear()
    exc = _raises_within(10, lambda: load_predictor(tmp_path / "pip.toml"))
    assert isinstance(exc, InferenceError)
    assert "mean face mf.txt has 50000 points, the card says 4" in str(exc)
    assert built == []
