"""Model cards: TOML round trip, validation naming file and field, checksum, templates."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from facealign_gui.inference.card import (
    CardError,
    CropSpec,
    DecoderSpec,
    InputSpec,
    ModelCard,
    Provenance,
    Published,
    card_to_toml,
    load_card,
    save_card,
)
from facealign_gui.inference.types import InferenceError

MODELS = Path(__file__).resolve().parents[2] / "facealign_gui" / "models"


def _card() -> ModelCard:
    return ModelCard(
        id="m",
        family="pipnet",
        num_points=98,
        onnx="m.onnx",
        name='A "quoted" name\nwith a newline',
        scheme="wflw98",
        input=InputSpec(name="input", size=(256, 192), colour="bgr", mean=(0.5,), std=(0.25,)),
        crop=CropSpec(rule="pipnet_box", pad=(0.1, -0.1, 0.1, 0.1), box_source="landmarks"),
        outputs={"cls": "score_map", "x": "offset_x", "y": "offset_y", "nb x": "nb_x"},
        decoder=DecoderSpec(net_stride=32, num_nb=10, meanface="mf.txt"),
        provenance=Provenance(
            source="https://example.org",
            published=[Published("WFLW test", "NME %", 4.6), Published("WFLW blur", "NME %", 5.0)],
        ),
    )


def test_card_round_trips_through_its_toml_writer(tmp_path: Path) -> None:
    card = _card()
    path = save_card(card, tmp_path / "sub" / "m.toml", comment="line one\nline two")
    text = path.read_text()
    assert text.startswith("# line one\n# line two\n")
    back = load_card(path)
    assert back.to_dict() == card.to_dict()
    assert back.onnx_path == tmp_path / "sub" / "m.onnx"
    assert back.output_for("nb_x") == "nb x"
    assert tomllib.loads(card_to_toml(card))["provenance"]["published"][1]["value"] == 5.0


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"family": "resnet"}, "'family'"),
        ({"num_points": "98"}, "'num_points'"),
        ({"num_points": 0}, "'num_points'"),
        ({"sha256": "abc"}, "'sha256'"),
    ],
)
def test_bad_top_level_field_is_named_with_the_file(
    tmp_path: Path, patch: dict, field: str
) -> None:
    d = _card().to_dict()
    d.update(patch)
    path = tmp_path / "bad.toml"
    from facealign_gui.inference.tomlwrite import dumps_toml

    path.write_text(dumps_toml(d))
    with pytest.raises(CardError) as e:
        load_card(path)
    assert str(path) in str(e.value) and field in str(e.value)


def test_missing_required_field_and_bad_table_values_are_named(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('id = "x"\nfamily = "hrnet"\nonnx = "x.onnx"\n')
    with pytest.raises(CardError, match=r"c\.toml: missing required field 'num_points'"):
        load_card(path)
    path.write_text(
        'id = "x"\nfamily = "hrnet"\nonnx = "x.onnx"\nnum_points = 2\n[input]\nlayout = "CHW"\n'
    )
    with pytest.raises(CardError, match=r"c\.toml \[input\]: field 'layout' is 'CHW'"):
        load_card(path)
    path.write_text('id = "x"\nfamily = "pipnet"\nonnx = "x.onnx"\nnum_points = 2\n')
    with pytest.raises(CardError, match="meanface"):
        load_card(path)
    path.write_text(
        'id = "x"\nfamily = "hrnet"\nonnx = "x.onnx"\nnum_points = 2\n[outputs]\nout = "logits"\n'
    )
    with pytest.raises(CardError, match=r"\[outputs\].*'out' is 'logits'"):
        load_card(path)


def test_unparseable_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("id = \n")
    with pytest.raises(CardError, match=r"broken\.toml: not valid TOML"):
        load_card(path)
    with pytest.raises(CardError, match="cannot read model card"):
        load_card(tmp_path / "absent.toml")


def test_sha256_mismatch_is_an_error_naming_both_digests(tmp_path: Path) -> None:
    (tmp_path / "m.onnx").write_bytes(b"abc")
    card = ModelCard(id="m", family="hrnet", num_points=1, onnx="m.onnx", path=tmp_path / "c.toml")
    # sha256(b"abc") is a standard test vector
    good = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    card.sha256 = good
    assert card.verify_sha256() == good
    card.sha256 = "0" * 64
    with pytest.raises(InferenceError, match=f"sha256 mismatch.*{good}"):
        card.verify_sha256()


def test_every_shipped_card_template_loads() -> None:
    cards = {p.stem: load_card(p) for p in MODELS.glob("*.toml")}
    assert {"hrnetv2_w18_wflw", "pipnet_resnet18_wflw", "hih_wflw", "kaggle_hourglass_15pt"} <= set(
        cards
    )
    for backbone in ("resnet18", "resnet101", "mobilenetv2", "mobilenetv3"):
        for ds in ("wflw", "300w", "cofw", "aflw"):
            assert cards[f"pipnet_{backbone}_{ds}"].decoder.meanface


def test_hrnet_templates_carry_the_readme_numbers() -> None:
    wflw = load_card(MODELS / "hrnetv2_w18_wflw.toml")
    got = {p.dataset: p.value for p in wflw.provenance.published}
    assert got["WFLW test"] == 4.60 and got["WFLW pose"] == 7.86
    full = {
        p.dataset: p.value for p in load_card(MODELS / "hrnetv2_w18_300w.toml").provenance.published
    }
    assert full["300W full"] == 3.34
    assert wflw.crop.rule == "hrnet_center_scale" and wflw.crop.scale_factor == 1.25


@pytest.mark.parametrize(
    ("table", "line", "field"),
    [
        ("input", "pixel_scale = nan", "'pixel_scale'"),
        ("input", "pixel_scale = inf", "'pixel_scale'"),
        ("input", "pixel_scale = -1.0", "'pixel_scale'"),
        ("input", "size = [100000, 100000]", "'size'"),
        ("input", "mean = [nan, 0, 0]", "'mean'"),
        ("input", "std = [-0.2, 0.2, 0.2]", "'std'"),
        ("input", "std = [inf]", "'std'"),
        ("crop", "scale_factor = nan", "'scale_factor'"),
        ("crop", "scale_factor = 0.0", "'scale_factor'"),
        ("crop", "enlarge = -1.2", "'enlarge'"),
        ("crop", "pad = [0.1, nan, 0.1, 0.1]", "'pad'"),
        ("crop", "detector_pad = [1e9, 0, 0, 0]", "'detector_pad'"),
        ("decoder", "heatmap_stride = inf", "'heatmap_stride'"),
        ("decoder", "net_stride = 0", "'net_stride'"),
        ("decoder", "num_nb = 1000000", "'num_nb'"),
        ("decoder", "offset_size = -8", "'offset_size'"),
    ],
)
def test_non_finite_or_absurd_values_are_refused_naming_the_field(
    tmp_path: Path, table: str, line: str, field: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        f'id = "x"\nfamily = "heatmap"\nonnx = "x.onnx"\nnum_points = 2\n[{table}]\n{line}\n'
    )
    with pytest.raises(CardError) as e:
        load_card(path)
    assert f"c.toml [{table}]: field {field}" in str(e.value)


@pytest.mark.parametrize("n", [1_000_000, -5])
def test_a_million_landmarks_is_refused(tmp_path: Path, n: int) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'id = "x"\nfamily = "heatmap"\nonnx = "x.onnx"\nnum_points = {n}\n')
    with pytest.raises(CardError, match=r"c\.toml: field 'num_points' must be between 1 and"):
        load_card(path)


def test_published_value_must_be_finite(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        'id = "x"\nfamily = "heatmap"\nonnx = "x.onnx"\nnum_points = 2\n'
        '[[provenance.published]]\ndataset = "WFLW"\nmetric = "NME"\nvalue = nan\n'
    )
    with pytest.raises(CardError, match=r"published\[0\]: field 'value'"):
        load_card(path)
