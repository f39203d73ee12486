"""Importers: readers, column presets, validation report, coordinate conversion, PII guard."""
