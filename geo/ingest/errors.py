"""The one exception an import raises when a whole file is refused."""


class ImportRefused(ValueError):
    """The file as a whole cannot be imported; nothing was written. The message says why.

    Raised with a :class:`geo.ingest.reasons.Reason`, the message carries its code and values too
    (:attr:`reason`), so a page can say it in the user's language."""

    @property
    def reason(self) -> str:
        """What the exception was raised with: a ``Reason`` (a ``str``), or a plain message."""
        return self.args[0] if self.args and isinstance(self.args[0], str) else str(self)
