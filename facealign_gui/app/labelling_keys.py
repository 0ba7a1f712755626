"""Keyboard shortcuts of the labelling dock, in one list the help sheet reads.

The key sequences here are the ones `facealign_gui.app.labelling_dock` binds, so the sheet
and the bindings cannot drift apart. Free-text rows (drag) have no binding.
"""

from __future__ import annotations

ACCEPT_NEXT = "Space"
SKIP = "Shift+Space"
BACK = "Backspace"
RESET = "R"
COPY_SELECTED = "C"
COPY_ALL = "Shift+C"
TOGGLE_VISIBILITY = "V"
UNDO = "Ctrl+Z"
REDO = ("Ctrl+Shift+Z", "Ctrl+Y")
PREDICT_ALL = "Ctrl+P"
EXPORT = "Ctrl+E"
NEXT_FACE = "N"  # not Tab: the image view (which has the focus) takes Tab itself
PREVIOUS_FACE = "Shift+N"

LABELLING_SHORTCUTS: list[tuple[str, str]] = [
    (ACCEPT_NEXT, "Accept this image (its prediction if you made no edit) and go to the next"),
    (SKIP, "Next image in the review queue without accepting"),
    (BACK, "Previous image in the review queue"),
    (NEXT_FACE, "Next face of this image (images with several faces; the others are dimmed)"),
    (PREVIOUS_FACE, "Previous face of this image"),
    ("Drag", "Move a point (or the selected points); one drag is one undo step"),
    ("Arrow keys", "Nudge the selected points 1 px (Shift: 10 px); a burst is one undo step"),
    (COPY_SELECTED, "Copy the prediction to the selected points"),
    (COPY_ALL, "Copy the whole prediction over the annotation"),
    (RESET, "Reset the image to its prediction (drop the edits)"),
    (TOGGLE_VISIBILITY, "Mark the selected points occluded / visible"),
    (UNDO, "Undo"),
    (" / ".join(REDO), "Redo"),
    (PREDICT_ALL, "Predict all images not yet predicted (in the background)"),
    (EXPORT, "Export the labels (HRNet CSV, WFLW list, .pts, COCO)"),
]
