"""One owner of what is shown: only the active mode's port reaches the view."""

from __future__ import annotations

import numpy as np
import pytest

from facealign_gui.app.image_view import ImageView
from facealign_gui.app.presenter import Presenter


class Source:
    def __init__(self) -> None:
        self.reshows = 0

    def reshow(self) -> None:
        self.reshows += 1


@pytest.fixture
def view(qtbot) -> ImageView:
    v = ImageView()
    qtbot.addWidget(v)
    return v


def test_the_inactive_ports_writes_never_reach_the_view(view: ImageView) -> None:
    p = Presenter(view)
    inspect, label = p.port("inspect"), p.port("label")
    inspect.set_annotation(np.array([[1.0, 2.0]]))
    label.set_annotation(np.array([[9.0, 9.0]]))  # labelling is not active: dropped
    assert view.annotation_points().tolist() == [[1.0, 2.0]]
    p.set_mode("label")
    inspect.set_annotation(np.array([[5.0, 5.0]]))  # a late result of the inspector
    assert view.annotation_points().tolist() == [[1.0, 2.0]]
    label.set_annotation(np.array([[7.0, 8.0]]))
    assert view.annotation_points().tolist() == [[7.0, 8.0]]


def test_switching_mode_clears_the_selection_sets_editing_and_redraws_the_source(
    view: ImageView,
) -> None:
    p = Presenter(view)
    src = Source()
    p.register("label", src)
    view.set_annotation(np.zeros((4, 2)))
    view.set_selection([1, 2])
    modes: list[str] = []
    p.modeChanged.connect(modes.append)
    p.set_mode("label")
    assert view.selected_points().tolist() == [] and view.is_editable()
    assert src.reshows == 1 and modes == ["label"]
    p.set_mode("inspect")
    assert not view.is_editable() and modes == ["label", "inspect"]
    with pytest.raises(ValueError, match="unknown mode"):
        p.set_mode("paint")
