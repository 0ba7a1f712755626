"""Ground truth and predictions are paired by image path and position, never by row order."""

from __future__ import annotations

import numpy as np

from facealign_gui.core.pairing import normalise_path, pair_faces


def _pairs(p) -> dict[int, int]:
    return dict(zip(p.gt_index.tolist(), p.pred_index.tolist(), strict=True))


def test_names_that_differ_only_in_case_are_two_images_paired_by_exact_path() -> None:
    gt = ["set/Face.jpg", "set/face.jpg"]
    pred = ["set/face.jpg", "set/Face.jpg"]  # listed in the other order
    assert _pairs(pair_faces(gt, pred)) == {0: 1, 1: 0}


def test_same_base_name_in_two_folders_pairs_by_folder_not_by_row() -> None:
    gt = ["helen/1.jpg", "lfpw/1.jpg", "afw/2.jpg"]
    pred = ["lfpw/1.jpg", "afw/2.jpg", "helen/1.jpg"]
    p = pair_faces(gt, pred)
    assert _pairs(p) == {0: 2, 1: 0, 2: 1} and not p.unmatched_gt


def test_an_ambiguous_base_name_is_unmatched_with_the_reason() -> None:
    gt = ["helen/1.jpg", "lfpw/1.jpg"]
    pred = ["1.jpg"]
    p = pair_faces(gt, pred)
    assert _pairs(p) == {}
    assert set(p.unmatched_gt) == {0, 1} and p.unmatched_pred == [0]
    assert p.unmatched_gt[0].startswith("helen/1.jpg: ")
    assert "base name is not unique" in p.unmatched_gt[0]


def test_a_base_name_unique_on_both_sides_pairs_across_folders() -> None:
    p = pair_faces(["trainset/a.jpg", "trainset/b.jpg"], ["b.jpg", "other/a.jpg"])
    assert _pairs(p) == {0: 1, 1: 0}


def test_a_base_name_unique_in_the_predictions_but_not_in_the_truth_is_not_used() -> None:
    # 'lfpw/1.jpg' and 'helen/1.jpg' both end in 1.jpg: 'x/1.jpg' could be either
    p = pair_faces(["helen/1.jpg", "lfpw/1.jpg"], ["helen/1.jpg", "x/1.jpg"])
    assert _pairs(p) == {0: 0} and list(p.unmatched_gt) == [1] and p.unmatched_pred == [1]


def test_an_absolute_path_pairs_with_its_relative_folder_suffix() -> None:
    p = pair_faces(
        ["helen/1.jpg", "lfpw/1.jpg"], ["/data/300w/lfpw/1.jpg", "/data/300w/helen/1.jpg"]
    )
    assert _pairs(p) == {0: 1, 1: 0}


def test_separators_and_dot_segments_are_normalised_but_case_is_kept() -> None:
    assert normalise_path(".\\helen\\..\\lfpw\\A.jpg") == "lfpw/A.jpg"
    assert normalise_path("./x//y.png ") == "x/y.png"


def test_unrelated_names_of_equal_count_are_never_paired_by_row_order() -> None:
    p = pair_faces(["a.jpg", "b.jpg"], ["c.jpg", "d.jpg"])
    assert len(p.gt_index) == 0 and sorted(p.unmatched_gt) == [0, 1]
    assert p.unmatched_pred == [0, 1]


def _face(x: float, y: float, size: float = 40.0) -> np.ndarray:
    return np.array([[x, y], [x + size, y], [x + size / 2, y + size]])


def test_several_faces_in_one_image_pair_by_overlap_whatever_their_order() -> None:
    gt = np.stack([_face(10, 10), _face(200, 50), _face(400, 20)])
    pred = np.stack([gt[2] + 3, gt[0] - 2, gt[1] + 1])  # shuffled and a little off
    p = pair_faces(["g.jpg"] * 3, ["g.jpg"] * 3, gt, pred)
    assert _pairs(p) == {0: 1, 1: 2, 2: 0}
    assert "by position" in p.how


def test_a_face_with_no_prediction_near_it_is_unmatched_and_a_stray_detection_unused() -> None:
    gt = np.stack([_face(10, 10), _face(200, 50)])
    pred = np.stack([_face(900, 900), gt[0] + 1])  # a false detection far away, then face 0
    p = pair_faces(["g.jpg"] * 2, ["g.jpg"] * 2, gt, pred)
    assert _pairs(p) == {0: 1}
    assert "position" in p.unmatched_gt[1] and p.unmatched_pred == [0]


def test_without_overlap_the_nearest_centre_within_the_face_size_pairs() -> None:
    gt = np.stack([_face(0, 0, 10), _face(100, 0, 10)])
    pred = np.stack([_face(112, 0, 10), _face(12, 0, 10)])  # beside, not overlapping
    assert _pairs(pair_faces(["g"] * 2, ["g"] * 2, gt, pred)) == {0: 1, 1: 0}
