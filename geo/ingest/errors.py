"""The one exception an import raises when a whole file is refused."""


class ImportRefused(ValueError):
    """The file as a whole cannot be imported; nothing was written. The message says why."""
