"""The Kaggle hourglass rebuilt from its checkpoint finds the points of a real face."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from facealign_gui.convert import kaggle_hourglass as kh  # noqa: E402
from facealign_gui.convert.checkpoint import read_state_dict  # noqa: E402
from facealign_gui.convert.export import onnx_outputs  # noqa: E402


@pytest.fixture(scope="module")
def checkpoint(shared_dir: Path) -> Path:
    path = shared_dir / "models" / "kaggle_hourglass_15pt_epoch809.ckpt"
    if not path.is_file():
        pytest.skip("Kaggle hourglass checkpoint is not present")
    return path


@pytest.fixture(scope="module")
def converted(checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    out = tmp_path_factory.mktemp("kaggle") / "kaggle.onnx"
    result = kh.convert(checkpoint, out)
    return out, result


def _read_pts(path: Path) -> np.ndarray:
    body = path.read_text().split("{")[1].split("}")[0]
    return np.array(body.split(), dtype=float).reshape(-1, 2) - 1.0  # iBUG .pts is 1-based


def _kaggle_points_from_ibug68(p: np.ndarray) -> np.ndarray:
    """The 15 Kaggle points from 68 iBUG points (subject's left eye = iBUG 43-48)."""
    left_eye, right_eye = p[42:48].mean(0), p[36:42].mean(0)
    picks = [p[42], p[45], p[39], p[36], p[22], p[26], p[21], p[17], p[30]]
    picks += [p[54], p[48], p[51], p[57]]
    return np.vstack([left_eye, right_eye, *picks])


def test_network_has_exactly_the_checkpoints_names_and_shapes(checkpoint: Path) -> None:
    ours = kh.build_kaggle_hourglass().state_dict()
    theirs = kh.from_author_names(read_state_dict(checkpoint))
    ours = {k: tuple(v.shape) for k, v in ours.items() if "num_batches_tracked" not in k}
    assert ours == {k: tuple(v.shape) for k, v in theirs.items()}


def test_export_matches_eager_pytorch_on_random_input(converted: tuple) -> None:
    _, result = converted
    assert result.max_abs_diff <= 1e-4


def test_card_describes_a_96_pixel_grey_input_scaled_to_unit_range(converted: tuple) -> None:
    _, result = converted
    card = result.card
    assert (card.family, card.scheme, card.num_points) == ("hourglass", "kaggle15", 15)
    assert card.input.size == (96, 96) and card.input.colour == "gray"
    assert card.input.pixel_scale == pytest.approx(1 / 255)


def test_exported_model_puts_the_15_points_on_takeos_face(
    converted: tuple, takeo: tuple[Path, Path]
) -> None:
    import cv2

    out, _ = converted
    image = cv2.imread(str(takeo[0]), cv2.IMREAD_GRAYSCALE)
    truth = _kaggle_points_from_ibug68(_read_pts(takeo[1]))
    ibug = _read_pts(takeo[1])
    lo, hi = ibug.min(0), ibug.max(0)
    side = 1.2 * float(max(hi - lo))
    origin = (lo + hi) / 2 - side / 2
    k = 96 / side
    warp = np.array([[k, 0, -origin[0] * k], [0, k, -origin[1] * k]])
    crop = cv2.warpAffine(image, warp, (96, 96), flags=cv2.INTER_AREA)
    heatmaps = onnx_outputs(out, crop[None, None].astype(np.float32) / 255)[0][0]
    flat = heatmaps.reshape(15, -1).argmax(1)
    points = np.stack([flat % 96, flat // 96], 1) / k + origin
    iod = np.linalg.norm(truth[0] - truth[1])
    err = np.linalg.norm(points - truth, axis=1) / iod
    assert err.mean() < 0.12 and err.max() < 0.3
    # Kaggle's "left" eye is the subject's left: on the right of the image
    assert points[0, 0] > points[1, 0]
