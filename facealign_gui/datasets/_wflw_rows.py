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


def layout(counts: list[int], label: str, n_coord: int) -> tuple[bool, int]:
    """(rect+attribute list?, tokens per line) from every line's token count.

    The kind most lines have wins (rect+attribute on a tie). A file where no line has
    either length is not a WFLW list for ``n_coord / 2`` points: one problem says so,
    naming the first line, instead of one per line.
    """
    tally = Counter(c for c in counts if c)
    if not tally:
        raise DatasetError(Problem(label, None, "empty file (expected WFLW list lines)", True))
    rect, plain = tally.get(n_coord + 11, 0), tally.get(n_coord + 1, 0)
    if not rect and not plain:
        first = next(i for i, c in enumerate(counts) if c)
        common, _ = tally.most_common(1)[0]
        raise DatasetError(
            Problem(
                label,
                first + 1,
                f"no line has the {n_coord + 11} values of a WFLW rect+attribute list or the "
                f"{n_coord + 1} of a points list ({n_coord // 2} points); this line has "
                f"{counts[first]}, most have {common}",
                True,
            )
        )
    with_rect = rect >= plain
    return with_rect, n_coord + 11 if with_rect else n_coord + 1


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
    with_rect, expected = layout([len(t) for t in tokens], label, n_coord)
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
    ncol = len(rows[0]) - 1 if rows else 0
    if not rows:
        return np.empty((0, ncol)), np.zeros(0, dtype=bool)
    text = "\n".join([" ".join(t[:-1]) for t in rows])
    return _pandas_block(text.encode("utf-8"), len(rows), ncol, n_coord, with_rect)


