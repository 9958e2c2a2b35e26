"""Errors the directory services raise."""


class DirectoryError(Exception):
    """Base class of this package's errors."""


class DuplicateEntry(DirectoryError):
    """Another entry already has this code or name; `field` says which."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class ImportFailed(DirectoryError):
    """A CSV file has errors; nothing was imported. `errors` lists (line, message)."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


class NoRobot(Exception):
    """The entry has no group chat robot to send a test message to."""


class NoPhone(Exception):
    """The entry has no number to send a test SMS to."""
