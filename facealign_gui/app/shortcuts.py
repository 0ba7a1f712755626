"""Keyboard shortcuts of the main window, in one list the help sheet can read.

Each entry is ``(key sequence, what it does)``. The key sequences are the ones the window
binds (``QKeySequence`` text), so the sheet and the bindings cannot drift apart.
"""

from __future__ import annotations

SHORTCUTS: list[tuple[str, str]] = [
    ("Ctrl+O", "Open a dataset (annotation file or folder)"),
    ("Ctrl+Shift+O", "Open a folder of images"),
    ("Ctrl+M", "Open a model (card .toml or .onnx)"),
    ("Ctrl+R", "Run the model over the whole dataset"),
    ("Esc", "Cancel the running job"),
    ("J / PgDown", "Next image (in the table's current order)"),
    ("K / PgUp", "Previous image"),
    ("Home / End", "First / last image"),
    ("F", "Fit the image to the view"),
    ("+ / -", "Zoom in / out (also Ctrl+wheel or the wheel alone)"),
    ("Right-drag", "Zoom: drag right or up to zoom in, left or down to zoom out"),
    ("Left-drag", "Pan (on empty space); move a point (on a point, while labelling)"),
    ("H", "Show / hide the heatmap overlay"),
    ("1", "Show / hide ground truth"),
    ("2", "Show / hide prediction"),
    ("3", "Show / hide error vectors"),
    ("4", "Show / hide scheme edges"),
    ("5", "Show / hide point numbers"),
    ("L", "Show / hide the legend"),
    ("[ / ]", "Previous / next landmark"),
    ("Shift+drag", "Select several points with a rubber band"),
    ("Arrow keys", "Nudge selected points by 1 px (Shift: 10 px) while editing"),
    ("Ctrl+F", "Focus the dataset filter"),
    ("Ctrl+Q", "Quit"),
]
