"""WFLW list lines that need a closer look: block parsing with ``file:line`` problems.

`read_wflw_list` reads a clean file in one pandas pass; a file with any doubtful line comes
here. `read_lines` is the reference (one line at a time); `read_careful` gives exactly its
result, parsing the rows with the right token count together and sending only the rows a
whole-array check rejects through `parse_line` for their message.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections import Counter

import numpy as np

from facealign_gui.datasets._common import BAD_CHAR
from facealign_gui.datasets.model import DatasetError, Problem


def bad_rows(values: np.ndarray, n_coord: int, with_rect: bool) -> np.ndarray:
    """Rows `parse_line` would reject for their numbers (NaN/inf, flags, rect)."""
    bad = ~np.isfinite(values).all(axis=1)
    if with_rect:
        flags = values[:, n_coord + 4 :]
        bad |= ~((flags == 0.0) | (flags == 1.0)).all(axis=1)
        rect = values[:, n_coord : n_coord + 4]
        bad |= (rect[:, 2] < rect[:, 0]) | (rect[:, 3] < rect[:, 1])
    return bad


def read_careful(
    text: str, label: str, n_coord: int
) -> tuple[list[str], np.ndarray, bool, list[str], list[Problem]]:
    """Parse naming every bad row (``file:line``) and keeping the good ones.

    Gives exactly what `read_lines` gives, faster: the rows with the right token count are
    parsed together (`parse_block`); only the lines that fail a whole-array check go
    through `parse_line` for their message.
    """
    lines = text.split("\n")
    tokens = [ln.split() for ln in lines]
    counts = Counter(len(t) for t in tokens if t)
    if not counts:
        raise DatasetError(Problem(label, None, "empty file (expected WFLW list lines)", True))
    with_rect = counts.get(n_coord + 11, 0) >= counts.get(n_coord + 1, 0)
    expected = n_coord + 11 if with_rect else n_coord + 1
    junk = BAD_CHAR in text
    block = [
        i
        for i, t in enumerate(tokens)
        if len(t) == expected and not (junk and BAD_CHAR in lines[i])
    ]
    parsed = None
    if expected >= 2 and "\x00" not in text:
        parsed = parse_block([tokens[i] for i in block], n_coord, with_rect)
    if parsed is None:
        return read_lines(text, label, n_coord)
    values, bad = parsed
    row_of = dict(zip(block, range(len(block)), strict=True))
    keep: list[int] = []
    names: list[str] = []
    sources: list[str] = []
    problems: list[Problem] = []
    for i, toks in enumerate(tokens):
        if not toks:
            continue
        r = row_of.get(i)
        if r is None or bad[r]:
            if junk and BAD_CHAR in lines[i]:
                msg, row = "not UTF-8 text (binary junk?)", None
            else:
                msg, row = parse_line(toks, expected, n_coord, with_rect)
            if msg or r is None:  # a line outside the block always has a message
                problems.append(Problem(label, i + 1, msg, fatal=True))
                continue
            values[r] = row
        keep.append(r)
        names.append(toks[-1])
        sources.append(f"{label}:{i + 1}")
    return names, values[np.array(keep, dtype=np.int64)], with_rect, sources, problems


def parse_block(
    rows: list[list[str]], n_coord: int, with_rect: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """Numbers of token rows of equal length (name last), and which rows are bad.

    pandas' C parser reads the columns; a column it cannot read as numbers is converted by
    numpy, the same converter `parse_line` uses, token by token where needed. None when
    pandas sees a different shape (the caller then goes line by line).
    """
    import pandas as pd

    ncol = len(rows[0]) - 1 if rows else 0
    if not rows:
        return np.empty((0, ncol)), np.zeros(0, dtype=bool)
    try:
        with warnings.catch_warnings():
            # a column with a bad token is caught below (its dtype is not numeric)
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            df = pd.read_csv(
                io.StringIO("\n".join([" ".join(t[:-1]) for t in rows])),
                sep=" ",
                header=None,
                quoting=csv.QUOTE_NONE,
                na_filter=False,
                skip_blank_lines=False,
                engine="c",
            )
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError):
        return None
    if df.shape != (len(rows), ncol):
        return None
    bad = np.zeros(len(rows), dtype=bool)
    kinds = [dt.kind for dt in df.dtypes]
    if all(k in "fi" for k in kinds):
        values = df.to_numpy(dtype=np.float64)
    else:
        values = np.empty((len(rows), ncol), dtype=np.float64)
        for j, kind in enumerate(kinds):
            if kind in "fi":
                values[:, j] = df.iloc[:, j].to_numpy(dtype=np.float64)
                continue
            col = [t[j] for t in rows]
            try:
                values[:, j] = np.array(col, dtype=np.float64)
            except ValueError:
                for r, tok in enumerate(col):
                    try:
                        values[r, j] = np.array([tok], dtype=np.float64)[0]
                    except ValueError:
                        values[r, j] = np.nan
                        bad[r] = True
    bad |= bad_rows(values, n_coord, with_rect)
    return values, bad


def read_lines(
    text: str, label: str, n_coord: int
) -> tuple[list[str], np.ndarray, bool, list[str], list[Problem]]:
    """One line at a time: the reference behaviour, and the fallback of `read_careful`."""
    lines = text.split("\n")
    counts = Counter(len(ln.split()) for ln in lines if ln.strip())
    if not counts:
        raise DatasetError(Problem(label, None, "empty file (expected WFLW list lines)", True))
    with_rect = counts.get(n_coord + 11, 0) >= counts.get(n_coord + 1, 0)
    expected = n_coord + 11 if with_rect else n_coord + 1

    names: list[str] = []
    rows: list[np.ndarray] = []
    sources: list[str] = []
    problems: list[Problem] = []
    for lineno, line in enumerate(lines, start=1):
        tokens = line.split()
        if not tokens:
            continue
        if BAD_CHAR in line:
            msg, row = "not UTF-8 text (binary junk?)", None
        else:
            msg, row = parse_line(tokens, expected, n_coord, with_rect)
        if msg:
            problems.append(Problem(label, lineno, msg, fatal=True))
            continue
        names.append(tokens[-1])
        rows.append(row)  # type: ignore[arg-type]
        sources.append(f"{label}:{lineno}")
    values = np.array(rows, dtype=np.float64).reshape(len(rows), expected - 1)
    return names, values, with_rect, sources, problems


def parse_line(
    tokens: list[str], expected: int, n_coord: int, with_rect: bool
) -> tuple[str, np.ndarray | None]:
    if len(tokens) != expected:
        return (
            f"expected {expected} values ({n_coord // 2} points"
            + (", rect, 6 attributes" if with_rect else "")
            + f", image name), found {len(tokens)}",
            None,
        )
    try:
        row = np.array(tokens[:-1], dtype=np.float64)
    except ValueError:
        bad = next(t for t in tokens[:-1] if not is_number(t))
        return f"not a number: {bad!r}", None
    if not np.isfinite(row).all():
        return "coordinates must be finite numbers (found NaN or inf)", None
    if with_rect:
        flags = row[n_coord + 4 :]
        if not np.isin(flags, (0.0, 1.0)).all():
            return f"attribute flags must be 0 or 1, found {flags.tolist()}", None
        x1, y1, x2, y2 = row[n_coord : n_coord + 4]
        if x2 < x1 or y2 < y1:
            return f"face rect has x_max < x_min or y_max < y_min: {[x1, y1, x2, y2]}", None
    return "", row


def is_number(tok: str) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True
