"""Exports read back (through `open_dataset`) to the same points, and never lose edits."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest
from _session_helpers import face_points, make_session

from facealign_gui.core.geometry import center_scale_from_points, centers_scales_from_points
from facealign_gui.datasets.io import open_dataset
from facealign_gui.session import export as ex
from facealign_gui.session.store import Session


def _labelled(tmp_path: Path, k: int = 68, scheme: str = "300w68") -> Session:
    s = make_session(tmp_path, n=4, k=k, scheme=scheme)
    s.move_points(0, [1, 2], [[10.125, 20.5], [30.0, 40.75]])
    s.accept(0)
    s.accept(1)
    s.set_visibility(2, [3], False)  # edited, not verified
    return s


def _by_stem(names: list[str], points: np.ndarray) -> dict[str, np.ndarray]:
    return {Path(n).stem: p for n, p in zip(names, points, strict=True)}


def test_hrnet_csv_round_trips_with_the_landmark_box_center_and_scale(tmp_path: Path) -> None:
    s = _labelled(tmp_path)
    out = tmp_path / "out.csv"
    r = ex.export_session(s, out, "hrnet_csv", verified_only=True)
    assert r.count == 2
    ds = open_dataset(out, check_images=False)
    lab = s.labels(verified_only=True)
    np.testing.assert_array_equal(ds.points, lab.points)
    header = out.read_text().splitlines()[0].split(",")
    assert header[:6] == ["image_name", "scale", "center_w", "center_h", "original_0_x",
                          "original_0_y"]  # fmt: skip
    for j in range(2):
        c, sc = center_scale_from_points(lab.points[j])
        np.testing.assert_array_equal(ds.centers[j], c)
        assert ds.scales[j] == sc


def test_all_images_export_includes_unverified_edits(tmp_path: Path) -> None:
    s = _labelled(tmp_path)
    r = ex.export_session(s, tmp_path / "all.csv", "hrnet_csv", verified_only=False)
    assert r.count == 3  # image 3 was never touched: it has no annotation


def test_wflw_list_round_trips(tmp_path: Path) -> None:
    s = _labelled(tmp_path, k=98, scheme="wflw98")
    out = tmp_path / "out.txt"
    ex.export_session(s, out, "wflw_list", verified_only=False)
    ds = open_dataset(out, check_images=False)
    lab = s.labels()
    got, want = _by_stem(ds.images, ds.points), _by_stem(lab.images, lab.points)
    assert got.keys() == want.keys()
    for name in want:
        np.testing.assert_array_equal(got[name], want[name])


def test_pts_folder_round_trips_to_six_decimals(tmp_path: Path) -> None:
    s = _labelled(tmp_path)
    out = tmp_path / "pts"
    ex.export_session(s, out, "pts", verified_only=False)
    ds = open_dataset(out, check_images=False)
    lab = s.labels()
    got, want = _by_stem(ds.images, ds.points), _by_stem(lab.images, lab.points)
    assert got.keys() == want.keys()
    for name in want:  # .pts files hold six decimals, as 300W's
        np.testing.assert_allclose(got[name], want[name], rtol=0, atol=5e-7)


def test_coco_keypoints_round_trip_with_visibility_and_scheme_metadata(tmp_path: Path) -> None:
    s = _labelled(tmp_path)
    out = tmp_path / "out.json"
    ex.export_session(s, out, "coco", verified_only=False)
    back = open_dataset(out, check_images=False)  # COCO is a dataset format (datasets/coco.py)
    lab = s.labels()
    assert back.format == "coco" and back.images == lab.images
    np.testing.assert_array_equal(back.points, lab.points)
    np.testing.assert_array_equal(back.visible & ~back.occluded, lab.visible)
    doc = json.loads(out.read_text())
    ann = doc["annotations"][2]  # image 2: point 3 occluded -> v = 1
    assert ann["keypoints"][3 * 3 + 2] == 1 and ann["keypoints"][2] == 2
    assert ann["num_keypoints"] == 68
    p = lab.points[2]
    lo, hi = p.min(axis=0), p.max(axis=0)
    assert ann["bbox"] == pytest.approx([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]])
    cat = doc["categories"][0]
    assert len(cat["keypoints"]) == 68 and cat["keypoints"][36] == "right_eye_0"
    assert [37, 38] in cat["skeleton"]  # 1-based, as COCO's skeleton


def test_an_existing_file_is_kept_unless_overwrite(tmp_path: Path) -> None:
    s = _labelled(tmp_path)
    out = tmp_path / "out.csv"
    out.write_text("precious\n")
    with pytest.raises(ex.ExportError, match="already exists"):
        ex.export_session(s, out, "hrnet_csv")
    assert out.read_text() == "precious\n"
    ex.export_session(s, out, "hrnet_csv", overwrite=True)
    assert out.read_text().startswith("image_name,")


def test_the_input_annotation_file_is_never_overwritten_by_default(tmp_path: Path) -> None:
    from facealign_gui.datasets.io import write_dataset
    from facealign_gui.datasets.model import Dataset

    src = tmp_path / "input.csv"
    pts = np.stack([face_points(seed=i) for i in range(2)])
    write_dataset(Dataset("hrnet_csv", "300w68", tmp_path, ["a.png", "b.png"], pts), src)
    before = src.read_bytes()
    s = Session.create(tmp_path / "g.fagsession", open_dataset(src, check_images=False))
    s.accept(0)
    with pytest.raises(ex.ExportError, match="created from"):
        ex.export_session(s, src, "hrnet_csv")
    assert src.read_bytes() == before


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_a_failing_target_gives_a_clear_error_and_keeps_the_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    s = _labelled(tmp_path)
    journal_before = s.journal_length()

    def failing_replace(a: object, b: object) -> None:
        raise OSError(code, os.strerror(code), str(b))

    monkeypatch.setattr(os, "replace", failing_replace)
    for fmt, name in [("hrnet_csv", "o.csv"), ("coco", "o.json")]:
        with pytest.raises(ex.ExportError, match=os.strerror(code)) as info:
            ex.export_session(s, tmp_path / name, fmt, verified_only=False)
        assert "edits are untouched" in str(info.value)
        assert not (tmp_path / name).exists()
    monkeypatch.undo()
    assert s.journal_length() == journal_before
    np.testing.assert_array_equal(s.annotation(0).points[1], [10.125, 20.5])
    assert not list(tmp_path.glob(".o.*"))  # no temporary file left behind


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused_before_writing(tmp_path: Path) -> None:
    s = _labelled(tmp_path)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(ex.ExportError, match="read-only"):
            ex.export_session(s, ro / "o.csv", "hrnet_csv")
    finally:
        ro.chmod(0o755)


def test_exporting_nothing_says_so(tmp_path: Path) -> None:
    s = make_session(tmp_path)
    with pytest.raises(ex.ExportError, match="no verified images"):
        ex.export_session(s, tmp_path / "o.csv", "hrnet_csv")


def test_vectorised_center_scale_equals_the_core_rule_row_by_row() -> None:
    rng = np.random.default_rng(3)
    pts = rng.uniform(-50, 500, (200, 68, 2))
    pts[:50] = np.round(pts[:50])  # integer coordinates: floor/ceil edge cases
    centers, scales = centers_scales_from_points(pts)
    for j in range(len(pts)):
        c, s = center_scale_from_points(pts[j])
        np.testing.assert_array_equal(centers[j], c)
        assert scales[j] == s


def test_coco_image_sizes_come_from_the_image_files(tmp_path: Path) -> None:
    import cv2

    from facealign_gui.core.annotation import Prediction

    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((30, 40, 3), np.uint8))
    s = Session.create(tmp_path / "c.fagsession", [tmp_path / "a.png"], scheme="300w68")
    s.set_prediction(0, Prediction(face_points(), np.full(68, 0.5, np.float32), model_id="m"))
    s.accept(0)
    ex.export_session(s, tmp_path / "c.json", "coco")
    im = json.loads((tmp_path / "c.json").read_text())["images"][0]
    assert (im["width"], im["height"]) == (40, 30)
