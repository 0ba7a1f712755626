"""Adding a bare .onnx: show what the graph told, ask only what it could not, write the card.

`propose_card` (inference.propose) reads the input/output shapes and lists, as sentences, what
it had to assume (`Proposal.unknown`). `unknown_topics` sorts those sentences into the fields
this dialog asks for; everything else is shown read-only. The defaults of the asked fields come
from a built-in card of the same family (facealign_gui/models/*.toml), else from the proposal.

"Save card" writes ``<model>.toml`` beside the .onnx (atomically, via `save_card`); when that
folder is read-only the user picks another place. `CardFlow` ties it to the window: proposal
on the worker pool, the dialog on the UI thread, then the window loads the saved card.
"""

from __future__ import annotations

import copy
import os
import re
import tempfile
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from facealign_gui.core.schemes import SCHEMES
from facealign_gui.inference.card import (
    BOX_SOURCES,
    CLIP_RULES,
    CROP_RULES,
    CardError,
    ModelCard,
    card_from_dict,
    card_to_toml,
    load_card,
    save_card,
)
from facealign_gui.inference.families import FAMILIES as FAMILY_DECLARATIONS
from facealign_gui.inference.families import get_family
from facealign_gui.inference.families.pipnet import MEANFACE as PIPNET_MEANFACE
from facealign_gui.inference.propose import Proposal, propose_card

if TYPE_CHECKING:
    from facealign_gui.app.inspector import Inspector
    from facealign_gui.app.worker import TaskResult

MODELS = Path(__file__).resolve().parents[1] / "models"
NO_SCHEME = "(none: points without edges)"
WARN = "color: #e0b400;"
ERROR = "color: #ff6b6b;"
HINT = "color: #a8acb3; font-size: 9pt;"


def unknown_topics(unknown: list[str]) -> tuple[dict[str, str], list[str]]:
    """Sort `Proposal.unknown` sentences into the dialog's topics.

    Returns (topic -> sentence, sentences that fit no topic). Topics: family, scheme, colour,
    normalisation, crop, meanface, coords, heatmap_decoder, provenance.
    """
    topics: dict[str, str] = {}
    rest: list[str] = []
    for text in unknown:
        head = text.split(":")[0].split("(")[0].strip().lower()
        if "meanface" in head:
            key = "meanface"
        elif "pixel_scale" in head or "mean/std" in head:
            key = "normalisation"
        elif "colour" in head:
            key = "colour"
        elif "coords" in head:
            key = "coords"
        elif "subpixel" in head or "heatmap_stride" in head:
            key = "heatmap_decoder"
        elif head.startswith(("crop", "family", "scheme", "provenance")):
            key = head.replace(".", " ").split()[0]
        else:
            rest.append(text)
            continue
        topics[key] = f"{topics[key]}; {text}" if key in topics else text
    return topics, rest


FIELD_TOPICS = (  # card field (prefix) -> dialog topic; the first matching prefix wins
    ("family", "family"),
    ("scheme", "scheme"),
    ("input.colour", "colour"),
    ("input.pixel_scale", "normalisation"),
    ("input.mean", "normalisation"),
    ("input.std", "normalisation"),
    ("crop", "crop"),
    ("decoder.meanface", "meanface"),
    ("meanface", "meanface"),
    ("decoder.coords", "coords"),
    ("coords", "coords"),
    ("decoder.subpixel", "heatmap_decoder"),
    ("decoder.heatmap_stride", "heatmap_decoder"),
    ("provenance", "provenance"),
)


def field_topics(fields: list[str], sentences: list[str]) -> tuple[dict[str, str], list[str]]:
    """Topics from `Proposal.unknown_fields` (card field names), not from the wording: each
    field's sentence is the ``unknown`` entry at the same position when there is one."""
    topics: dict[str, str] = {}
    rest: list[str] = []
    for n, field in enumerate(fields):
        text = sentences[n] if len(sentences) == len(fields) else field
        key = next((t for prefix, t in FIELD_TOPICS if field.startswith(prefix)), None)
        if key is None:
            rest.append(text)
            continue
        topics[key] = f"{topics[key]}; {text}" if key in topics else text
    return topics, rest


