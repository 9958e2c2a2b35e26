"""Errors the work-order services raise; routes turn them into messages and 4xx answers."""


class WorkOrderError(Exception):
    """Base class of this package's errors."""


class OrderNotFound(WorkOrderError):
    """No work order with that id."""


class NotYourOrder(WorkOrderError):
    """The actor is not a member of the unit the order is with (403)."""


class WrongState(WorkOrderError):
    """The order's state does not allow this action, or someone else acted first (409)."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


class BadInput(WorkOrderError):
    """A reason, note, result, date or choice is missing or wrong; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UploadRefused(WorkOrderError):
    """An attachment too large, empty or of a type not allowed; nothing was stored."""
