"""Landmark schemes: valid indices, mirror pairs checked against PIPNet's mean faces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facealign_gui.core.schemes import SCHEMES, get_scheme, scheme_for_num_points

MEANFACES = {
    "300w68": "meanface_data_300W.txt",
    "wflw98": "meanface_WFLW.txt",
    "cofw29": "meanface_COFW.txt",
    "aflw19": "meanface_AFLW.txt",
}


def _meanface(shared_dir: Path, name: str) -> np.ndarray:
    path = shared_dir / "data" / "pipnet_meanface" / MEANFACES[name]
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    return np.loadtxt(path).reshape(-1, 2)


def test_registry_holds_the_five_schemes_with_their_point_counts() -> None:
    counts = {name: s.num_points for name, s in SCHEMES.items()}
    assert counts == {"wflw98": 98, "300w68": 68, "cofw29": 29, "aflw19": 19, "kaggle15": 15}


def test_get_scheme_names_the_known_schemes_when_the_name_is_unknown() -> None:
    assert get_scheme("wflw98").num_points == 98
    with pytest.raises(KeyError, match=r"unknown landmark scheme 'ibug'.*300w68"):
        get_scheme("ibug")


def test_scheme_for_num_points_finds_each_scheme_and_none_for_other_counts() -> None:
    for s in SCHEMES.values():
        assert scheme_for_num_points(s.num_points) is s
    assert scheme_for_num_points(5) is None


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_names_groups_edges_and_pairs_use_valid_indices(name: str) -> None:
    s = SCHEMES[name]
    k = s.num_points
    assert len(s.point_names) == k
    assert len(set(s.point_names)) == k
    grouped = sorted(i for g in s.groups.values() for i in g)
    assert grouped == list(range(k)), "every point belongs to exactly one group"
    for a, b in s.edges:
        assert 0 <= a < k and 0 <= b < k and a != b
    for a, b in s.flip_pairs:
        assert 0 <= a < k and 0 <= b < k and a != b
    if s.normaliser_indices is not None:
        assert all(0 <= i < k for i in s.normaliser_indices)
    else:
        assert s.normaliser_kind == "box"
    if s.pupils is not None:
        assert all(0 <= i < k for g in s.pupils for i in g)


@pytest.mark.parametrize("name", sorted(SCHEMES))
def test_flip_pairs_form_an_involution(name: str) -> None:
    s = SCHEMES[name]
    used = [i for pair in s.flip_pairs for i in pair]
    assert len(used) == len(set(used)), "a point appears in two mirror pairs"
    perm = np.array(s.flip_permutation())
    assert sorted(perm) == list(range(s.num_points))
    assert np.array_equal(perm[perm], np.arange(s.num_points))


@pytest.mark.parametrize("name", sorted(MEANFACES))
def test_flip_pairs_map_the_mirrored_mean_face_onto_itself(shared_dir: Path, name: str) -> None:
    s = SCHEMES[name]
    face = _meanface(shared_dir, name)
    assert face.shape == (s.num_points, 2)
    # The pairs are symmetric, so the mean x of all points lies on the symmetry axis.
    mirrored = face.copy()
    mirrored[:, 0] = 2 * face[:, 0].mean() - face[:, 0]
    perm = np.array(s.flip_permutation())
    err = np.linalg.norm(mirrored[perm] - face, axis=1)
    assert err.max() < 0.05 * np.ptp(face[:, 0])
    # Sharper: each point's mirror partner is the nearest point of the mirrored face.
    dist = np.linalg.norm(face[:, None, :] - mirrored[None, :, :], axis=2)
    assert np.array_equal(dist.argmin(axis=1), perm)


@pytest.mark.parametrize("name", sorted(MEANFACES))
def test_subject_right_eye_is_on_the_image_left_of_the_mean_face(
    shared_dir: Path, name: str
) -> None:
    s = SCHEMES[name]
    face = _meanface(shared_dir, name)
    right = face[list(s.groups["right_eye"]), 0].mean()
    left = face[list(s.groups["left_eye"]), 0].mean()
    assert right < left


@pytest.mark.parametrize("name", ["300w68", "wflw98", "cofw29"])
def test_inter_ocular_pair_is_the_outer_corners_of_the_eyes(shared_dir: Path, name: str) -> None:
    s = SCHEMES[name]
    face = _meanface(shared_dir, name)
    i, j = s.normaliser_indices
    right_eye = list(s.groups["right_eye"])
    left_eye = list(s.groups["left_eye"])
    assert i == right_eye[int(np.argmin(face[right_eye, 0]))]
    assert j == left_eye[int(np.argmax(face[left_eye, 0]))]


@pytest.mark.parametrize("name", ["kaggle15", "cofw29", "aflw19"])
def test_flip_pairs_swap_left_and_right_in_point_names(name: str) -> None:
    s = SCHEMES[name]
    names = s.point_names
    for a, b in s.flip_pairs:
        swapped = names[a].replace("left", "@").replace("right", "left").replace("@", "right")
        assert swapped == names[b]
    paired = {i for pair in s.flip_pairs for i in pair}
    for i, n in enumerate(names):
        if i not in paired:
            assert "left" not in n and "right" not in n


def test_published_normalisers_are_recorded() -> None:
    assert get_scheme("300w68").normaliser_indices == (36, 45)
    assert get_scheme("wflw98").normaliser_indices == (60, 72)
    assert get_scheme("cofw29").normaliser_indices == (8, 9)
    assert get_scheme("aflw19").normaliser_kind == "box"
    assert get_scheme("kaggle15").normaliser_indices == (0, 1)


def test_300w_pupils_are_the_means_of_the_six_eye_points() -> None:
    s = get_scheme("300w68")
    assert s.pupils == (tuple(range(36, 42)), tuple(range(42, 48)))
    assert get_scheme("wflw98").pupils == ((96,), (97,))


@pytest.mark.parametrize("name", ["300w68", "wflw98", "cofw29", "aflw19"])
def test_pupils_lie_between_the_corners_of_their_eye_in_the_mean_face(
    shared_dir: Path, name: str
) -> None:
    s = SCHEMES[name]
    face = _meanface(shared_dir, name)
    for group, eye in zip(s.pupils, ("right_eye", "left_eye"), strict=True):
        pupil_x = face[list(group), 0].mean()
        eye_x = face[list(s.groups[eye]), 0]
        assert eye_x.min() < pupil_x < eye_x.max()
