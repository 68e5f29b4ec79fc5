"""Presentation of results: text tables, files (written atomically), plots."""
