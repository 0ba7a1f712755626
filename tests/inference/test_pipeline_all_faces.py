"""run_predictions(all_faces=True): every detected face of an image is predicted."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from facealign_gui.inference.mediapipe import load_default_predictor
from facealign_gui.inference.pipeline import SampleFailure, run_predictions


def test_every_face_of_a_two_face_image_is_yielded_best_first(takeo, tmp_path: Path) -> None:
    image = cv2.imread(str(takeo[0]), cv2.IMREAD_COLOR)
    two = np.hstack([image, cv2.flip(image, 1)])
    pair, single = tmp_path / "pair.png", tmp_path / "single.png"
    cv2.imwrite(str(pair), two)
    cv2.imwrite(str(single), image)
    seen: list[tuple[int, int]] = []
    pred = load_default_predictor(refine=0, mirror=False)
    results = list(
        run_predictions(
            pred, [pair, single], all_faces=True, progress=lambda d, t: seen.append((d, t))
        )
    )
    assert [i for i, _ in results] == [0, 0, 1]
    assert not any(isinstance(r, SampleFailure) for _, r in results)
    xs = sorted(float(r.points[:, 0].mean()) for i, r in results if i == 0)
    assert xs[0] < image.shape[1] < xs[1]  # one face on each half
    assert seen == [(1, 2), (2, 2)]  # progress counts images, not faces
    one = list(run_predictions(pred, [pair]))
    assert len(one) == 1  # the default stays one face per sample
