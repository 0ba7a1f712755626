"""iBUG .pts: 1-based on disk, 0-based in memory; folders pair images with sibling .pts."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from facealign_gui.datasets.io import open_dataset, write_dataset
from facealign_gui.datasets.model import DatasetError
from facealign_gui.datasets.pts import format_pts, parse_pts


def test_pts_values_are_one_based_and_become_zero_based(tmp_path: Path) -> None:
    f = tmp_path / "a.pts"
    f.write_text("version: 1\nn_points: 2\n{\n1 1\n10.5 20.25\n}\n")
    assert parse_pts(f).tolist() == [[0.0, 0.0], [9.5, 19.25]]
    assert format_pts(parse_pts(f)).splitlines()[3:5] == [
        "1.000000 1.000000",
        "10.500000 20.250000",
    ]


def test_takeo_points_land_on_the_face(takeo: tuple[Path, Path]) -> None:
    image_path, pts_path = takeo
    ds = open_dataset(pts_path)
    assert ds.format == "pts" and ds.scheme == "300w68" and len(ds) == 1
    assert ds.problems == []
    img = cv2.imread(str(image_path), cv2.IMREAD_GRAYSCALE)
    pts = ds.points[0]
    h, w = img.shape
    assert (pts >= 0).all() and (pts[:, 0] < w).all() and (pts[:, 1] < h).all()
    # the face (inside the jaw line and brows) is lighter than the dark background corners
    outline = np.concatenate([pts[0:17], pts[26:16:-1]]).round().astype(np.int32)
    mask = np.zeros_like(img)
    cv2.fillPoly(mask, [outline], 1)
    corners = np.concatenate([img[:20, :20].ravel(), img[:20, -20:].ravel()])
    assert img[mask == 1].mean() > corners.mean() + 40
    # the eyes sit above the nose tip, which sits above the mouth, all inside the jaw's span
    eyes_y, nose_y, mouth_y = pts[36:48, 1].mean(), pts[30, 1], pts[48:68, 1].mean()
    assert eyes_y < nose_y < mouth_y
    assert pts[0:17, 0].min() < pts[30, 0] < pts[0:17, 0].max()


def test_a_folder_pairs_each_image_with_its_sibling_pts(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for i, suffix in enumerate([".jpg", ".png", ".ppm", ".bmp", ".jpeg"]):
        sub = tmp_path / ("sub" if i % 2 else "")
        sub.mkdir(exist_ok=True)
        cv2.imwrite(str(sub / f"img{i}{suffix}"), np.zeros((8, 8, 3), np.uint8))
        (sub / f"img{i}.pts").write_text(format_pts(rng.uniform(0, 7, (68, 2))))
    cv2.imwrite(str(tmp_path / "unlabelled.jpg"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "orphan.pts").write_text(format_pts(np.ones((68, 2))))
    (tmp_path / "broken.pts").write_text("version: 1\nn_points: 68\n{\n1 2 3\n}\n")
    ds = open_dataset(tmp_path, format="pts")  # named: unlabelled.jpg makes it an image folder
    assert ds.format == "pts"
    assert sorted(ds.images) == sorted(
        ["img0.jpg", "sub/img1.png", "img2.ppm", "sub/img3.bmp", "img4.jpeg", "orphan.jpg"]
    )
    msgs = [str(p) for p in ds.problems]
    assert f"{tmp_path / 'broken.pts'}:4: expected 'x y', found 3 values" in msgs
    assert f"{tmp_path / 'orphan.pts'}: no image with the same name beside it" in msgs
    assert ds.skipped == 1


def test_written_pts_files_reproduce_the_text_they_were_read_from(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    pts = np.round(np.random.default_rng(1).uniform(0, 100, (68, 2)), 6)
    (src / "a.pts").write_text(format_pts(pts))
    cv2.imwrite(str(src / "a.png"), np.zeros((4, 4, 3), np.uint8))
    ds = open_dataset(src)
    write_dataset(ds, tmp_path / "out")
    assert (tmp_path / "out" / "a.pts").read_text() == (src / "a.pts").read_text()
    assert np.array_equal(parse_pts(tmp_path / "out" / "a.pts"), parse_pts(src / "a.pts"))
    assert np.allclose(parse_pts(src / "a.pts"), pts, rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "version: 1\nn_points: 3\n{\n1 2\n}\n",
            ":5: n_points says 3 \\(line 2\\), the block holds only 1 points",
        ),
        ("version: 1\nn_points: 1\n{\n1 x\n}\n", ":4: not a number"),
        ("version: 1\nn_points: 1\n{\n1 2\n", ":4: missing closing '}'"),
        ("hello\n", "no '{' line"),
    ],
)
def test_bad_pts_files_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "bad.pts"
    f.write_text(text)
    with pytest.raises(DatasetError, match=message):
        parse_pts(f)


def _pts_text(n_declared: int, rows: int) -> str:
    body = "\n".join(f"{i + 1}.5 {i + 2}.25" for i in range(rows))
    return f"version: 1\nn_points: {n_declared}\n{{\n{body}\n}}\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_pts_text(68, 60), ":64: n_points says 68 (line 2), the block holds only 60 points"),
        (_pts_text(5, 7), ":11: n_points says 5 (line 2), the block holds 7 points"),
        (_pts_text(68, 60).replace("\n}\n", "\n"), ":63: missing closing '}' (file ends after 60"),
        (_pts_text(3, 3).replace("3.5 4.25", "3.5"), ":6: expected 'x y', found 1 values"),
        (_pts_text(3, 3).replace("3.5", "3.5\x00"), ":6: NUL byte"),
        (_pts_text(3, 3).replace("\n", "\r").replace("3.5 4.25", "3.5 4.25 1"), ":6: expected"),
        (_pts_text(0, 0), ":5: no points between"),
        ("\ufeff" + _pts_text(3, 3).replace("2.5", "inf"), ":5: coordinates must be finite"),
    ],
    ids=["fewer", "more", "truncated", "short row", "NUL", "CR-only", "empty", "BOM and inf"],
)
def test_a_bad_pts_names_its_line(tmp_path: Path, data: str, message: str) -> None:
    f = tmp_path / "bad.pts"
    f.write_bytes(data.encode())
    with pytest.raises(DatasetError) as e:
        parse_pts(f)
    assert message in str(e.value) and str(e.value).startswith(f"{f}:")


def test_a_short_pts_in_a_folder_costs_only_its_face(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    for name in ("a", "b", "c"):
        cv2.imwrite(str(tmp_path / f"{name}.png"), np.zeros((8, 8, 3), np.uint8))
        (tmp_path / f"{name}.pts").write_text(format_pts(rng.uniform(0, 7, (68, 2))))
    (tmp_path / "b.pts").write_text(_pts_text(68, 60))
    ds = open_dataset(tmp_path)
    assert ds.images == ["a.png", "c.png"] and ds.skipped == 1
    assert [str(p) for p in ds.problems] == [
        f"{tmp_path / 'b.pts'}:64: n_points says 68 (line 2), the block holds only 60 points"
    ]


def _faces(n: int, value: float) -> object:
    from facealign_gui.datasets.model import Dataset

    return Dataset(
        format="x",
        scheme="300w68",
        root=Path("."),
        images=[f"set/{i:03d}.jpg" for i in range(n)],
        points=np.full((n, 68, 2), value),
    )


def _contents(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*.pts")}


def test_overwriting_a_pts_export_removes_the_files_of_faces_no_longer_exported(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    write_dataset(_faces(5, 1.0), out)
    (out / "set" / "stray.pts").write_text(format_pts(np.ones((68, 2))))
    (out / "set" / ".004.pts.abc.tmp").write_text("half")  # an older writer's leftover
    write_dataset(_faces(3, 2.0), out, overwrite=True)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "set",
        "set/000.pts",
        "set/001.pts",
        "set/002.pts",
    ]
    assert np.array_equal(parse_pts(out / "set" / "002.pts"), np.full((68, 2), 2.0))
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left


def test_a_pts_export_never_replaces_a_folder_holding_other_files(tmp_path: Path) -> None:
    out = tmp_path / "faces"
    out.mkdir()
    cv2.imwrite(str(out / "a.jpg"), np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(DatasetError, match=r"faces: holds 1 files that are not \.pts \(e\.g\."):
        write_dataset(_faces(2, 1.0), out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == ["a.jpg"]


def test_leftovers_of_a_killed_export_are_removed_by_the_next_write(tmp_path: Path) -> None:
    out = tmp_path / "out"
    for name in (".out.folder-k1l2", ".out.folder-old-x9"):
        (tmp_path / name / "set").mkdir(parents=True)
        (tmp_path / name / "set" / "000.pts").write_text("half")
    (tmp_path / ".other.folder-zz").mkdir()  # another target's: not ours to touch
    write_dataset(_faces(2, 1.0), out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.folder-zz", "out"]


def _holds(path: Path, text: str) -> bool:
    try:
        return path.read_text() == text
    except OSError:  # not there (yet, or any more)
        return False


_KILLED_EXPORT = """
import sys
import numpy as np
from pathlib import Path
from facealign_gui.datasets.io import write_dataset
from facealign_gui.datasets.model import Dataset
n = int(sys.argv[2])
ds = Dataset(format="x", scheme="300w68", root=Path("."),
             images=[f"set/{i:03d}.jpg" for i in range(n)], points=np.full((n, 68, 2), 2.0))