def proposal_topics(proposal: object) -> tuple[dict[str, str], list[str]]:
    """The dialog's topics for a proposal: its ``unknown_fields`` when it has them, else
    its ``unknown`` sentences (`unknown_topics`)."""
    sentences = list(getattr(proposal, "unknown", []) or [])
    fields = getattr(proposal, "unknown_fields", None)
    if fields is not None:
        return field_topics(list(fields), sentences)
    return unknown_topics(sentences)


HINTS = {
    "family": "The output shapes fit more than one decoder.",
    "scheme": "Without a scheme the points are drawn without edges and scored without an "
    "inter-ocular normaliser.",
    "input": "The network sees (pixel × scale − mean) / std, channels in this order.",
    "crop": "Which square around the face becomes the network input.",
    "meanface": f"PIPNet needs {PIPNET_MEANFACE.help}.",
    "coords": "normalised: [0, 1] of the crop; pixels: pixels of the crop.",
    "heatmap_decoder": "How a heatmap peak is refined below one pixel.",
}


def hint_text(topic: str, propose_text: str, template: ModelCard | None) -> str:
    """The grey line under a group of asked fields: what it means, where defaults came from."""
    text = HINTS.get(topic, "")
    if topic == "scheme":
        return f"{propose_text.split(':', 1)[-1].strip().capitalize()}. {text}"
    if topic in ("input", "crop", "heatmap_decoder"):
        if template is not None:
            return f"{text} Defaults from the built-in card {template.id}."
        assumed = re.findall(r"\(assumed ([^)]*)\)", propose_text)
        if assumed:
            return f"{text} Assumed: {'; '.join(assumed)}; check the training code."
    return text


def required_missing(card: ModelCard) -> list[str]:
    """What the decoder cannot run without (the window may not load the card as it is):
    the family's declared required fields the card leaves empty."""
    return [f.key for f in get_family(card.family).missing(card)]


@cache
def family_template(family: str) -> ModelCard | None:
    """A built-in card of ``family`` (a WFLW one when there is one), for default values."""
    found = []
    for p in sorted(MODELS.glob("*.toml")):
        try:
            card = load_card(p)
        except CardError:
            continue
        if card.family == family:
            found.append(card)
    found.sort(key=lambda c: "wflw" not in c.id)
    return found[0] if found else None


@dataclass
class Analysis:
    """The proposal for one .onnx and its output shapes (computed off the UI thread)."""

    onnx: Path
    proposal: Proposal
    output_shapes: dict[str, tuple[int | None, ...]]


def analyse(onnx: str | Path) -> Analysis:
    """Propose a card for ``onnx`` (creates the shared onnxruntime session: slow, pool only)."""
    from facealign_gui.inference.runtime import get_session

    onnx = Path(onnx)
    proposal = propose_card(onnx)
    shapes = {o.name: o.shape for o in get_session(onnx).outputs}
    return Analysis(onnx, proposal, shapes)


