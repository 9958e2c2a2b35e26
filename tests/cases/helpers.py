"""Small builders for case tests: the shared factories, dated at NOW."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from tests.support import factories
from tests.support.factories import NUMBER

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
__all__ = ["NOW", "NUMBER", "make_call", "make_case"]

make_case = partial(factories.make_case, created_at=NOW)
"""Add a case with a caller number and its look-up hash, created at NOW (tests.support.factories.make_case)."""

make_call = partial(factories.make_call, created_at=NOW)
"""Add a call from a number with its look-up hash, created at NOW (tests.support.factories.make_call)."""
