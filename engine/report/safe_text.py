"""Making user-supplied text (names, ids) harmless in each place it is shown.

- a terminal: control characters (C0 but newline and tab, DEL, C1 such as ESC sequences),
  bidirectional overrides and the other invisible format characters (a zero-width space,
  U+200B) are shown as escapes (``\\x1b``, ``\\u202e``, ``\\u200b``), so a name cannot
  recolour, move the cursor, retitle the window, reorder what is printed or pass for another;
- a spreadsheet: a CSV cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
  gets a leading ``'`` so that it is shown as text, never run as a formula;
- an HTML page: bidirectional override and isolate characters are shown as escapes
  (HTML escaping itself is done where the page is built).
"""
from __future__ import annotations

import re

__all__ = ["BIDI_CONTROLS", "INVISIBLE", "csv_safe", "no_bidi", "terminal_safe", "xlsx_text"]

#: Bidirectional embedding/override (U+202A..U+202E) and isolate (U+2066..U+2069) characters.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
#: Every format character (Unicode category Cf: zero-width spaces and joiners, bidi controls,
#: the byte-order mark, tags...) and the line and paragraph separators (Zl, Zp): none shows.
INVISIBLE = ("\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f"
             "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
             "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
             "\U000e0020-\U000e007f")
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
_TERMINAL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{INVISIBLE}]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escape(match: re.Match) -> str:
    c = ord(match.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" if c < 0x10000 else f"\\U{c:08x}"


def terminal_safe(text: str) -> str:
    """``text`` with control, bidi and other invisible characters shown as escapes (newline
    and tab kept)."""
    return _TERMINAL.sub(_escape, text)


#: What a workbook cell cannot hold (the XML 1.0 controls openpyxl refuses) and bidi overrides.
_XLSX = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f{BIDI_CONTROLS}]")


def xlsx_text(text: str) -> str:
    """``text`` as a workbook cell may hold it: control and bidi characters as escapes.
    (Written as a string cell by the caller, so a leading ``=`` is never a formula.)"""
    return _XLSX.sub(_escape, text)


def no_bidi(text: str) -> str:
    """``text`` with bidi override and isolate characters shown as ``\\u202e`` escapes."""
    return _BIDI.sub(_escape, text)


_LEADING = "".join(chr(c) for c in range(0x21)) + "\x7f"   # whitespace and C0 controls


def _cell(value):
    """A CSV cell that no reader runs or splits: a bare carriage return shown as ``\\r``
    (a reader would start a new row at it), and text whose first visible character starts
    a formula (``=``, ``+``, ``-``, ``@``), after any leading whitespace or control
    character, gets a leading ``'``."""
    if not isinstance(value, str):
        return value
    value = value.replace("\r", "\\r")
    if value.startswith(_FORMULA_START) or value.lstrip(_LEADING).startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_safe(frame):
    """A copy of the DataFrame ``frame`` whose text cells, column names and index labels
    cannot start a spreadsheet formula (numbers are left alone: ``-0.5`` stays a number)."""
    import pandas as pd

    out = frame.copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map(_cell)
    out.columns = [_cell(c) for c in out.columns]
    out.index = out.index.map(_cell)
    return out
