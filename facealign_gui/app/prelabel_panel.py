"""The pre-labeller in the labelling dock: it learns from every accepted image, corrects the
next predictions, shows its leave-one-out effect and can be reset.

`PreLabelController` (Qt signals, no widgets) keeps a `session.prelabel.PreLabeller`, stored
as JSON in the session (`Session.setting("prelabel")`); `PreLabelPanel` is its few widgets.
The model's own prediction of a corrected image is kept beside it (role ``"raw"``), so the
pre-labeller always learns from what the model said, never from its own correction.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from facealign_gui.core.annotation import Prediction, Status
from facealign_gui.core.schemes import SCHEMES
from facealign_gui.core.shape_model import shipped_shape_model
from facealign_gui.session.prelabel import PreLabeller

__all__ = ["RAW_ROLE", "SETTING_KEY", "PreLabelController", "PreLabelPanel"]

SETTING_KEY = "prelabel"
RAW_ROLE = "raw"  # the model's prediction of an image whose primary one was corrected
SUFFIX = "+learned"


class PreLabelController(QObject):
    """Learns on accept, corrects arriving predictions (`filter`), persists, resets."""

    changed = Signal()
    message = Signal(str)

    def __init__(self, session: object, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.learned: list[int] = []
        self.labeller = self._fresh()
        self._load()

    # -- state -------------------------------------------------------------------------------
    def _fresh(self) -> PreLabeller:
        s = self.session
        k = int(s.num_points)  # type: ignore[attr-defined]
        scheme = SCHEMES.get(getattr(s, "scheme", None) or "")
        pdm = shipped_shape_model(getattr(s, "scheme", None))
        return PreLabeller(
            k, k,
            reference=None if pdm is None else pdm.mean,
            normaliser=None if scheme is None else scheme.normaliser_indices,
        )  # fmt: skip

    def _load(self) -> None:
        text = self.session.setting(SETTING_KEY)  # type: ignore[attr-defined]
        if not text:
            return
        try:
            doc = json.loads(text)
            self.labeller = PreLabeller.from_dict(doc["state"])
            self.learned = [int(i) for i in doc["images"]]
        except (ValueError, KeyError, TypeError) as exc:
            self.labeller, self.learned = self._fresh(), []
            self.message.emit(f"{self.session.path}: the stored pre-labeller was "  # type: ignore[attr-defined]
                              f"unreadable ({exc}); it starts afresh.")  # fmt: skip

    def save(self) -> None:
        doc = {"state": self.labeller.to_dict(), "images": self.learned}
        self.session.set_setting(SETTING_KEY, json.dumps(doc))  # type: ignore[attr-defined]

    def reset(self) -> None:
        self.labeller, self.learned = self._fresh(), []
        self.session.set_setting(SETTING_KEY, None)  # type: ignore[attr-defined]
        self.changed.emit()
        self.message.emit("Pre-labeller reset: the next predictions are the model's own.")

    # -- learning ----------------------------------------------------------------------------
    def raw_prediction(self, i: int) -> Prediction | None:
        s = self.session
        raw = s.prediction(i, role=RAW_ROLE)  # type: ignore[attr-defined]
        primary = s.prediction(i)  # type: ignore[attr-defined]
        if raw is not None and primary is not None and primary.model_id.endswith(SUFFIX):
            return raw
        return primary

    def on_image_changed(self, i: int) -> None:
        """After any edit of image ``i``: learn from it once it is verified; forget it when
        it is no longer verified (its accept undone, or edited again)."""
        s = self.session
        verified = s.status(i) is Status.VERIFIED  # type: ignore[attr-defined]
        if i in self.learned and not verified:
            self.forget(i)
            return
        if i in self.learned or not verified:
            return
        raw, ann = self.raw_prediction(i), s.annotation(i)  # type: ignore[attr-defined]
        if raw is None or ann is None:
            return
        if not (np.isfinite(raw.points).all() and np.isfinite(ann.points).all()):
            return
        self.labeller.add(raw.points, ann.points)
        self.learned.append(int(i))
        self.save()
        self.changed.emit()

    def forget(self, i: int) -> None:
        """Drop image ``i``'s face from what was learned (one refit)."""
        j = self.learned.index(i)
        state = self.labeller.to_dict()
        del state["x"][j]  # type: ignore[attr-defined]
        del state["y"][j]  # type: ignore[attr-defined]
        self.labeller = PreLabeller.from_dict(state)
        del self.learned[j]
        self.save()
        self.changed.emit()

    # -- using it ----------------------------------------------------------------------------
    def applies(self) -> bool:
        """Whether arriving predictions are corrected: only once the leave-one-out NME (3
        faces or more) says the corrected prediction beats the model's own."""
        if not self.labeller.ready():
            return False
        rep = self.labeller.loo_report()
        if rep is None:
            return False
        return rep.raw_nme is None or rep.corrected_nme < rep.raw_nme

    def filter(self, items: list[tuple]) -> list[tuple]:
        """Arriving ``(i, prediction, role[, scores])`` items with each primary prediction
        corrected (and the model's own kept as role ``"raw"``) when `applies`; unchanged
        otherwise."""
        if not self.applies():
            return items
        out: list[tuple] = []
        for item in items:
            i, pred, role = item[:3]
            if role != "primary" or not np.isfinite(pred.points).all():
                out.append(item)
                continue
            fixed = self.labeller.predict(pred.points)
            corrected = replace(pred, points=fixed, model_id=f"{pred.model_id}{SUFFIX}",
                                heatmaps=None)  # fmt: skip
            out.append((i, corrected, "primary", *item[3:]))
            out.append((i, replace(pred, heatmaps=None), RAW_ROLE))
        return out

    def summary(self) -> str:
        n = self.labeller.faces
        if n == 0:
            return "Pre-labeller: learns from the images you accept."
        rep = self.labeller.loo_report()
        if rep is None:
            return f"Pre-labeller: {n} face{'s' * (n != 1)} learned (NME shown from 3)."
        raw = "" if rep.raw_nme is None else f" vs raw {100 * rep.raw_nme:.2f} %"
        use = ("applied to new predictions" if self.applies()
               else "not applied: the model's own is better so far")  # fmt: skip
        return (f"Pre-labeller: {n} faces · leave-one-out NME corrected "
                f"{100 * rep.corrected_nme:.2f} %{raw} · {use}")  # fmt: skip


class PreLabelPanel(QWidget):
    """One line of text (the leave-one-out NME) and a Reset button."""

    def __init__(self, controller: PreLabelController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.c = controller
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.label = QLabel(self)
        self.label.setObjectName("prelabel")
        self.label.setWordWrap(True)
        self.reset_button = QPushButton("Reset", self)
        self.reset_button.setToolTip("Forget what the pre-labeller learned in this session")
        self.reset_button.clicked.connect(controller.reset)
        row.addWidget(self.label, 1)
        row.addWidget(self.reset_button)
        lay.addLayout(row)
        controller.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.label.setText(self.c.summary())
        self.reset_button.setEnabled(self.c.labeller.faces > 0)