def folder_writable(folder: Path) -> bool:
    """True when a file can be created in ``folder`` (tried, not guessed from the mode)."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".facealign-probe-"):
            return True
    except OSError:
        return False


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.replace(",", " ").split())


def _fmt(values: tuple[float, ...]) -> str:
    return ", ".join(f"{v:g}" for v in values)


def _shape(shape: tuple[int | None, ...]) -> str:
    return "×".join("N" if d is None else str(d) for d in shape)


class CardDialog(QDialog):
    """See the module docstring. After ``accept()``, `card_path` is the written card."""

    def __init__(
        self,
        analysis: Analysis,
        dataset_scheme: str | None = None,
        dataset_points: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.analysis = analysis
        self.proposed = analysis.proposal.card
        self.dataset_scheme, self.dataset_points = dataset_scheme, dataset_points
        self.target = analysis.onnx.with_suffix(".toml")
        self.card_path: Path | None = None
        self.topics, self.notes = proposal_topics(analysis.proposal)
        k = self.proposed.num_points
        self.scheme_choices = [s.name for s in SCHEMES.values() if s.num_points == k]
        if len(self.scheme_choices) != 1 or self.proposed.scheme is None:
            self.topics.setdefault("scheme", f"no single known landmark scheme has {k} points")
        self.writable = folder_writable(self.target.parent)
        self.fields: dict[str, QWidget] = {}  # field name -> its editor (what tests drive)
        self.hints: dict[str, QLabel] = {}  # topic -> its grey explanation
        self.setWindowTitle(f"New model card — {analysis.onnx.name}")
        self.setMinimumWidth(640)

        lay = QVBoxLayout(self)
        intro = QLabel(
            f"<b>{analysis.onnx.name}</b> has no model card yet. This is what its graph "
            "tells; please check the fields below it, which the graph cannot tell."
        )
        intro.setWordWrap(True)
        lay.addWidget(intro)
        lay.addWidget(self._inferred_box())
        lay.addWidget(self._asked_box())
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARN)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setStyleSheet(ERROR)
        for w in (self.warning, self.status):
            w.hide()
            lay.addWidget(w)
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.where.setStyleSheet(HINT)
        lay.addWidget(self.where)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton(
            "Save card", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self._apply_defaults(self.proposed.family)
        self._update()

    def showEvent(self, event: QShowEvent) -> None:
        """Grow to the height the wrapped hint lines need (top-level windows ignore the
        layout's height-for-width)."""
        super().showEvent(event)
        lay = self.layout()
        lay.activate()
        need = lay.totalHeightForWidth(self.width())
        if need > self.height():
            self.resize(self.width(), need)

    # -- building ------------------------------------------------------------------------
    def _inferred_box(self) -> QGroupBox:
        box = QGroupBox("From the model graph")
        form = QFormLayout(box)
        c, a = self.proposed, self.analysis
        inp = c.input
        ch = 1 if inp.colour == "gray" else 3
        w, h = inp.size
        form.addRow("Input:", QLabel(f"{inp.name!r}  {w}×{h}, {ch} channel(s), {inp.layout}"))
        for name, meaning in c.outputs.items():
            shape = _shape(a.output_shapes.get(name, ()))
            form.addRow("Output:", QLabel(f"{name!r}  {shape}  →  {meaning}"))
        if "family" not in self.topics:
            why = QLabel(f"<b>{c.family}</b> — " + "; ".join(a.proposal.reasons))
            why.setWordWrap(True)
            form.addRow("Family:", why)
        if "scheme" not in self.topics:
            form.addRow("Landmarks:", QLabel(f"{c.num_points} points → scheme {c.scheme}"))
        return box

    def _row(self, form: QFormLayout, label: str, widget: QWidget, topic: str, key: str) -> None:
        form.addRow(label, widget)
        widget.setToolTip(self.topics.get(topic, ""))
        self.fields[key] = widget

    def _hint(self, form: QFormLayout, topic: str) -> None:
        hint = QLabel()
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        hint.setStyleSheet(HINT)
        form.addRow("", hint)
        self.hints[topic] = hint

    def _asked_box(self) -> QGroupBox:
        box = QGroupBox("What the graph cannot tell")
        form = QFormLayout(box)
        self.form = form
        t, c = self.topics, self.proposed
        if "family" in t:
            fam = QComboBox()
            fam.addItems([n for n, f in FAMILY_DECLARATIONS.items() if f.predictor == "card"])
            fam.setCurrentText(c.family)
            fam.currentTextChanged.connect(self._apply_defaults)
            self._row(form, "Family:", fam, "family", "family")
            self._hint(form, "family")
        if "scheme" in t:
            sch = QComboBox()
            sch.addItems([*self.scheme_choices, NO_SCHEME])
            sch.currentTextChanged.connect(self._update)
            self._row(form, f"Scheme ({c.num_points} points):", sch, "scheme", "scheme")
            self._hint(form, "scheme")
        if "colour" in t:
            col = QComboBox()
            col.addItems(["rgb", "bgr"])
            self._row(form, "Colour order:", col, "colour", "colour")
        if "normalisation" in t:
            self._row(form, "Pixel scale:", QLineEdit(), "normalisation", "pixel_scale")
            self._row(form, "Mean:", QLineEdit(), "normalisation", "mean")
            self._row(form, "Std:", QLineEdit(), "normalisation", "std")
        if "colour" in t or "normalisation" in t:
            self._hint(form, "input")
        if "crop" in t:
            rule = QComboBox()
            rule.addItems([r for r in CROP_RULES if r != "mediapipe_roi"])
            rule.currentTextChanged.connect(self._update)
            self._row(form, "Crop rule:", rule, "crop", "crop.rule")
            spin = QDoubleSpinBox()
            spin.setRange(0.5, 3.0)
            spin.setSingleStep(0.05)
            self._row(form, "Scale factor:", spin, "crop", "crop.scale_factor")
            spin = QDoubleSpinBox()
            spin.setRange(0.5, 3.0)
            spin.setSingleStep(0.05)
            self._row(form, "Box enlargement:", spin, "crop", "crop.enlarge")
            self._row(form, "Box pad (l, t, r, b):", QLineEdit(), "crop", "crop.pad")
            src = QComboBox()
            src.addItems(list(BOX_SOURCES))
            self._row(form, "Box from:", src, "crop", "crop.box_source")
            self._hint(form, "crop")
        if "meanface" in t:
            row = QWidget()
            h = QHBoxLayout(row)
            h.setContentsMargins(0, 0, 0, 0)
            edit = QLineEdit()
            edit.setPlaceholderText("meanface.txt of the training set (required)")
            edit.textChanged.connect(self._update)
            browse = QPushButton("Browse…")
            browse.clicked.connect(self._browse_meanface)
            h.addWidget(edit, 1)
            h.addWidget(browse)
            form.addRow("Mean face file:", row)
            self.fields["meanface"] = edit
            self._hint(form, "meanface")
        if "coords" in t:
            co = QComboBox()
            co.addItems(["normalised", "pixels"])
            self._row(form, "Coordinates:", co, "coords", "coords")
            self._hint(form, "coords")
        if "heatmap_decoder" in t:
            sub = QComboBox()
            sub.addItems(["quarter", "quadratic", "none"])
            self._row(form, "Sub-pixel refinement:", sub, "heatmap_decoder", "subpixel")
            self._hint(form, "heatmap_decoder")
        if "provenance" in t:
            src = QLineEdit()
            src.setPlaceholderText("optional: where the model comes from (URL, paper)")
            self._row(form, "Source:", src, "provenance", "source")
        for note in self.notes:
            self._hint_text(form, note)
        return box

    def _hint_text(self, form: QFormLayout, text: str) -> None:
        hint = QLabel(text)
        hint.setWordWrap(True)
        hint.setStyleSheet(HINT)
        form.addRow("Note:", hint)

    # -- defaults and state --------------------------------------------------------------
    @Slot(str)
    def _apply_defaults(self, family: str) -> None:
        """Fill the asked fields from a built-in card of ``family``, else the proposal."""
        c = self.proposed
        tpl = family_template(family)
        inp = (
            tpl.input
            if tpl is not None and (tpl.input.colour == "gray") == (c.input.colour == "gray")
            else c.input
        )
        crop = tpl.crop if tpl is not None else c.crop
        self._crop_base = crop  # detector_pad and clip, which the dialog does not ask
        f = self.fields
        for topic, label in self.hints.items():
            told = " ".join(self.topics.get(x, "") for x in (topic, "colour", "normalisation"))
            label.setText(hint_text(topic, self.topics.get(topic, told), tpl))
        if "colour" in f:
            f["colour"].setCurrentText(inp.colour if inp.colour != "gray" else "rgb")
        if "pixel_scale" in f:
            f["pixel_scale"].setText(f"{inp.pixel_scale:.10g}")
            f["mean"].setText(_fmt(inp.mean))
            f["std"].setText(_fmt(inp.std))
        if "crop.rule" in f:
            f["crop.rule"].setCurrentText(crop.rule)
            f["crop.scale_factor"].setValue(crop.scale_factor)
            f["crop.enlarge"].setValue(crop.enlarge)
            f["crop.pad"].setText(_fmt(crop.pad))
            f["crop.box_source"].setCurrentText(crop.box_source)
        if "subpixel" in f:
            sub = tpl.decoder.subpixel if tpl is not None else c.decoder.subpixel
            f["subpixel"].setCurrentText(sub)
        if "coords" in f:
            f["coords"].setCurrentText(c.decoder.coords)

    def scheme(self) -> str | None:
        """The scheme the card will name (None: no known scheme, points without edges)."""
        w = self.fields.get("scheme")
        if w is None:
            return self.proposed.scheme
        text = w.currentText()
        return None if text == NO_SCHEME else text

    @Slot()
    def _update(self) -> None:
        f = self.fields
        if "crop.rule" in f:
            rule = f["crop.rule"].currentText()
            shown = {
                "crop.scale_factor": rule == "hrnet_center_scale",
                "crop.enlarge": rule == "box",
                "crop.pad": rule == "pipnet_box",
                "crop.box_source": rule in ("box", "pipnet_box"),
            }
            for key, on in shown.items():
                self.form.setRowVisible(f[key], on)
        self.warning.setText(self.scheme_warning())
        self.warning.setVisible(bool(self.warning.text()))
        missing = "meanface" in f and not f["meanface"].text().strip()
        self.save_button.setEnabled(not missing)
        folder = self.target.parent
        text = f"The card will be saved as {self.target}."
        if self.target.exists():
            text += " A card of that name already exists there and will be replaced."
        if not self.writable:
            text = f"The folder {folder} is read-only: you will be asked where to save the card."
        self.where.setText(text)

    def scheme_warning(self) -> str:
        """A warning when the card contradicts the open dataset's scheme, else ''."""
        k, scheme = self.proposed.num_points, self.scheme()
        ds_scheme, ds_k = self.dataset_scheme, self.dataset_points
        if ds_k is None and ds_scheme in SCHEMES:
            ds_k = SCHEMES[ds_scheme].num_points
        model = f"{k} points ({scheme or 'no known scheme'})"
        ds = f"{ds_k} points ({ds_scheme or 'no known scheme'})"
        if ds_k is not None and ds_k != k:
            return (
                f"This model predicts {model}; the open dataset has {ds}. Its predictions "
                "cannot be scored against this dataset's ground truth."
            )
        if scheme and ds_scheme and scheme != ds_scheme:
            return f"This model's scheme ({scheme}) differs from the open dataset's ({ds_scheme})."
        return ""

    @Slot()
    def _browse_meanface(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "PIPNet mean face", str(self.analysis.onnx.parent), "Text (*.txt);;All (*)"
        )
        if path:
            self.fields["meanface"].setText(path)

    # -- the card ------------------------------------------------------------------------
    def card(self, target: Path) -> ModelCard:
        """The card to write at ``target``; raises `CardError` (or ValueError) if a field is
        wrong. ``onnx`` and the mean face are written relative to ``target``'s folder."""
        c = copy.deepcopy(self.proposed)
        f = self.fields
        folder = target.resolve().parent
        c.onnx = os.path.relpath(self.analysis.onnx.resolve(), folder)
        c.path = target
        c.scheme = self.scheme()
        if "family" in f:
            c.family = f["family"].currentText()
        if "colour" in f:
            c.input.colour = f["colour"].currentText()
        if "pixel_scale" in f:
            try:
                c.input.pixel_scale = float(f["pixel_scale"].text())
                c.input.mean, c.input.std = _floats(f["mean"].text()), _floats(f["std"].text())
            except ValueError:
                raise ValueError("pixel scale, mean and std must be numbers") from None
        if "crop.rule" in f:
            pad = _floats(f["crop.pad"].text())
            if len(pad) != 4:
                raise ValueError("box pad needs 4 numbers (left, top, right, bottom)")
            rule = f["crop.rule"].currentText()
            c.crop = replace(
                self._crop_base,
                rule=rule,
                clip=self._crop_base.clip and rule in CLIP_RULES,  # only rules with a box
                scale_factor=f["crop.scale_factor"].value(),
                enlarge=f["crop.enlarge"].value(),
                pad=pad,  # type: ignore[arg-type]
                box_source=f["crop.box_source"].currentText(),
            )
        if "meanface" in f:
            mf = Path(f["meanface"].text().strip()).expanduser()
            if not mf.is_file():
                raise ValueError(f"mean face file {mf} does not exist")
            c.decoder.meanface = os.path.relpath(mf.resolve(), folder)
        if "coords" in f:
            c.decoder.coords = f["coords"].currentText()
        if "subpixel" in f:
            c.decoder.subpixel = f["subpixel"].currentText()
        if "source" in f:
            c.provenance.source = f["source"].text().strip()
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        # validate exactly what load_card will read back
        return card_from_dict(tomllib.loads(card_to_toml(c)), where=str(target), path=target)

    def ask_save_as(self) -> Path | None:
        """Where to save when the model's folder cannot be written (tests replace this)."""
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save the model card elsewhere (the model's folder is read-only)",
            str(Path.home() / self.target.name),
            "Model card (*.toml)",
        )
        return Path(path) if path else None

    @Slot()
    def save(self) -> None:
        """Write the card (beside the .onnx, or where the user says) and accept."""
        target = self.target
        self.writable = folder_writable(target.parent)
        if not self.writable:
            self._show_status(f"Cannot write {target}: the folder is read-only.")
            other = self.ask_save_as()
            if other is None:
                return
            target = other
        try:
            card = self.card(target)
        except (CardError, ValueError) as exc:
            self._show_status(f"Not saved: {exc}")
            return
        try:
            self.card_path = save_card(
                card,
                target,
                comment=f"Model card for {self.analysis.onnx.name}, "
                "proposed by facealign-gui from its ONNX shapes and checked by the user.",
            )
        except OSError as exc:
            self._show_status(
                f"Cannot write {target}: {exc.strerror or exc}. Choose a folder you can write to."
            )
            return
        self.accept()

    def _show_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()


class CardFlow(QObject):
    """Opening a bare .onnx from the window: propose (pool) → dialog (UI) → load (pool).

    ``ask=False`` (the command line) loads the proposal as it is unless something the decoder
    cannot run without is missing. `dialogShown` carries each dialog (tests drive it).
    """

    dialogShown = Signal(object)  # CardDialog

    def __init__(self, inspector: Inspector, parent: QWidget) -> None:
        super().__init__(parent)
        self.inspector = inspector
        self.window = parent
        self._pending: dict[str, bool] = {}
        inspector.hub.taskDone.connect(self._on_task)

    def open_onnx(self, path: str | Path, ask: bool = True) -> None:
        path = str(path)
        self._pending = {path: ask}  # the newest request wins
        self.inspector.message.emit(f"Reading the graph of {path} …")
        self.inspector.hub.run_task(("propose", path), lambda: analyse(path))

    @Slot(object)
    def _on_task(self, res: TaskResult) -> None:
        kind, path = res.tag
        if kind != "propose" or path not in self._pending:
            return
        ask = self._pending.pop(path)
        ins = self.inspector
        if res.error is not None:
            ins.problem.emit(ins._open_error("model", path, res.error))
            ins.message.emit(f"Could not open {path}")
            return
        analysis: Analysis = res.value
        if not ask and not required_missing(analysis.proposal.card):
            ins.open_model(path)
            return
        ds = ins.ds
        dlg = CardDialog(
            analysis,
            None if ds is None else ds.scheme,
            None if ds is None else ds.num_points,
            self.window,
        )
        dlg.finished.connect(lambda code, d=dlg: self._on_finished(d, code))
        ins.message.emit(f"Describe {Path(path).name} to add it")
        dlg.open()
        self.dialogShown.emit(dlg)

    def _on_finished(self, dlg: CardDialog, code: int) -> None:
        if code == QDialog.DialogCode.Accepted and dlg.card_path is not None:
            self.inspector.open_model(dlg.card_path)
        else:
            self.inspector.message.emit("No model added")
        dlg.deleteLater()