print("go", flush=True)
while True:  # export again and again until killed
    write_dataset(ds, sys.argv[1], overwrite=True)
"""


@pytest.mark.parametrize("when", [150, 299])
def test_a_pts_export_killed_midway_leaves_the_old_folder_or_the_new_one(
    tmp_path: Path, when: int
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    import facealign_gui

    out = tmp_path / "out"
    write_dataset(_faces(320, 1.0), out)  # the old export: 320 faces, value 1
    old = _contents(out)
    new_text = format_pts(np.full((68, 2), 2.0))
    env = dict(os.environ, PYTHONPATH=str(Path(facealign_gui.__file__).parents[1]))
    marker = f"set/{when:03d}.pts"
    with subprocess.Popen(
        [sys.executable, "-c", _KILLED_EXPORT, str(out), "300"], env=env, stdout=subprocess.PIPE
    ) as proc:
        assert proc.stdout is not None and proc.stdout.readline() == b"go\n"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # kill as soon as file `when` has new points
            if any(
                _holds(p, new_text)
                for p in [out / marker, *tmp_path.glob(f".out.folder-*/{marker}")]
            ):
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    got = _contents(out)
    new = {f"set/{i:03d}.pts": new_text for i in range(300)}
    assert got in (old, new), f"{len(got)} files, a mix of old and new"
    write_dataset(_faces(2, 3.0), out, overwrite=True)  # and the next write cleans up
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert len(_contents(out)) == 2
