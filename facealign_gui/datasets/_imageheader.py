"""Image width and height from the file header (PNG, JPEG, BMP, PNM, WebP), no decoding.

Each is the size OpenCV's decoder gives in stored-pixel order (checked per format in
tests/datasets/test_images.py); `images.image_size` decodes the formats not listed here.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO


def header_size(path: Path, head: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from ``head`` (the first bytes of ``path``), or None."""
    try:
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            w, h = struct.unpack(">II", head[16:24])
            return int(w), int(h)
        if head.startswith(b"BM") and len(head) >= 26:
            w, h = struct.unpack("<ii", head[18:26])
            return int(w), abs(int(h))
        if head[:2] in (b"P2", b"P3", b"P5", b"P6"):
            return _pnm_size(head[:512])
        if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
            return _webp_size(head)
        if head.startswith(b"\xff\xd8"):
            with open(path, "rb") as f:
                f.seek(2)
                return _jpeg_size(f)
    except (OSError, struct.error, ValueError, IndexError):
        return None
    return None


def _pnm_size(data: bytes) -> tuple[int, int] | None:
    tokens: list[bytes] = []
    for line in data.split(b"\n"):
        tokens += line.split(b"#", 1)[0].split()
        if len(tokens) >= 3:
            return int(tokens[1]), int(tokens[2])
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":  # lossy: key frame header
        w, h = struct.unpack("<HH", head[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and head[20] == 0x2F:  # lossless: 14-bit width-1, height-1
        (bits,) = struct.unpack("<I", head[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":  # extended: 24-bit canvas width-1, height-1
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return w, h
    return None


def _jpeg_size(f: BinaryIO) -> tuple[int, int] | None:
    read = f.read
    while True:
        b = read(1)
        while b and b != b"\xff":
            b = read(1)
        while b == b"\xff":
            b = read(1)
        if not b:
            return None
        marker = b[0]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue  # markers without a length
        (length,) = struct.unpack(">H", read(2))
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            _precision, h, w = struct.unpack(">BHH", read(5))
            return int(w), int(h)
        read(length - 2)
