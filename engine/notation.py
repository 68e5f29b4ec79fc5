"""How a support floor is written in tables, frames and reports (a light module: the CLI's
report code and the API both read it, and importing it costs nothing)."""
from __future__ import annotations


def floor_text(floor) -> str:
    """``AA+sf (SC+SCG)`` or ``-``."""
    return "-" if not floor else f"{floor['rating']} ({'+'.join(floor['by'])})"