def _pandas_block(
    body: bytes, nrows: int, ncol: int, n_coord: int, with_rect: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """`parse_block` on the text of the rows (numbers only, one row a line)."""
    import pandas as pd

    try:
        with warnings.catch_warnings():
            # a column with a bad token is caught below (its dtype is not numeric)
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            df = pd.read_csv(
                io.BytesIO(body),
                sep=" ",
                header=None,
                quoting=csv.QUOTE_NONE,
                na_filter=False,
                skip_blank_lines=False,
                engine="c",
            )
    except (ValueError, TypeError, OverflowError, pd.errors.ParserError):
        return None
    if df.shape != (nrows, ncol):
        return None
    return _frame_values(df, n_coord, with_rect)


def _frame_values(df: object, n_coord: int, with_rect: bool) -> tuple[np.ndarray, np.ndarray]:
    """float64 values of a frame of number columns, and which rows hold a bad one."""
    nrows, ncol = df.shape  # type: ignore[attr-defined]
    bad = np.zeros(nrows, dtype=bool)
    kinds = [dt.kind for dt in df.dtypes]  # type: ignore[attr-defined]
    if all(k in "fi" for k in kinds):
        values = df.to_numpy(dtype=np.float64)  # type: ignore[attr-defined]
    else:
        values = np.empty((nrows, ncol), dtype=np.float64)
        numeric = [j for j, kind in enumerate(kinds) if kind in "fi"]
        frame = df.iloc[:, numeric]  # type: ignore[attr-defined]
        values[:, numeric] = frame.to_numpy(dtype=np.float64)  # one block, not column by column
        for j, kind in enumerate(kinds):
            if kind in "fi":
                continue
            # the tokens (or the numbers pandas already parsed, in a mixed column)
            col = df.iloc[:, j].tolist()  # type: ignore[attr-defined]
            if kind == "b" or any(isinstance(tok, bool) for tok in col):
                # pandas read "True"/"False" as booleans, numpy would take them as 1/0: those
                # rows go to `parse_line`, which calls them what they are (not numbers)
                flags = np.array([isinstance(tok, bool) for tok in col])
                bad |= flags
                col = [0.0 if f else tok for tok, f in zip(col, flags.tolist(), strict=True)]
            try:
                values[:, j] = np.array(col, dtype=np.float64)
            except (ValueError, TypeError):
                for r, tok in enumerate(col):
                    try:
                        values[r, j] = np.array([tok], dtype=np.float64)[0]
                    except (ValueError, TypeError):
                        values[r, j] = np.nan
                        bad[r] = True
    bad |= bad_rows(values, n_coord, with_rect)
    return values, bad


def read_lines(
    text: str, label: str, n_coord: int
) -> tuple[list[str], np.ndarray, bool, list[str], list[Problem]]:
    """One line at a time: the reference behaviour, and the fallback of `read_careful`."""
    lines = text.split("\n")
    with_rect, expected = layout([len(ln.split()) for ln in lines], label, n_coord)

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


# bytes that str.split() treats as whitespace (besides the one space a plain line uses) and
# NUL: a line holding one is decoded and split on its own
_ODD = (b"\t", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x1f", b"\x00", b"  ")


def read_mixed(
    data: bytes, label: str, n_coord: int
) -> tuple[list[str], np.ndarray, bool, list[str], list[Problem]]:
    """`read_lines`' result from the raw bytes, falling back per line, never per file.

    A plain line (ASCII, fields separated by single spaces) is tokenised by pandas' C parser
    together with every other plain line of the right length; only the other lines (odd
    whitespace, NUL, non-ASCII, wrong length) and the rows a whole-array check rejects are
    decoded and parsed one by one (`parse_line`), for their message. One bad line among
    10,000 therefore costs about one line.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = data.split(b"\n")
    odd = _odd_lines(data, lines)
    counts = [0] * len(lines)
    split: dict[int, list[str]] = {}  # odd lines, decoded and split as read_lines does
    for i, ln in enumerate(lines):
        if i in odd:
            tokens = ln.decode("utf-8", errors="replace").replace("\x00", BAD_CHAR).split()
            split[i] = tokens
            counts[i] = len(tokens)
        elif ln:
            counts[i] = ln.count(b" ") + 1
    with_rect, expected = layout(counts, label, n_coord)
    block = [i for i, c in enumerate(counts) if c == expected and i not in odd]
    values, bad = _parse_plain([lines[i] for i in block], expected - 1, n_coord, with_rect)
    row_of = dict(zip(block, range(len(block)), strict=True))
    keep: list[int] = []
    extra: list[np.ndarray] = []  # odd lines that parse: appended after the block rows
    names: list[str] = []
    sources: list[str] = []
    problems: list[Problem] = []
    for i, c in enumerate(counts):
        if not c:
            continue
        r = row_of.get(i)
        if r is not None and not bad[r]:
            keep.append(r)
            names.append(lines[i][lines[i].rindex(b" ") + 1 :].decode("ascii"))
            sources.append(f"{label}:{i + 1}")
            continue
        tokens = split[i] if i in split else lines[i].decode("ascii").split()
        if any(BAD_CHAR in t for t in tokens):
            msg, row = "not UTF-8 text (binary junk?)", None
        else:
            msg, row = parse_line(tokens, expected, n_coord, with_rect)
        if msg:
            problems.append(Problem(label, i + 1, msg, fatal=True))
            continue
        assert row is not None
        if r is None:
            keep.append(len(block) + len(extra))
            extra.append(row)
        else:
            values[r] = row
            keep.append(r)
        names.append(tokens[-1])
        sources.append(f"{label}:{i + 1}")
    if extra:
        values = np.concatenate([values, np.array(extra, dtype=np.float64)])
    return names, values[np.array(keep, dtype=np.int64)], with_rect, sources, problems


def _odd_lines(data: bytes, lines: list[bytes]) -> set[int]:
    """Indices of the lines a plain ``split(b" ")`` would not tokenise as ``str.split``."""
    odd: set[int] = set()
    if data.isascii() and not any(b in data for b in _ODD):
        starts = None
    else:
        starts = np.cumsum([0] + [len(ln) + 1 for ln in lines[:-1]])
        for b in _ODD:
            at = data.find(b)
            while at >= 0:
                i = int(np.searchsorted(starts, at, side="right")) - 1
                odd.add(i)
                at = data.find(b, int(starts[i + 1]) if i + 1 < len(starts) else len(data))
        if not data.isascii():
            odd.update(i for i, ln in enumerate(lines) if not ln.isascii())
    if data.startswith(b" ") or b"\n " in data or b" \n" in data or data.endswith(b" "):
        odd.update(i for i, ln in enumerate(lines) if ln.startswith(b" ") or ln.endswith(b" "))
    return odd


def _parse_plain(
    lines: list[bytes], ncol: int, n_coord: int, with_rect: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Numbers of plain lines with ``ncol`` numbers and a name each, and which rows are bad.

    The names are cut off and the rest parsed by `parse_block`'s pandas pass; when pandas
    cannot (a shape it disagrees on), the lines are parsed one by one.
    """
    if not lines:
        return np.empty((0, ncol)), np.zeros(0, dtype=bool)
    body = b"\n".join([ln[: ln.rindex(b" ")] for ln in lines])
    parsed = _pandas_block(body, len(lines), ncol, n_coord, with_rect)
    if parsed is not None:
        return parsed
    values = np.full((len(lines), ncol), np.nan)
    bad = np.zeros(len(lines), dtype=bool)
    for r, ln in enumerate(lines):
        msg, row = parse_line(ln.decode("ascii").split(), ncol + 1, n_coord, with_rect)
        if msg:
            bad[r] = True
        else:
            values[r] = row
    return values, bad


def blank_junk_lines(data: bytes) -> tuple[bytes, dict[int, list[str]]] | None:
    """``data`` with its NUL / non-ASCII / blank inner lines replaced by a row of ``inf`` (so
    pandas parses the rest as one table of numbers), and those lines' tokens as
    `read_lines` sees them; None when there are none or too many (then the per-line
    reader is as fast)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    blank = data.startswith((b"\n", b"\r\n")) or b"\n\n" in data or b"\n\r\n" in data
    if data.isascii() and b"\x00" not in data and not blank:
        return None
    lines = data.split(b"\n")
    last = len(lines) - 1
    junk = [
        i
        for i, ln in enumerate(lines)
        if b"\x00" in ln or not ln.isascii() or (blank and i < last and not ln.strip())
    ]
    if not junk or len(junk) * 20 > len(lines):
        return None
    odd = set(junk)
    clean = next((ln for i, ln in enumerate(lines) if ln.strip() and i not in odd), b"")
    # a stand-in pandas reads as numbers (so no column turns to text) that fails the
    # finiteness check, so the row is redone from the real line's tokens
    stand_in = b" ".join([b"inf"] * (len(clean.split()) - 1) + [b"_"])
    tokens: dict[int, list[str]] = {}
    for i in junk:
        text = lines[i].decode("utf-8", errors="replace").replace("\x00", BAD_CHAR)
        tokens[i] = text.replace("\r", " ").split()  # a CRLF file's \r goes with the line
        lines[i] = stand_in
    return b"\n".join(lines), tokens


def salvage_frame(
    df: object,
    data: bytes,
    ncols: int,
    label: str,
    n_coord: int,
    junk: dict[int, list[str]] | None = None,
) -> tuple[list[str], np.ndarray, bool, list[str], list[Problem]] | None:
    """`read_lines`' result from the whole-file pandas frame the fast path rejected.

    Used when pandas parsed the file as one table (ASCII, one line a row): the rows that
    fail a whole-array check are re-read from their own line with `parse_line`, the others
    are kept as parsed; ``junk`` gives the tokens of lines `blank_junk_lines` emptied. None
    when the rows cannot be matched to lines (lone CR line ends,
    say) or the layout most lines have differs from the first line's.
    """
    junk = junk or {}
    lines = data.split(b"\n")
    if lines and not lines[-1].strip() and len(lines) - 1 not in junk:
        lines.pop()  # the final newline (pandas ignores it too)
    if len(lines) != df.shape[0] or any(i >= len(lines) for i in junk):  # type: ignore[attr-defined]
        return None  # (a junk line the frame's parse trimmed off the end)
    with_rect = ncols == n_coord + 11
    values, bad = _frame_values(df.iloc[:, :-1], n_coord, with_rect)  # type: ignore[attr-defined]
    names = df.iloc[:, -1].tolist()  # type: ignore[attr-defined]
    for r, name in enumerate(names):
        if not isinstance(name, str) or not name or name.split() != [name]:
            bad[r] = True
    redo = np.flatnonzero(bad).tolist()
    tokens = {r: junk[r] if r in junk else lines[r].decode("ascii").split() for r in redo}
    counts = [ncols] * len(lines)
    for r in redo:
        counts[r] = len(tokens[r])
    if layout(counts, label, n_coord) != (with_rect, ncols):
        return None
    problems: list[Problem] = []
    drop: list[int] = []
    for r in redo:
        if not tokens[r]:  # a blank line: skipped, as line by line
            drop.append(r)
            continue
        if r in junk and any(BAD_CHAR in t for t in tokens[r]):
            msg, row = "not UTF-8 text (binary junk?)", None
        else:
            msg, row = parse_line(tokens[r], ncols, n_coord, with_rect)
        if msg:
            problems.append(Problem(label, r + 1, msg, fatal=True))
            drop.append(r)
            continue
        values[r] = row
        names[r] = tokens[r][-1]
    keep = np.ones(len(lines), dtype=bool)
    keep[drop] = False
    rows = np.flatnonzero(keep)
    sources = [f"{label}:{r + 1}" for r in rows.tolist()]
    return [names[r] for r in rows.tolist()], values[rows], with_rect, sources, problems
