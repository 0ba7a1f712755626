"""A small TOML writer for model cards (strings, numbers, booleans, lists, tables).

Enough for what `ModelCard.to_dict` produces: scalars and lists of scalars at any level,
nested tables, and arrays of tables (``[[provenance.published]]``). ``None`` values are
left out (TOML has no null).
"""

from __future__ import annotations

import math
from typing import Any


def _key(k: str) -> str:
    if k and all(c.isalnum() or c in "-_" for c in k):
        return k
    return _string(k)


def _string(s: str) -> str:
    out = ['"']
    for c in s:
        if c == "\\":
            out.append("\\\\")
        elif c == '"':
            out.append('\\"')
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} value {v!r} to TOML")


def _is_table_array(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(isinstance(x, dict) for x in v)


def _emit(table: dict[str, Any], prefix: str, lines: list[str]) -> None:
    subtables: list[tuple[str, dict[str, Any]]] = []
    arrays: list[tuple[str, list[dict[str, Any]]]] = []
    for k, v in table.items():
        if v is None:
            continue
        if isinstance(v, dict):
            subtables.append((k, v))
        elif _is_table_array(v):
            arrays.append((k, v))
        else:
            lines.append(f"{_key(k)} = {_scalar(v)}")
    for k, sub in subtables:
        name = f"{prefix}{_key(k)}"
        lines.append("")
        lines.append(f"[{name}]")
        _emit(sub, name + ".", lines)
    for k, items in arrays:
        name = f"{prefix}{_key(k)}"
        for item in items:
            lines.append("")
            lines.append(f"[[{name}]]")
            _emit(item, name + ".", lines)


def dumps_toml(data: dict[str, Any]) -> str:
    """``data`` as TOML text."""
    lines: list[str] = []
    _emit(data, "", lines)
    return "\n".join(lines).lstrip("\n") + "\n"
