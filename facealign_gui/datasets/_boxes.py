"""The batched landmark box rule lives in `facealign_gui.core.geometry`; re-exported here."""

from facealign_gui.core.geometry import NO_POINT, centers_scales_from_points

__all__ = ["NO_POINT", "centers_scales_from_points"]
