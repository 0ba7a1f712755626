"""From MediaPipe's 468-point face mesh to the 68-point 300W (iBUG) scheme.

Each 300W point is a fixed weighted combination of one to four mesh vertices (weights sum
to 1), so the mapping is one (68, 468) matrix applied to mesh coordinates in any frame.

How the table was built (``scripts/convert_mediapipe.py --derive-mesh68 OBJ`` recomputes
it from MediaPipe's canonical face model, ``canonical_face_model.obj``, seen from the front):

* anchor points are mesh vertices with the same anatomical meaning as the 300W point: eye
  corners 33/133/362/263, mouth corners 61/291 (outer) and 78/308 (inner), lip midline
  0/17 (outer) and 13/14 (inner), nasion 168, subnasale 2, alar bases 98/327, chin 152;
* the points between anchors sit at equal arc-length fractions of the mesh contour that
  joins them (MediaPipe's published contours: lids, lips, nose ridge and base), e.g. 37/38
  at 1/3 and 2/3 of the upper lid from 36 to 39, 61 half way along the upper inner lip;
* the nose tip (30) is the most forward point of the ridge (a parabola through the depth of
  vertices 5, 4, 1), and 28/29 split 27..30 in three;
* eyebrows use the centre line between MediaPipe's upper (70, 63, 105, 66, 107) and lower
  (46, 53, 52, 65, 55) brow contours, sampled at 0, 1/4, ..., 1 (and the mirror for the
  left brow);
* the jaw (0..16) starts where the face oval crosses the height of the outer eye corner and
  runs to the chin 152 in eight equal arc-length steps on each side.

Where the mesh differs from 300W (read this before trusting the jaw):

* MediaPipe's face oval is a contour on a 3D surface. On a frontal face it lies on the
  visible cheek/jaw edge, close to the 300W jaw line; on a turned face the far side of the
  oval stays on the surface (it does not follow the silhouette), and the near side sits
  inside the 2D outline that 300W annotators trace. Jaw errors therefore grow with yaw.
* The mesh has no vertex exactly at 300W's jaw start; it begins at the eye-corner height
  crossing (between vertices 127 and 162), which matches 300W's convention on frontal faces.
* MediaPipe's brow contours run further towards the nose than 300W's inner brow points
  (21, 22), so those two sit a little medial of where 300W annotators put them.
* 300W annotates the visible (2D) outline and occluded points by guess; the mesh always
  gives a full surface, so self-occluded 300W points are not special-cased here.
"""

from __future__ import annotations

import numpy as np

NUM_MESH_POINTS = 468

