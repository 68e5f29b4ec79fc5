"""How the supporters a rating rests on are written in tables, frames and reports (a light
module: the CLI's report code and the API both read it, and importing it costs nothing)."""
from __future__ import annotations


def rating_by_text(row) -> str:
    """``GC+SOE (AA+)``: the supporters of the ladder step that gave a tranche's rating and
    their grade, or ``-`` when the standalone structure (or another basis) gave it."""
    by = list(row.get("rating_by") or [])
    if not by:
        return "-"
    grade = next((s["grade"] for s in row.get("support_ladder") or ()
                  if list(s["supporters"]) == by), None)
    return "+".join(by) + (f" ({grade})" if grade else "")
