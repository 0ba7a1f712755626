"""The one table of dataset formats: their names, how each is recognised, read and written.

Everything that has to know the formats reads this table: `datasets.io` (``open_dataset``,
``write_dataset``), format detection (`datasets.sniff`), the session export dialog, the
window's file filter and every command's ``--format`` help. Adding a format is one module
(its reader, writer and sniffer) and one `register` line at the bottom of this file.

The table is light to import (no numpy): readers, writers and sniffers are named as
``"module:function"`` and imported the first time they are used, so a command's ``--help``
loads nothing heavy. A plain callable works too (tests register formats that way).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from facealign_gui.datasets.model import Dataset
    from facealign_gui.datasets.sniff import Probe

Ref = str | Callable[..., Any]  # "package.module:function", or the function itself

# How sure a sniffer is, from its ``sniff(probe)`` return value; detection takes the highest
# score, ties going to the format registered first.
NO, BY_NAME, BY_CONTENT, BY_SIGNATURE = 0, 1, 2, 3


@dataclass(frozen=True)
class Format:
    """One dataset format.

    Parameters
    ----------
    name : canonical name, as ``--format`` takes it and `Dataset.format` holds it.
    label : what dialogs and help call it, e.g. ``"HRNet CSV (.csv)"``.
    read : ``f(path) -> Dataset`` (``f(path, image_root=...)`` when ``image_root``).
    write : ``f(dataset, path) -> None``, atomic; None for a read-only format.
    sniff : ``f(probe: sniff.Probe) -> int``, one of `NO`, `BY_NAME`, `BY_CONTENT`,
        `BY_SIGNATURE`; None: never detected, only named.
    aliases : other spellings ``--format`` accepts.
    suffixes : file endings it is read from and written to (``".csv"``); the first is the
        one an export suggests. Empty for a folder format.
    folder : written as a folder (one file per image) rather than one file.
    image_root : the reader takes ``image_root=`` (the folder image names are relative to).
    schemes : the landmark schemes the writer can hold (None: any number of points).
    export : offered by the labelling session's export dialog.
    """

    name: str
    label: str
    read: Ref | None = None
    write: Ref | None = None
    sniff: Ref | None = None
    aliases: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    folder: bool = False
    image_root: bool = False
    schemes: tuple[str, ...] | None = None
    export: bool = False

    @property
    def readable(self) -> bool:
        return self.read is not None

    @property
    def writable(self) -> bool:
        return self.write is not None

    @property
    def suffix(self) -> str:
        """The ending an export suggests (``""`` for a folder)."""
        return self.suffixes[0] if self.suffixes and not self.folder else ""

    def read_dataset(self, path: Path, image_root: str | Path | None = None) -> Dataset:
        """Read ``path`` with this format's reader."""
        if self.read is None:
            raise _error(f"{self.name} cannot be read")
        fn = _resolve(self.read)
        return fn(path, image_root=image_root) if self.image_root else fn(path)

    def write_dataset(self, ds: Dataset, path: Path) -> None:
        """Write ``ds`` to ``path`` with this format's writer (no safety checks: use
        `io.write_dataset`)."""
        if self.write is None:
            raise _error(f"cannot write {self.name}; writable formats: {names_text(True)}")
        _resolve(self.write)(ds, path)

    def sniff_score(self, probe: Probe) -> int:
        """How sure this format is that ``probe`` is one of its files (0: not at all)."""
        return NO if self.sniff is None else int(_resolve(self.sniff)(probe))

    def cannot_write(self, scheme: str | None, num_points: int | None) -> str | None:
        """Why a dataset of ``scheme`` / ``num_points`` cannot be written (None: it can).

        Refused here rather than written and then unreadable: a WFLW list holds 98 points.
        """
        if self.schemes is None or num_points is None:
            return None
        from facealign_gui.core.schemes import get_scheme

        counts = sorted({get_scheme(s).num_points for s in self.schemes})
        if (scheme is None or scheme in self.schemes) and num_points in counts:
            return None
        others = ", ".join(f.label for f in writable_formats() if f.schemes is None)
        if num_points in counts:  # the right count, another scheme's points
            holds = " or ".join(self.schemes)
            return f"a {self.label} holds {holds}, this dataset is {scheme}; write {others} instead"
        holds = " or ".join(str(n) for n in counts)
        has = f"{num_points} ({scheme})" if scheme else str(num_points)
        return (
            f"a {self.label} holds {holds} points per face, this dataset has {has}; "
            f"write {others} instead"
        )


_REGISTRY: dict[str, Format] = {}


def register(fmt: Format, *, replace: bool = False) -> Format:
    """Add ``fmt`` to the table (its name and aliases must be new unless ``replace``)."""
    taken = {key: f.name for f in _REGISTRY.values() for key in (f.name, *f.aliases)}
    for key in (fmt.name, *fmt.aliases):
        owner = taken.get(key)
        if owner is not None and not (replace and owner == fmt.name):
            raise ValueError(f"format name {key!r} is already taken by {owner!r}")
    _REGISTRY[fmt.name] = fmt
    return fmt


def unregister(name: str) -> None:
    """Remove a format (tests use it to undo a `register`)."""
    _REGISTRY.pop(name, None)


