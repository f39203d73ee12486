"""The answer every import gives: what was read, written, skipped (row by row) and why."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd


@dataclass
class ImportReport:
    file: str
    layer: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    outside: int = 0  # kept, but inside no grid cell
    masked: int = 0  # personal identifiers masked in text fields
    masked_rows: int = 0
    masked_fields: dict[str, int] = field(default_factory=dict)  # field -> identifiers masked in it
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)
    linked: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason): imported, linked as duplicates
    row_word: str = "line"
    notes: list[str] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)  # stage (read, validate, assign, write) -> seconds

    @property
    def written(self) -> int:
        return self.inserted + self.updated

    def summary(self) -> str:
        """One line for a terminal or a toast."""
        parts = [f"{self.layer}: {self.rows_read} read", f"{self.inserted} new", f"{self.updated} updated",
                 f"{self.unchanged} unchanged", f"{len(self.skipped)} skipped"]
        if self.layer in ("incidents", "cameras", "places", "ledger"):
            parts.append(f"{self.outside} outside every grid cell")
        if self.masked:
            parts.append(f"{self.masked} personal identifiers masked ({self.masked_by_field()})")
        if self.linked:
            parts.append(f"{len(self.linked)} linked as likely duplicates")
        return f"{self.file}: " + ", ".join(parts)

    def masked_by_field(self) -> str:
        """Where identifiers were masked, e.g. ``description 2, address 1`` (most first)."""
        ranked = sorted(self.masked_fields.items(), key=lambda kv: (-kv[1], kv[0]))
        return ", ".join(f"{name} {n}" for name, n in ranked)

    def skipped_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.skipped, columns=[self.row_word, "reason"])

    def reasons(self) -> dict[str, int]:
        """Skipped rows counted by reason kind (the text before any colon)."""
        out: dict[str, int] = {}
        for _row, reason in self.skipped:
            key = reason.split(":")[0]
            out[key] = out.get(key, 0) + 1
        return out

    def details(self, limit: int = 20) -> str:
        lines = [self.summary()]
        lines += [f"  note: {n}" for n in self.notes]
        for row, reason in self.linked[:limit]:
            lines.append(f"  linked {self.row_word} {row}: {reason}")
        for row, reason in self.skipped[:limit]:
            lines.append(f"  skipped {self.row_word} {row}: {reason}")
        if len(self.skipped) > limit:
            lines.append(f"  ... and {len(self.skipped) - limit} more skipped rows "
                         f"({', '.join(f'{k}: {v}' for k, v in self.reasons().items())})")
        return "\n".join(lines)
