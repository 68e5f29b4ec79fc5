"""Structurers' workflows on common random numbers: sensitivities, tranche sizing, design
comparison and golden regression."""
