"""Results computed once for each state of the data.

Every change made through the application writes an audit event (bulk generators write one too), so the newest
audit-event id tells whether a cached result is still current. Each application keeps, per named cache, the
latest `size` results. Used by the agreement dashboard, the coverage matrix and the personal calendar feed.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from .models import AuditEvent

T = TypeVar("T")
_LOCK = threading.Lock()


def data_version() -> int:
    """The id of the newest audit event (0 for none)."""
    return db.session.scalar(select(func.max(AuditEvent.id))) or 0


def cached(name: str, key: tuple[Any, ...], compute: Callable[[], T], *, size: int = 64) -> T:
    """`compute()`, or its result from an earlier call with the same key while the data have not changed."""
    full = (*key, data_version())
    caches: dict[str, OrderedDict[Any, Any]] = current_app.extensions.setdefault("registry_caches", {})
    with _LOCK:
        cache = caches.setdefault(name, OrderedDict())
        if full in cache:
            cache.move_to_end(full)
            return cast(T, cache[full])
    result = compute()
    with _LOCK:
        cache[full] = result
        while len(cache) > size:
            cache.popitem(last=False)
    return result
