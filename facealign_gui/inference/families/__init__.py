"""The model-family registry: one `Family` declaration per ``families/<name>.py``.

To add a decoder family: write ``inference/families/<name>.py`` building a `Family` (its
output roles, required card fields, ``propose`` and ``decode``) and add it to `FAMILIES`
below: one line.

`output_roles` and `check_output_shapes` read a family's declared roles against a card and
a session, before any image is read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from facealign_gui.inference.families import (
    heatmap,
    hih,
    hourglass,
    hrnet,
    mediapipe,
    pipnet,
    regression,
)
from facealign_gui.inference.families.base import (
    RANKS,
    CardField,
    DecodedBatch,
    Family,
    Graph,
    Guess,
)
from facealign_gui.inference.types import InferenceError

if TYPE_CHECKING:
    from facealign_gui.inference.card import ModelCard

__all__ = [
    "FAMILIES",
    "FAMILY_NAMES",
    "CardField",
    "DecodedBatch",
    "Family",
    "Graph",
    "Guess",
    "check_output_shapes",
    "get_family",
    "output_roles",
    "propose_order",
]

#: Every family, in the order the card dialog lists them.
FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        hrnet.FAMILY,
        pipnet.FAMILY,
        hih.FAMILY,
        hourglass.FAMILY,
        heatmap.FAMILY,
        regression.FAMILY,
        mediapipe.FAMILY,
    )
}
FAMILY_NAMES: tuple[str, ...] = tuple(FAMILIES)


def propose_order() -> list[str]:
    """The families `propose_card` asks, in order (by their ``propose_rank``)."""
    fams = [f for f in FAMILIES.values() if f.propose is not None]
    return [f.name for f in sorted(fams, key=lambda f: f.propose_rank)]


def get_family(name: str) -> Family:
    """The declaration of family ``name``; `InferenceError` for an unknown one."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise InferenceError(
            f"unknown model family {name!r}; expected one of {list(FAMILY_NAMES)}"
        ) from None


def output_roles(card: ModelCard, output_names: list[str]) -> dict[str, str]:
    """meaning -> output name for the card's family; errors name the card and the output.

    From the card's ``[outputs]`` table, or by position when the card leaves it empty.
    """
    needed = get_family(card.family).roles
    if not needed:
        raise InferenceError(f"{card.where}: family {card.family!r} has no ONNX decoder here")
    roles: dict[str, str] = {}
    if card.outputs:
        for meaning in needed:
            name = card.output_for(meaning)
            if name is None:
                raise InferenceError(
                    f"{card.where}: [outputs] names no output with meaning {meaning!r} "
                    f"(family {card.family!r} needs {list(needed)})"
                )
            if name not in output_names:
                raise InferenceError(
                    f"{card.where}: output {name!r} ({meaning}) is not in {card.onnx_path}; "
                    f"the model's outputs are {output_names}"
                )
            roles[meaning] = name
        return roles
    if len(output_names) < len(needed):
        raise InferenceError(
            f"{card.onnx_path}: family {card.family!r} needs {len(needed)} outputs "
            f"{list(needed)}, the model has {len(output_names)} {output_names}"
        )
    return dict(zip(needed, output_names, strict=False))


def check_output_shapes(card: ModelCard, roles: dict[str, str], shapes: dict[str, tuple]) -> None:
    """Check ranks and landmark counts (known dims only) against the card."""
    k = card.num_points
    for meaning, name in roles.items():
        shape = shapes[name]
        if len(shape) not in RANKS[meaning]:
            raise InferenceError(
                f"{card.onnx_path}: output {name!r} ({meaning}) has rank {len(shape)} "
                f"{tuple(shape)}; expected rank {' or '.join(map(str, RANKS[meaning]))}"
            )
        want = k
        if meaning in ("nb_x", "nb_y"):
            want = k * card.decoder.num_nb
        if meaning == "coords":
            dims = shape[1:]
            ok = (len(dims) == 1 and dims[0] in (None, 2 * k)) or (
                len(dims) == 2 and dims[0] in (None, k) and dims[1] in (None, 2)
            )
            if not ok:
                raise InferenceError(
                    f"{card.onnx_path}: output {name!r} has shape {tuple(shape)}; the card says "
                    f"{k} landmarks, so (N, {2 * k}) or (N, {k}, 2)"
                )
            continue
        if shape[1] is not None and shape[1] != want:
            raise InferenceError(
                f"{card.onnx_path}: output {name!r} ({meaning}) has {shape[1]} channels; the "
                f"card {card.where} says {k} landmarks (expected {want})"
            )
