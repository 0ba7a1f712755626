"""The info / convert / score commands, called through the CLI with --json."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from facealign_gui.cli import main
from facealign_gui.datasets.hrnet_csv import read_hrnet_csv, write_hrnet_csv


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, dict]:
    code = main(argv)
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert len(lines) == 1, out  # exactly one JSON object on stdout
    return code, json.loads(lines[0])


@pytest.fixture
def w300(shared_dir: Path) -> Path:
    d = shared_dir / "data" / "300w"
    if not d.is_dir():
        pytest.skip("300W CSVs are not present")
    return d


@pytest.fixture
def wflw(shared_dir: Path) -> Path:
    d = shared_dir / "data" / "wflw"
    if not d.is_dir():
        pytest.skip("WFLW lists are not present")
    return d


def _small_csv(tmp_path: Path, bad: bool = False) -> Path:
    k = 68
    pts = np.random.default_rng(0).uniform(10, 90, (k, 2))
    head = ",".join(["image_name", "scale", "center_w", "center_h"]
                    + [f"original_{i}_{c}" for i in range(k) for c in "xy"])  # fmt: skip
    row = "a.jpg,1.0,50.0,50.0," + ",".join(map(repr, pts.ravel().tolist()))
    rows = [head, row] + (["b.jpg,1.0,2.0"] if bad else [])
    f = tmp_path / "small.csv"
    f.write_text("\n".join(rows) + "\n")
    return f


def test_info_describes_the_300w_full_split(capsys, w300: Path) -> None:
    code, info = run_json(capsys, ["info", str(w300 / "face_landmarks_300w_valid.csv"), "--json"])
    assert code == 0
    assert info["format"] == "hrnet_csv" and info["scheme"] == "300w68"
    assert info["count"] == 689 and info["skipped"] == 0
    assert info["subsets"] == {"all": 689, "full": 689, "common": 554, "challenge": 135}


def test_info_lists_problems_and_strict_mode_exits_1(capsys, tmp_path: Path) -> None:
    f = _small_csv(tmp_path, bad=True)
    code, info = run_json(capsys, ["info", str(f), "--json"])
    assert code == 0 and info["count"] == 1 and info["skipped"] == 1
    assert f"{f}:3: expected 140 columns (68 points), found 3" in info["problems"]
    code, _ = run_json(capsys, ["info", str(f), "--json", "--strict"])
    assert code == 1


def test_info_on_an_unreadable_file_exits_2_with_a_json_error(capsys, tmp_path: Path) -> None:
    f = tmp_path / "junk.csv"
    f.write_bytes(b"\x00\xff" * 50)
    code, out = run_json(capsys, ["info", str(f), "--json"])
    assert code == 2 and str(f) in out["error"]
    assert any("binary data" in p for p in out["problems"])


def test_info_prints_a_readable_summary(capsys, tmp_path: Path) -> None:
    assert main(["info", str(_small_csv(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "hrnet_csv" in out and "300w68" in out


def test_convert_wflw_list_to_hrnet_csv_uses_the_landmark_box_rule(
    capsys, wflw: Path, tmp_path: Path
) -> None:
    src = wflw / "list_98pt_test_makeup.txt"
    out = tmp_path / "makeup.csv"
    code, res = run_json(capsys, ["convert", str(src), str(out), "--json"])
    assert code == 0 and res["format"] == "hrnet_csv" and res["count"] == 206
    csv = read_hrnet_csv(out)
    from facealign_gui.datasets.wflw_list import read_wflw_list

    lst = read_wflw_list(src)
    assert np.array_equal(csv.points, lst.points) and csv.images == lst.images
    p = lst.points[5]
    lo, hi = np.floor(p.min(axis=0)), np.ceil(p.max(axis=0))
    assert csv.centers[5].tolist() == ((lo + hi) / 2).tolist()
    assert csv.scales[5] == (hi - lo).max() / 200


def test_convert_refuses_to_overwrite_its_input(capsys, tmp_path: Path) -> None:
    f = _small_csv(tmp_path)
    before = f.read_bytes()
    assert main(["convert", str(f), str(f), "--to", "hrnet_csv"]) == 2
    assert "refusing to overwrite the input" in capsys.readouterr().err
    assert f.read_bytes() == before


def test_convert_300w_csv_to_pts_folder_and_back(capsys, w300: Path, tmp_path: Path) -> None:
    src = w300 / "face_landmarks_300w_valid_challenge.csv"
    assert main(["convert", str(src), str(tmp_path / "pts")]) == 0
    assert len(list((tmp_path / "pts").rglob("*.pts"))) == 135
    assert main(["convert", str(tmp_path / "pts"), str(tmp_path / "back.csv")]) == 0
    a, b = read_hrnet_csv(src), read_hrnet_csv(tmp_path / "back.csv")
    order = [b.images.index(n.rsplit(".", 1)[0] + ".jpg") for n in a.images]
    assert np.allclose(a.points, b.points[order], rtol=0, atol=1e-6)
    capsys.readouterr()


def _shifted(src: Path, out: Path, dx: np.ndarray, order: np.ndarray | None = None) -> Path:
    ds = read_hrnet_csv(src)
    ds.points = ds.points + dx[:, None, None] * np.array([1.0, 0.0])
    if order is not None:
        ds.images = [ds.images[i] for i in order]
        ds.points, ds.centers, ds.scales = ds.points[order], ds.centers[order], ds.scales[order]
    write_hrnet_csv(ds, out)
    return out


def test_score_gives_the_hand_computed_nme_for_shifted_predictions(
    capsys, w300: Path, tmp_path: Path
) -> None:
    gt_path = w300 / "face_landmarks_300w_valid.csv"
    gt = read_hrnet_csv(gt_path)
    n = len(gt)
    dx = np.linspace(0.5, 12.0, n)
    pred = _shifted(gt_path, tmp_path / "pred.csv", dx)
    # 300W's normaliser: distance between the outer eye corners, points 37 and 46 (1-based)
    iod = np.linalg.norm(gt.points[:, 36] - gt.points[:, 45], axis=1)
    expect = dx / iod
    code, r = run_json(capsys, ["score", "--gt", str(gt_path), "--pred", str(pred), "--json"])
    assert code == 0
    assert r["count"] == n and r["threshold"] == 0.1 and r["normaliser"] == "default"
    assert r["nme"] == pytest.approx(expect.mean(), rel=1e-12)
    assert r["fr"] == pytest.approx((expect > 0.1).mean())
    assert 0 <= r["auc"] <= 1
    assert set(r["subsets"]) == {"full", "common", "challenge"}
    common = gt.subsets["common"]
    assert r["subsets"]["common"]["count"] == 554
    assert r["subsets"]["common"]["nme"] == pytest.approx(expect[common].mean(), rel=1e-12)
    assert [e["image"] for e in r["per_image"]] == gt.images
    assert np.allclose([e["nme"] for e in r["per_image"]], expect, rtol=1e-12)


def test_score_matches_shuffled_predictions_by_image_name(
    capsys, w300: Path, tmp_path: Path
) -> None:
    gt_path = w300 / "face_landmarks_300w_valid_challenge.csv"
    gt = read_hrnet_csv(gt_path)
    dx = np.arange(1.0, len(gt) + 1)
    order = np.random.default_rng(0).permutation(len(gt))[:-2]  # shuffled, two left out
    pred = _shifted(gt_path, tmp_path / "pred.csv", dx, order)
    _, r = run_json(capsys, ["score", "--gt", str(gt_path), "--pred", str(pred), "--json"])
    iod = np.linalg.norm(gt.points[:, 36] - gt.points[:, 45], axis=1)
    kept = np.sort(order)
    assert r["count"] == len(gt) - 2
    assert r["nme"] == pytest.approx((dx / iod)[kept].mean(), rel=1e-12)
    assert sorted(r["unmatched"]["gt"]) == sorted(
        gt.images[i] for i in set(range(len(gt))) - set(order)
    )


def test_score_rejects_68_point_predictions_for_98_point_truth(
    capsys, wflw: Path, tmp_path: Path
) -> None:
    gt = wflw / "list_98pt_test_makeup.txt"
    pred = _small_csv(tmp_path)
    code, r = run_json(capsys, ["score", "--gt", str(gt), "--pred", str(pred), "--json"])
    assert code == 2
    assert "scheme mismatch" in r["error"] and str(gt) in r["error"] and str(pred) in r["error"]


def test_score_reports_wflw_subsets_from_the_list_folder(
    capsys, wflw: Path, tmp_path: Path
) -> None:
    gt = wflw / "list_98pt_test_largepose.txt"
    out = tmp_path / "pred.csv"
    assert main(["convert", str(gt), str(out)]) == 0
    capsys.readouterr()
    _, r = run_json(capsys, ["score", "--gt", str(gt), "--pred", str(out),
                             "--subsets", str(wflw), "--json"])  # fmt: skip
    # WFLW images with several faces are paired by position, not by their order in the list
    assert r["nme"] == 0.0 and r["matched_by"] == "image path, faces by position"
    assert r["missing_count"] == 0 and r["missing"] == []
    assert r["subsets"]["largepose"]["count"] == 326
    assert set(r["subsets"]) == {"blur", "expression", "illumination", "largepose", "makeup",
                                 "occlusion"}  # fmt: skip
    assert all(0 < s["count"] <= 326 for s in r["subsets"].values())


def test_score_prints_a_table_without_json(capsys, w300: Path, tmp_path: Path) -> None:
    gt = w300 / "face_landmarks_300w_valid_challenge.csv"
    pred = _shifted(gt, tmp_path / "p.csv", np.full(135, 2.0))
    assert main(["score", "--gt", str(gt), "--pred", str(pred)]) == 0
    out = capsys.readouterr().out
    assert "NME %" in out and "challenge" in out and "135" in out
