"""Every scheme name a card or a converter writes is one the core knows."""

from __future__ import annotations

from pathlib import Path

import pytest

from facealign_gui.convert import DATASET_POINTS, DATASET_SCHEMES
from facealign_gui.core.schemes import SCHEMES
from facealign_gui.inference.card import load_card

MODELS = Path(__file__).resolve().parents[1] / "facealign_gui" / "models"


@pytest.mark.parametrize("card_path", sorted(MODELS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_card_names_a_known_scheme_with_its_point_count(card_path: Path) -> None:
    card = load_card(card_path)
    if card.scheme is None:
        return
    assert card.scheme in SCHEMES, f"{card_path.name}: unknown scheme {card.scheme!r}"
    assert SCHEMES[card.scheme].num_points == card.num_points


def test_converter_datasets_map_to_known_schemes_with_matching_counts() -> None:
    assert set(DATASET_SCHEMES) == set(DATASET_POINTS)
    for dataset, scheme in DATASET_SCHEMES.items():
        assert scheme in SCHEMES, f"{dataset}: unknown scheme {scheme!r}"
        assert SCHEMES[scheme].num_points == DATASET_POINTS[dataset]