def all_formats() -> tuple[Format, ...]:
    """Every format, in registration order (the order of help texts and detection ties)."""
    return tuple(_REGISTRY.values())


def readable_formats() -> tuple[Format, ...]:
    return tuple(f for f in _REGISTRY.values() if f.readable)


def writable_formats() -> tuple[Format, ...]:
    return tuple(f for f in _REGISTRY.values() if f.writable)


def export_formats() -> tuple[Format, ...]:
    """The formats the session export dialog offers."""
    return tuple(f for f in _REGISTRY.values() if f.export and f.writable)


def get_format(name: str) -> Format:
    """The format called ``name`` (any case, ``-`` or ``_``, or an alias); `DatasetError`
    listing the known ones otherwise."""
    key = name.strip().lower().replace("-", "_")
    for f in _REGISTRY.values():
        if key == f.name or key in f.aliases:
            return f
    raise _error(f"unknown format {name!r}; known: {names_text()}")


def names_text(writable: bool = False) -> str:
    """``"hrnet_csv, wflw_list, ..."``: the names a ``--format`` help lists."""
    fmts = writable_formats() if writable else readable_formats()
    return ", ".join(f.name for f in fmts)


def output_suffixes_text() -> str:
    """``".csv, .txt, .json"``: the file endings a writer is chosen by."""
    seen: list[str] = []
    for f in writable_formats():
        seen += [s for s in f.suffixes if not f.folder and s not in seen]
    return ", ".join(seen)


def for_output_suffix(suffix: str, current: str | None = None) -> Format | None:
    """The writer an output name ending in ``suffix`` asks for (``""``: a folder format).

    When several formats write that ending, the dataset's own format (``current``) wins,
    else the first registered (``.csv``: HRNet CSV, unless the dataset is a Kaggle CSV).
    """
    suffix = suffix.lower()
    found = [
        f
        for f in writable_formats()
        if (f.folder and suffix == "") or (not f.folder and suffix in f.suffixes)
    ]
    for f in found:
        if f.name == current:
            return f
    return found[0] if found else None


def open_file_filter() -> str:
    """The window's Open dataset filter, e.g. ``"Annotations (*.csv *.txt);;All files (*)"``."""
    seen: list[str] = []
    for f in readable_formats():
        seen += [f"*{s}" for s in f.suffixes if f"*{s}" not in seen]
    return f"Annotations ({' '.join(seen)});;All files (*)"


def _resolve(ref: Ref) -> Callable[..., Any]:
    if callable(ref):
        return ref
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def _error(message: str) -> Exception:
    from facealign_gui.datasets.model import DatasetError

    return DatasetError(message)


def _read_pts(path: Path) -> Dataset:
    """A ``.pts`` folder, or one ``.pts`` file."""
    from facealign_gui.datasets.pts import read_pts_file, read_pts_folder

    return read_pts_folder(path) if Path(path).is_dir() else read_pts_file(path)


_D = "facealign_gui.datasets."
_S = "facealign_gui.datasets.sniff:"

# The table. Order matters twice: help texts list formats in it, and when two sniffers are
# equally sure the first one wins.
register(
    Format(
        "hrnet_csv",
        "HRNet CSV (.csv)",
        read=_D + "hrnet_csv:read_hrnet_csv",
        write=_D + "hrnet_csv:write_hrnet_csv",
        sniff=_S + "hrnet_csv",
        aliases=("hrnet", "csv", "aflw_csv"),
        suffixes=(".csv",),
        image_root=True,
        export=True,
    )
)
register(
    Format(
        "wflw_list",
        "WFLW list (.txt)",
        read=_D + "wflw_list:read_wflw_list",
        write=_D + "wflw_list:write_wflw_list",
        sniff=_S + "wflw_list",
        aliases=("wflw",),
        suffixes=(".txt",),
        image_root=True,
        schemes=("wflw98",),
        export=True,
    )
)
register(
    Format(
        "cofw_mat",
        "COFW .mat",
        read=_D + "cofw_mat:read_cofw_mat",
        sniff=_S + "cofw_mat",
        aliases=("cofw", "mat"),
        suffixes=(".mat",),
    )
)
register(
    Format(
        "pts",
        "iBUG .pts folder",
        read=_read_pts,
        write=_D + "pts:write_pts_folder",
        sniff=_S + "pts",
        suffixes=(".pts",),
        folder=True,
        export=True,
    )
)
register(
    Format(
        "kaggle_csv",
        "Kaggle CSV (.csv)",
        read=_D + "kaggle_csv:read_kaggle_csv",
        write=_D + "kaggle_csv:write_kaggle_csv",
        sniff=_S + "kaggle_csv",
        aliases=("kaggle",),
        suffixes=(".csv",),
        schemes=("kaggle15",),
    )
)
register(
    Format(
        "coco",
        "COCO keypoints (.json)",
        read=_D + "coco:read_coco",
        write=_D + "coco:write_coco",
        sniff=_D + "coco:sniff_coco",
        aliases=("coco_json", "coco_keypoints", "json"),
        suffixes=(".json",),
        image_root=True,
        export=True,
    )
)
register(
    Format(
        "image_folder",
        "Image folder",
        read=_D + "image_folder:read_image_folder",
        sniff=_S + "image_folder",
        aliases=("folder", "images"),
        folder=True,
    )
)
