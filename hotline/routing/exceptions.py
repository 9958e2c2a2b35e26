"""What routing services refuse."""


class RoutingError(Exception):
    """Base class of routing errors."""


class OfferNotFound(RoutingError):
    """No such offer for this worker."""


class OfferGone(RoutingError):
    """The offer was taken by someone else, withdrawn or timed out: the accept lost."""


class InvalidState(RoutingError):
    """The presence state is unknown or may not be set this way."""


class NotOnCall(RoutingError):
    """The worker is not on this call."""


class ConnectFailed(RoutingError):
    """The phone network could not put the caller through; the call went back to the queue."""
