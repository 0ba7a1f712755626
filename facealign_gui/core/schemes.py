"""Landmark schemes as data: point names, groups, drawing edges, mirror pairs, normalisers.

Conventions
-----------
- Indices are 0-based everywhere. HRNet's ``lib/utils/transforms.py`` ``MATCHED_PARTS`` lists
  the 300W, AFLW and COFW mirror pairs 1-based and the WFLW pairs 0-based; they are converted
  here and checked against PIPNet's mean faces in ``tests/core/test_schemes.py``.
- "left"/"right" are the *subject's* sides (as in Kaggle's column names): the subject's right
  eye appears on the image's left. 300W point 36 is therefore ``right_eye`` outer corner.
- ``normaliser_indices`` are the two ground-truth points whose distance divides the mean point
  error in the published evaluation code (HRNet ``lib/core/evaluation.py`` ``compute_nme`` and
  PIPNet ``lib/test.py``): 300W (36, 45), WFLW (60, 72), COFW (8, 9), all outer eye corners.
  AFLW-19 divides by the per-sample ``box_size`` instead (``normaliser_kind == "box"``).
- Kaggle-15 has no published benchmark protocol; we normalise by the distance between the two
  eye centres (0, 1), i.e. an inter-pupil distance. This is our choice, not a published one.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

__all__ = ["SCHEMES", "Scheme", "get_scheme", "scheme_for_num_points"]


@dataclass(frozen=True)
class Scheme:
    """One landmark layout.

    Attributes
    ----------
    name : key in `SCHEMES`.
    num_points : K.
    point_names : K names, subject's left/right.
    groups : part name -> point indices (contour, brows, nose, eyes, mouth, ...).
    edges : pairs of indices to draw as line segments.
    flip_pairs : (i, j) pairs that swap under a horizontal mirror; self-symmetric points
        (nose tip, chin, ...) are absent.
    normaliser_indices : the published inter-ocular pair, or None.
    normaliser_kind : ``"inter_ocular"`` or ``"box"`` (AFLW-19: per-sample box size).
    pupils : two index groups whose means are the (right, left) pupils, or None.
    """

    name: str
    num_points: int
    point_names: tuple[str, ...]
    groups: dict[str, tuple[int, ...]] = field(hash=False)
    edges: tuple[tuple[int, int], ...]
    flip_pairs: tuple[tuple[int, int], ...]
    normaliser_indices: tuple[int, int] | None
    normaliser_kind: str = "inter_ocular"
    pupils: tuple[tuple[int, ...], tuple[int, ...]] | None = None

    def flip_permutation(self) -> tuple[int, ...]:
        """Index map ``perm`` such that ``mirrored_points[perm]`` restores the part order."""
        perm = list(range(self.num_points))
        for i, j in self.flip_pairs:
            perm[i], perm[j] = j, i
        return tuple(perm)


def _chain(idx: range | tuple[int, ...], closed: bool = False) -> list[tuple[int, int]]:
    ids = list(idx)
    out = list(itertools.pairwise(ids))
    if closed and len(ids) > 2:
        out.append((ids[-1], ids[0]))
    return out


def _names(groups: list[tuple[str, int]]) -> tuple[str, ...]:
    out: list[str] = []
    for prefix, n in groups:
        out.extend([prefix] if n == 1 else [f"{prefix}_{i}" for i in range(n)])
    return tuple(out)


def _one_based(pairs: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    return tuple((a - 1, b - 1) for a, b in pairs)


# ---------------------------------------------------------------- 300W / iBUG 68
_W300_GROUPS: dict[str, tuple[int, ...]] = {
    "contour": tuple(range(0, 17)),
    "right_brow": tuple(range(17, 22)),
    "left_brow": tuple(range(22, 27)),
    "nose": tuple(range(27, 36)),
    "right_eye": tuple(range(36, 42)),
    "left_eye": tuple(range(42, 48)),
    "mouth": tuple(range(48, 68)),
}
_W300 = Scheme(
    name="300w68",
    num_points=68,
    point_names=_names(
        [
            ("contour", 17),
            ("right_brow", 5),
            ("left_brow", 5),
            ("nose_bridge", 4),
            ("nose_lower", 5),
            ("right_eye", 6),
            ("left_eye", 6),
            ("mouth_outer", 12),
            ("mouth_inner", 8),
        ]
    ),
    groups=_W300_GROUPS,
    edges=tuple(
        _chain(range(0, 17))
        + _chain(range(17, 22))
        + _chain(range(22, 27))
        + _chain(range(27, 31))
        + _chain((30, 31, 32, 33, 34, 35, 30))
        + _chain(range(36, 42), closed=True)
        + _chain(range(42, 48), closed=True)
        + _chain(range(48, 60), closed=True)
        + _chain(range(60, 68), closed=True)
    ),
    # HRNet MATCHED_PARTS["300W"], 1-based.
    flip_pairs=_one_based(
        [
            *[(1, 17), (2, 16), (3, 15), (4, 14), (5, 13), (6, 12), (7, 11), (8, 10)],
            *[(18, 27), (19, 26), (20, 25), (21, 24), (22, 23)],
            *[(32, 36), (33, 35)],
            *[(37, 46), (38, 45), (39, 44), (40, 43), (41, 48), (42, 47)],
            *[(49, 55), (50, 54), (51, 53), (62, 64), (61, 65), (68, 66), (59, 57), (60, 56)],
        ]
    ),
    normaliser_indices=(36, 45),
    pupils=(tuple(range(36, 42)), tuple(range(42, 48))),
)

# ---------------------------------------------------------------- WFLW 98
_WFLW_GROUPS: dict[str, tuple[int, ...]] = {
    "contour": tuple(range(0, 33)),
    "right_brow": tuple(range(33, 42)),
    "left_brow": tuple(range(42, 51)),
    "nose": tuple(range(51, 60)),
    "right_eye": tuple(range(60, 68)),
    "left_eye": tuple(range(68, 76)),
    "mouth": tuple(range(76, 96)),
    "pupils": (96, 97),
}
_WFLW = Scheme(
    name="wflw98",
    num_points=98,
    point_names=_names(
        [
            ("contour", 33),
            ("right_brow", 9),
            ("left_brow", 9),
            ("nose_bridge", 4),
            ("nose_lower", 5),
            ("right_eye", 8),
            ("left_eye", 8),
            ("mouth_outer", 12),
            ("mouth_inner", 8),
            ("right_pupil", 1),
            ("left_pupil", 1),
        ]
    ),
    groups=_WFLW_GROUPS,
    edges=tuple(
        _chain(range(0, 33))
        + _chain(range(33, 42), closed=True)
        + _chain(range(42, 51), closed=True)
        + _chain(range(51, 55))
        + _chain((54, 55, 56, 57, 58, 59, 54))
        + _chain(range(60, 68), closed=True)
        + _chain(range(68, 76), closed=True)
        + _chain(range(76, 88), closed=True)
        + _chain(range(88, 96), closed=True)
    ),
    # HRNet MATCHED_PARTS["WFLW"], already 0-based.
    flip_pairs=tuple(
        [(i, 32 - i) for i in range(16)]
        + [(33, 46), (34, 45), (35, 44), (36, 43), (37, 42), (38, 50), (39, 49), (40, 48)]
        + [(41, 47)]
        + [(60, 72), (61, 71), (62, 70), (63, 69), (64, 68), (65, 75), (66, 74), (67, 73)]
        + [(55, 59), (56, 58)]
        + [(76, 82), (77, 81), (78, 80), (87, 83), (86, 84), (88, 92), (89, 91), (95, 93)]
        + [(96, 97)]
    ),
    normaliser_indices=(60, 72),
    pupils=((96,), (97,)),
)

# ---------------------------------------------------------------- COFW 29
_COFW = Scheme(
    name="cofw29",
    num_points=29,
    point_names=(
        "right_brow_outer",
        "left_brow_outer",
        "right_brow_inner",
        "left_brow_inner",
        "right_brow_top",
        "right_brow_bottom",
        "left_brow_top",
        "left_brow_bottom",
        "right_eye_outer",
        "left_eye_outer",
        "right_eye_inner",
        "left_eye_inner",
        "right_eye_top",
        "right_eye_bottom",
        "left_eye_top",
        "left_eye_bottom",
        "right_pupil",
        "left_pupil",
        "right_nostril",
        "left_nostril",
        "nose_tip",
        "nose_bottom",
        "mouth_right_corner",
        "mouth_left_corner",
        "upper_lip_top",
        "upper_lip_bottom",
        "lower_lip_top",
        "lower_lip_bottom",
        "chin",
    ),
    groups={
        "contour": (28,),
        "right_brow": (0, 2, 4, 5),
        "left_brow": (1, 3, 6, 7),
        "nose": (18, 19, 20, 21),
        "right_eye": (8, 10, 12, 13, 16),
        "left_eye": (9, 11, 14, 15, 17),
        "mouth": (22, 23, 24, 25, 26, 27),
    },
    edges=tuple(
        _chain((0, 4, 2, 5), closed=True)
        + _chain((1, 6, 3, 7), closed=True)
        + _chain((8, 12, 10, 13), closed=True)
        + _chain((9, 14, 11, 15), closed=True)
        + _chain((18, 20, 19, 21), closed=True)
        + _chain((22, 24, 23, 27), closed=True)
        + _chain((22, 25, 23, 26), closed=True)
    ),
    # HRNet MATCHED_PARTS["COFW"], 1-based.
    flip_pairs=_one_based(
        [
            *[(1, 2), (5, 7), (3, 4), (6, 8), (9, 10), (11, 12), (13, 15), (17, 18)],
            *[(14, 16), (19, 20), (23, 24)],
        ]
    ),
    normaliser_indices=(8, 9),
    pupils=((16,), (17,)),
)

# ---------------------------------------------------------------- AFLW 19
_AFLW = Scheme(
    name="aflw19",
    num_points=19,
    point_names=(
        "right_brow_outer",
        "right_brow_center",
        "right_brow_inner",
        "left_brow_inner",
        "left_brow_center",
        "left_brow_outer",
        "right_eye_outer",
        "right_eye_center",
        "right_eye_inner",
        "left_eye_inner",
        "left_eye_center",
        "left_eye_outer",
        "nose_right",
        "nose_tip",
        "nose_left",
        "mouth_right_corner",
        "mouth_center",
        "mouth_left_corner",
        "chin",
    ),
    groups={
        "contour": (18,),
        "right_brow": (0, 1, 2),
        "left_brow": (3, 4, 5),
        "right_eye": (6, 7, 8),
        "left_eye": (9, 10, 11),
        "nose": (12, 13, 14),
        "mouth": (15, 16, 17),
    },
    edges=tuple(
        _chain((0, 1, 2))
        + _chain((3, 4, 5))
        + _chain((6, 7, 8))
        + _chain((9, 10, 11))
        + _chain((12, 13, 14))
        + _chain((15, 16, 17))
    ),
    # HRNet MATCHED_PARTS["AFLW"], 1-based.
    flip_pairs=_one_based([(1, 6), (2, 5), (3, 4), (7, 12), (8, 11), (9, 10), (13, 15), (16, 18)]),
    normaliser_indices=None,
    normaliser_kind="box",
    pupils=((7,), (10,)),
)

# ---------------------------------------------------------------- Kaggle facial keypoints 15
_KAGGLE = Scheme(
    name="kaggle15",
    num_points=15,
    point_names=(
        "left_eye_center",
        "right_eye_center",
        "left_eye_inner_corner",
        "left_eye_outer_corner",
        "right_eye_inner_corner",
        "right_eye_outer_corner",
        "left_eyebrow_inner_end",
        "left_eyebrow_outer_end",
        "right_eyebrow_inner_end",
        "right_eyebrow_outer_end",
        "nose_tip",
        "mouth_left_corner",
        "mouth_right_corner",
        "mouth_center_top_lip",
        "mouth_center_bottom_lip",
    ),
    groups={
        "left_eye": (0, 2, 3),
        "right_eye": (1, 4, 5),
        "left_brow": (6, 7),
        "right_brow": (8, 9),
        "nose": (10,),
        "mouth": (11, 12, 13, 14),
    },
    edges=tuple(
        _chain((3, 0, 2))
        + _chain((5, 1, 4))
        + _chain((6, 7))
        + _chain((8, 9))
        + _chain((11, 13, 12, 14), closed=True)
    ),
    flip_pairs=((0, 1), (2, 4), (3, 5), (6, 8), (7, 9), (11, 12)),
    # Our choice (no published protocol): distance between the eye centres.
    normaliser_indices=(0, 1),
    pupils=((1,), (0,)),
)

SCHEMES: dict[str, Scheme] = {s.name: s for s in (_WFLW, _W300, _COFW, _AFLW, _KAGGLE)}


def get_scheme(name: str) -> Scheme:
    """The scheme called ``name``; KeyError naming the known schemes otherwise."""
    try:
        return SCHEMES[name]
    except KeyError:
        known = ", ".join(sorted(SCHEMES))
        raise KeyError(f"unknown landmark scheme {name!r}; known schemes: {known}") from None


def scheme_for_num_points(k: int) -> Scheme | None:
    """The only scheme with ``k`` points, or None."""
    found = [s for s in SCHEMES.values() if s.num_points == int(k)]
    return found[0] if len(found) == 1 else None
