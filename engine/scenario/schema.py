"""The JSON Schema of the ``ipabs/v1`` scenario format, for editors and external tools.

This module owns what the schema says beyond the models: the draft it follows, its
title, and that a *file* gives ``assets`` or ``assets_file`` (the loaded model always
has ``assets``).
"""
from __future__ import annotations

from typing import Any

from engine.scenario.models import Scenario

__all__ = ["scenario_json_schema", "JSON_SCHEMA_DRAFT"]

JSON_SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a scenario file, keys by their YAML names.

    Returns
    -------
    dict
        A fresh schema dict; ``json.dumps`` it to hand it to an editor (e.g. the YAML
        language server's ``# yaml-language-server: $schema=...``).
    """
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    required = [k for k in schema.get("required", []) if k != "assets"]
    schema["required"] = required
    schema["oneOf"] = [{"required": ["assets"]}, {"required": ["assets_file"]}]
    return {
        "$schema": JSON_SCHEMA_DRAFT,
        "title": "IP-ABS scenario (ipabs/v1)",
        **{k: v for k, v in schema.items() if k != "title"},
    }
