"""The navigation bar: each package registers its own entries with the role that sees them.

The header shows a few links and groups the rest into menus, so a manager's
twenty links fit a 1366 px screen and collapse behind one button on a phone:

- a link registered with `menu=` goes into that menu;
- otherwise a manager's or admin's page (settings, directory, accounts…) goes into
  "Manage", and a worker's page ordered 30-39 (cases, follow-ups, callbacks) into
  "Cases"; the rest stand in the bar. A menu with one visible link shows as that link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from hotline.vocabulary import Role

MENUS = {"cases": _l("Case work"), "manage": _l("Manage")}
STANDING = frozenset({"reports.report"})
"""Pages of the manager's role that stay in the bar."""


@dataclass(frozen=True)
class NavItem:
    """One link in the header."""

    endpoint: str
    label: Any
    role: Role
    order: int = 100
    menu: str | None = None


@dataclass
class NavMenu:
    """A header menu: a label and its links."""

    key: str
    label: Any
    items: list[NavItem] = field(default_factory=list)

    @property
    def endpoints(self) -> set[str]:
        """The endpoints of its links (to mark the menu holding the current page)."""
        return {item.endpoint for item in self.items}


def register(app: Flask, endpoint: str, label: Any, role: Role, order: int = 100, menu: str | None = None) -> None:
    """Add a link to the header for users whose role includes `role` (in `menu`, or where the rules put it)."""
    app.extensions["hotline_nav"].append(NavItem(endpoint, label, role, order, menu))


def menu_of(item: NavItem) -> str | None:
    """Return the menu a link goes into, or None for the bar itself."""
    if item.menu is not None:
        return item.menu
    if item.role.rank >= Role.MANAGER.rank and item.endpoint not in STANDING:
        return "manage"
    if item.role == Role.WORKER and 30 <= item.order < 40:
        return "cases"
    return None


def visible_items(app: Flask) -> list[NavItem]:
    """Return the links the current user may follow, in order."""
    if not current_user.is_authenticated:
        return []
    items = [item for item in app.extensions["hotline_nav"] if current_user.has_role(item.role)]
    return sorted(items, key=lambda item: item.order)


def entries(items: list[NavItem]) -> list[NavItem | NavMenu]:
    """Group links into the bar's entries: links, and menus where their first link stood."""
    result: list[NavItem | NavMenu] = []
    menus: dict[str, NavMenu] = {}
    for item in items:
        key = menu_of(item)
        if key is None:
            result.append(item)
            continue
        if key not in menus:
            menus[key] = NavMenu(key, MENUS.get(key, key))
            result.append(menus[key])
        menus[key].items.append(item)
    return [entry.items[0] if isinstance(entry, NavMenu) and len(entry.items) == 1 else entry for entry in result]


def init_app(app: Flask) -> None:
    """Give templates the navigation for the current user."""
    app.extensions["hotline_nav"] = []

    @app.context_processor
    def navigation() -> dict[str, Any]:
        items = visible_items(app)
        return {"nav_items": items, "nav_entries": entries(items), "current_endpoint": request.endpoint}
