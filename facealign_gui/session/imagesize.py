"""Image width and height for COCO export: the size `datasets.images` decodes, read from
the header where the format allows (COCO needs every image's size; decoding 10,000 images
for it would take minutes)."""

from __future__ import annotations

from facealign_gui.datasets.images import image_size

__all__ = ["image_size"]
