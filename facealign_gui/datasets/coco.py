"""COCO keypoints JSON: one ``images`` entry per image, one ``annotations`` entry per face.

Keypoints are ``[x0, y0, v0, x1, y1, v1, ...]`` in pixel indices (the centre of the top-left
pixel is 0, 0; detectron2 adds 0.5 when it loads them), which is this project's convention,
so coordinates are read and written as they are. ``v`` is 2 for a visible point, 1 for an
occluded one (`Dataset.occluded`), 0 (with x = y = 0) for a point never placed (NaN and
invisible here). ``bbox`` is ``[x, y, width, height]``; the category's ``keypoints`` name the
points and its ``skeleton`` (1-based index pairs) joins them.

Image sizes are written from ``Dataset.meta["image_sizes"]`` where known (a COCO file read
back, a labelling session that saw its images), else from the image itself.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from facealign_gui.datasets._common import atomic_write_text, guess_image_root, read_file
from facealign_gui.datasets.formats import BY_NAME, BY_SIGNATURE, NO
from facealign_gui.datasets.model import Dataset, DatasetError, Problem

FORMAT = "coco"


def sniff_coco(probe: Any) -> int:
    """A JSON object with ``images`` / ``annotations`` (or just a ``.json`` name)."""
    text = probe.text
    if probe.is_dir or text is None:
        return NO
    if text.lstrip().startswith("{") and ('"annotations"' in text or '"images"' in text):
        return BY_SIGNATURE
    return BY_NAME if probe.suffix == ".json" else NO


def read_coco(path: str | Path, *, image_root: str | Path | None = None) -> Dataset:
    """Every face (annotation) of a COCO keypoints file; an image without one is a sample
    with no points. Bad entries are reported by index and skipped; the rest load."""
    import orjson

    path = Path(path)
    label = str(path)
    data = read_file(path).removeprefix(b"\xef\xbb\xbf")
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise DatasetError(Problem(label, e.lineno, f"not valid JSON: {e.msg}", True)) from None
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("images"), list)
        or not isinstance(doc.get("annotations"), list)
    ):
        raise DatasetError(
            Problem(label, None, "not a COCO keypoints file (no 'images' and 'annotations')", True)
        )
    problems: list[Problem] = []
    images = _images(doc["images"], label, problems)
    faces = _faces(doc["annotations"], images, label, problems)
    counts = Counter(len(kp) for _, kp, _, _ in faces)
    k = counts.most_common(1)[0][0] if counts else _category_points(doc)
    kept = []
    for f in faces:
        if len(f[1]) == k:
            kept.append(f)
        else:
            problems.append(Problem(f[3], None, f"{len(f[1])} points, the others have {k}", True))
    with_faces = {image_id for image_id, _, _, _ in kept}
    rows = kept + [(i, None, None, f"{label}#image {i}") for i in images if i not in with_faces]
    rows.sort(key=lambda f: images[f[0]][2])  # in the order of 'images', then of 'annotations'
    n = len(rows)
    points = np.full((n, k, 2), np.nan)
    v = np.zeros((n, k), dtype=np.int64)
    boxes = np.full((n, 4), np.nan)
    for j, (_, kp, bbox, _) in enumerate(rows):
        if kp is not None:
            v[j] = kp[:, 2]
            points[j] = np.where(kp[:, 2:3] > 0, kp[:, :2], np.nan)
        if bbox is not None:
            boxes[j] = bbox
    names = [images[i][0] for i, _, _, _ in rows]
    names_k = _category_names(doc, k)
    info = doc.get("info")
    root = (
        Path(image_root)
        if image_root is not None
        else guess_image_root(path.parent, names[0] if names else None)
    )
    return Dataset(
        format=FORMAT,
        scheme=_scheme(doc, names_k, k),
        root=root,
        images=names,
        points=points,
        visible=v > 0,
        boxes=None if np.isnan(boxes).all() else boxes,
        sources=[src for _, _, _, src in rows],
        problems=problems,
        skipped=sum(p.fatal for p in problems),
        occluded=v == 1,
        meta={
            "image_sizes": [images[i][1] for i, _, _, _ in rows],
            "keypoint_names": names_k,
            "coco_description": info.get("description") if isinstance(info, dict) else None,
        },
    )


def _images(
    entries: list[Any], label: str, problems: list[Problem]
) -> dict[Any, tuple[str, tuple[int, int] | None, int]]:
    """image id -> (file name, (width, height) or None, position in the list)."""
    out: dict[Any, tuple[str, tuple[int, int] | None, int]] = {}
    for n, im in enumerate(entries):
        where = f"{label}#images[{n}]"
        if not isinstance(im, dict) or not isinstance(im.get("file_name"), str):
            problems.append(Problem(where, None, "no 'file_name'", True))
            continue
        if "id" not in im or isinstance(im["id"], (list, dict)):
            problems.append(Problem(where, None, "no usable 'id'", True))
            continue
        if im["id"] in out:
            problems.append(Problem(where, None, f"image id {im['id']!r} is used twice", True))
            continue
        w, h = im.get("width"), im.get("height")
        ok = isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0
        out[im["id"]] = (im["file_name"], (w, h) if ok else None, n)
    return out


def _faces(
    entries: list[Any], images: dict[Any, Any], label: str, problems: list[Problem]
) -> list[tuple[Any, np.ndarray, np.ndarray | None, str]]:
    """(image id, (K, 3) keypoints, x1 y1 x2 y2 box or None, source) of each good annotation."""
    out = []
    for n, a in enumerate(entries):
        ident = a.get("id", n) if isinstance(a, dict) else n
        where = f"{label}#annotation {ident}"
        if not isinstance(a, dict):
            problems.append(Problem(where, None, "not an object", True))
            continue
        if a.get("image_id") not in images:
            problems.append(
                Problem(where, None, f"image_id {a.get('image_id')!r} is not in 'images'", True)
            )
            continue
        kp = _numbers(a.get("keypoints"))
        if kp is None or kp.size % 3 or kp.size == 0:
            problems.append(Problem(where, None, "'keypoints' is not x, y, v triplets", True))
            continue
        kp = kp.reshape(-1, 3)
        if not np.isfinite(kp).all() or not np.isin(kp[:, 2], (0, 1, 2)).all():
            problems.append(
                Problem(where, None, "'keypoints' has a non-finite value or a v not 0/1/2", True)
            )
            continue
        box = _numbers(a.get("bbox"))
        if box is not None and box.size == 4 and np.isfinite(box).all() and (box[2:] >= 0).all():
            box = np.concatenate([box[:2], box[:2] + box[2:]])
        else:
            box = None
        out.append((a["image_id"], kp, box, where))
    return out


def _numbers(value: Any) -> np.ndarray | None:
    """``value`` as float64 when it is a JSON list of numbers (not bools, not text)."""
    if not isinstance(value, list) or not set(map(type, value)) <= _NUMBER_TYPES:
        return None
    return np.asarray(value, dtype=np.float64)


_NUMBER_TYPES = {int, float}


def _category_points(doc: dict[str, Any]) -> int:
    for c in doc.get("categories") or []:
        if isinstance(c, dict) and isinstance(c.get("keypoints"), list):
            return len(c["keypoints"])
    return 0


def _category_names(doc: dict[str, Any], k: int) -> list[str] | None:
    for c in doc.get("categories") or []:
        names = c.get("keypoints") if isinstance(c, dict) else None
        if isinstance(names, list) and len(names) == k and all(isinstance(s, str) for s in names):
            return list(names)
    return None


def _scheme(doc: dict[str, Any], names: list[str] | None, k: int) -> str | None:
    """The scheme ``info.scheme`` names (as this project writes it), else the one whose
    point names the category lists, else the one with ``k`` points."""
    from facealign_gui.core.schemes import SCHEMES
    from facealign_gui.datasets._common import scheme_name_for

    info = doc.get("info")
    named = info.get("scheme") if isinstance(info, dict) else None
    if isinstance(named, str) and named in SCHEMES and SCHEMES[named].num_points == k:
        return named
    for s in SCHEMES.values():
        if names is not None and list(s.point_names) == names:
            return s.name
    return scheme_name_for(k) if k else None


def coco_document(ds: Dataset) -> dict[str, object]:
    """The COCO keypoints JSON of ``ds`` as a dict (one image entry per distinct image)."""
    if ds.points is None:
        raise DatasetError("an unlabelled dataset has no points to write")
    n, k = ds.points.shape[:2]
    names, skeleton = _point_names(ds, k)
    pts = np.asarray(ds.points, dtype=np.float64)
    finite = np.isfinite(pts)
    placed = finite[..., 0] & finite[..., 1]  # (N, K); ~20x faster than .all(axis=2)
    if ds.visible is not None:
        placed &= np.asarray(ds.visible, bool)
    occluded = np.zeros((n, k), bool) if ds.occluded is None else np.asarray(ds.occluded, bool)
    v = np.where(placed, np.where(occluded, 1, 2), 0)
    xy = np.where(placed[..., None], pts, 0.0)
    # x, y, v triplets for every face at once; v stays an integer in the JSON
    kps = np.empty((n, k * 3), dtype=object)
    kps[:, 0::3], kps[:, 1::3], kps[:, 2::3] = xy[..., 0], xy[..., 1], v
    # x and y rows (N, 2, K) in memory order: a min over K is then ~10x faster
    by_axis = np.ascontiguousarray(pts.transpose(0, 2, 1))
    if placed.all():
        lo, hi = by_axis.min(axis=2), by_axis.max(axis=2)
    else:  # a face with no placed point: -inf - inf here, a bbox of zeros below
        mask = placed[:, None, :]
        lo = np.where(mask, by_axis, np.inf).min(axis=2)
        hi = np.where(mask, by_axis, -np.inf).max(axis=2)
    any_placed = placed.any(axis=1)
    bboxes = np.where(any_placed[:, None], np.concatenate([lo, hi - lo], axis=1), 0.0)
    counts = np.count_nonzero(v, axis=1).tolist()
    sizes = image_sizes(ds)
    image_id: dict[str, int] = {}
    images, anns = [], []
    for j, (kp, bbox, count) in enumerate(zip(kps.tolist(), bboxes.tolist(), counts, strict=True)):
        name = ds.images[j]
        if name not in image_id:
            image_id[name] = len(image_id) + 1
            w, h = sizes[j]
            images.append({"id": image_id[name], "file_name": name, "width": w, "height": h})
        anns.append(
            {
                "id": j + 1,
                "image_id": image_id[name],
                "category_id": 1,
                "keypoints": kp,
                "num_keypoints": count,
                "bbox": bbox,
                "area": bbox[2] * bbox[3],
                "iscrowd": 0,
            }
        )
    category = {
        "id": 1,
        "name": "face",
        "supercategory": "face",
        "keypoints": names,
        "skeleton": skeleton,
    }
    description = ds.meta.get("coco_description") or f"facealign-gui export ({ds.format})"
    return {
        "info": {"description": str(description), "scheme": ds.scheme or ""},
        "images": images,
        "annotations": anns,
        "categories": [category],
    }


def write_coco(ds: Dataset, path: str | Path) -> None:
    """Write ``ds`` as COCO keypoints JSON, atomically."""
    import orjson  # compiled JSON: a 10,000-image document in a fraction of a second

    atomic_write_text(Path(path), orjson.dumps(coco_document(ds)).decode("utf-8"))


def image_sizes(ds: Dataset) -> list[tuple[int, int]]:
    """(width, height) of every sample's image: ``meta["image_sizes"]`` where known, else
    from the image itself; (0, 0) for an image that cannot be read."""
    known = ds.meta.get("image_sizes")
    known = known if isinstance(known, list) and len(known) == len(ds) else [None] * len(ds)
    out: list[tuple[int, int]] = []
    cache: dict[str, tuple[int, int]] = {}
    for i, size in enumerate(known):
        if size:
            out.append((int(size[0]), int(size[1])))
            continue
        name = ds.images[i]
        if name not in cache:
            cache[name] = _measured_size(ds, i)
        out.append(cache[name])
    return out


def _measured_size(ds: Dataset, i: int) -> tuple[int, int]:
    from facealign_gui.datasets.images import STORED, image_size, load_image

    _, sep, index = ds.images[i].rpartition("#")
    if ds.image_loader is None and not (sep and index.isdigit()):  # a file: its header
        orientation = str(ds.meta.get("orientation", STORED))
        return image_size(ds.image_path(i), orientation=orientation) or (0, 0)
    try:
        h, w = load_image(ds, i).shape[:2]
    except DatasetError:
        return (0, 0)
    return (int(w), int(h))


def _point_names(ds: Dataset, k: int) -> tuple[list[str], list[list[int]]]:
    from facealign_gui.core.schemes import SCHEMES

    s = SCHEMES.get(ds.scheme or "")
    if s is not None and s.num_points == k:
        # COCO skeleton indices are 1-based.
        return list(s.point_names), [[a + 1, b + 1] for a, b in s.edges]
    names = ds.meta.get("keypoint_names")
    if isinstance(names, list) and len(names) == k:
        return [str(x) for x in names], []
    return [f"p{i}" for i in range(k)], []
