"""MediaPipe Face Mesh: its own predictor (`facealign_gui.inference.mediapipe`).

Its detector ROI, rotation and mesh outputs do not fit the card predictor's roles, and a
bare graph is not recognised as MediaPipe: its cards ship with the models.
"""

from __future__ import annotations

from facealign_gui.inference.families.base import Family

FAMILY = Family(name="mediapipe", predictor="mediapipe")
