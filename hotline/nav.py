"""The navigation bar: each package registers its own entries with the role that sees them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, request
from flask_login import current_user

from hotline.vocabulary import Role


@dataclass(frozen=True)
class NavItem:
    """One link in the header."""

    endpoint: str
    label: Any
    role: Role
    order: int = 100


def register(app: Flask, endpoint: str, label: Any, role: Role, order: int = 100) -> None:
    """Add a link to the header for users whose role includes `role`."""
    app.extensions["hotline_nav"].append(NavItem(endpoint, label, role, order))


def visible_items(app: Flask) -> list[NavItem]:
    """Return the links the current user may follow, in order."""
    if not current_user.is_authenticated:
        return []
    items = [item for item in app.extensions["hotline_nav"] if current_user.has_role(item.role)]
    return sorted(items, key=lambda item: item.order)


def init_app(app: Flask) -> None:
    """Give templates the navigation for the current user."""
    app.extensions["hotline_nav"] = []

    @app.context_processor
    def navigation() -> dict[str, Any]:
        return {"nav_items": visible_items(app), "current_endpoint": request.endpoint}
