"""Printable documents: PDF pages from tables, figures and static maps (no database, no UI).

Callers gather the figures (``geo.store``) and the words (labels in the page's language) and
hand them over; this package only lays them out, fully offline.
"""