# 300W index -> ((mesh vertex, weight), ...); weights sum to 1 (up to rounding, renormalised
# in `mapping_matrix`).
MESH_TO_300W: tuple[tuple[tuple[int, float], ...], ...] = (
    ((127, 0.828), (162, 0.172)),  # 0
    ((234, 0.985), (93, 0.015)),  # 1
    ((93, 0.829), (132, 0.171)),  # 2
    ((132, 0.759), (58, 0.241)),  # 3
    ((58, 0.682), (172, 0.318)),  # 4
    ((136, 0.707), (172, 0.293)),  # 5
    ((150, 0.663), (149, 0.337)),  # 6
    ((176, 0.678), (148, 0.322)),  # 7
    ((152, 1.0),),  # 8
    ((400, 0.678), (377, 0.322)),  # 9
    ((379, 0.663), (378, 0.337)),  # 10
    ((365, 0.707), (397, 0.293)),  # 11
    ((288, 0.682), (397, 0.318)),  # 12
    ((361, 0.759), (288, 0.241)),  # 13
    ((323, 0.829), (361, 0.171)),  # 14
    ((454, 0.985), (323, 0.015)),  # 15
    ((356, 0.828), (389, 0.172)),  # 16
    ((70, 0.5), (46, 0.5)),  # 17
    ((63, 0.373), (53, 0.373), (105, 0.127), (52, 0.127)),  # 18
    ((105, 0.336), (52, 0.336), (66, 0.164), (65, 0.164)),  # 19
    ((66, 0.388), (65, 0.388), (107, 0.112), (55, 0.112)),  # 20
    ((107, 0.5), (55, 0.5)),  # 21
    ((336, 0.5), (285, 0.5)),  # 22
    ((296, 0.388), (295, 0.388), (336, 0.112), (285, 0.112)),  # 23
    ((334, 0.336), (282, 0.336), (296, 0.164), (295, 0.164)),  # 24
    ((293, 0.373), (283, 0.373), (334, 0.127), (282, 0.127)),  # 25
    ((300, 0.5), (276, 0.5)),  # 26
    ((168, 1.0),),  # 27
    ((197, 0.653), (6, 0.347)),  # 28
    ((5, 0.513), (195, 0.487)),  # 29
    ((4, 0.823), (1, 0.177)),  # 30
    ((98, 1.0),),  # 31
    ((97, 0.849), (98, 0.151)),  # 32
    ((2, 1.0),),  # 33
    ((326, 0.849), (327, 0.151)),  # 34
    ((327, 1.0),),  # 35
    ((33, 1.0),),  # 36
    ((160, 0.816), (159, 0.184)),  # 37
    ((158, 0.862), (157, 0.138)),  # 38
    ((133, 1.0),),  # 39
    ((153, 0.963), (154, 0.037)),  # 40
    ((144, 0.866), (145, 0.134)),  # 41
    ((362, 1.0),),  # 42
    ((385, 0.862), (384, 0.138)),  # 43
    ((387, 0.816), (386, 0.184)),  # 44
    ((263, 1.0),),  # 45
    ((373, 0.866), (374, 0.134)),  # 46
    ((380, 0.963), (381, 0.037)),  # 47
    ((61, 1.0),),  # 48
    ((40, 0.732), (39, 0.268)),  # 49
    ((37, 0.702), (39, 0.298)),  # 50
    ((0, 1.0),),  # 51
    ((267, 0.702), (269, 0.298)),  # 52
    ((270, 0.732), (269, 0.268)),  # 53
    ((291, 1.0),),  # 54
    ((321, 0.795), (405, 0.205)),  # 55
    ((314, 0.684), (405, 0.316)),  # 56
    ((17, 1.0),),  # 57
    ((84, 0.684), (181, 0.316)),  # 58
    ((91, 0.795), (181, 0.205)),  # 59
    ((78, 1.0),),  # 60
    ((81, 0.822), (80, 0.178)),  # 61
    ((13, 1.0),),  # 62
    ((311, 0.822), (310, 0.178)),  # 63
    ((308, 1.0),),  # 64
    ((402, 0.977), (317, 0.023)),  # 65
    ((14, 1.0),),  # 66
    ((178, 0.977), (87, 0.023)),  # 67
)


def mapping_matrix() -> np.ndarray:
    """The (68, 468) float64 matrix M with ``points68 = M @ mesh[:, :2]``; rows sum to 1."""
    m = np.zeros((len(MESH_TO_300W), NUM_MESH_POINTS))
    for row, terms in enumerate(MESH_TO_300W):
        for vertex, weight in terms:
            m[row, vertex] += weight
    return m / m.sum(axis=1, keepdims=True)


def _gather_tables() -> tuple[np.ndarray, np.ndarray]:
    """(68, 4) vertex indices and weights (unused slots: vertex 0, weight 0)."""
    width = max(len(t) for t in MESH_TO_300W)
    index = np.zeros((len(MESH_TO_300W), width), dtype=np.intp)
    weight = np.zeros((len(MESH_TO_300W), width))
    for row, terms in enumerate(MESH_TO_300W):
        total = sum(w for _, w in terms)
        for col, (vertex, w) in enumerate(terms):
            index[row, col], weight[row, col] = vertex, w / total
    return index, weight


_INDEX, _WEIGHT = _gather_tables()


def mesh_to_300w(mesh: np.ndarray) -> np.ndarray:
    """(468, D) mesh coordinates (D = 2 or 3) -> (68, D) 300W points, in the same frame.

    Also accepts a batch (N, 468, D) -> (N, 68, D).
    """
    mesh = np.asarray(mesh, dtype=np.float64)
    if mesh.ndim < 2 or mesh.shape[-2] != NUM_MESH_POINTS:
        raise ValueError(f"expected {NUM_MESH_POINTS} mesh points, got shape {mesh.shape}")
    # gather the few vertices each point uses (faster than the dense (68, 468) product)
    return (mesh[..., _INDEX, :] * _WEIGHT[..., None]).sum(axis=-2)
