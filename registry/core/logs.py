"""Logs as JSON lines on stderr, one object per line, for a log collector: every application log record and
one line per request (method, path, status, duration, user id, request id). The request id comes from the
reverse proxy's X-Request-ID header when it is well formed, otherwise it is generated; it is sent back in
the response so a user's report can be matched with the log."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler
from flask_login import current_user
from werkzeug.wrappers import Response

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class JsonLines(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, request id and any `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if has_request_context() and "request_id" in g:
            line["request_id"] = g.request_id
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (gunicorn and test runners replace it)."""

    @property  # type: ignore[override]
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def _start() -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    started = g.get("request_started")
    if started is not None and request.endpoint != "static":
        user_id = current_user.get_id() if current_user and current_user.is_authenticated else None
        logging.getLogger("registry.requests").info("request", extra={"fields": {
            "method": request.method, "path": request.path, "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1), "user_id": user_id,
            "remote_addr": request.remote_addr}})
    return response


def register_logging(app: Flask) -> None:
    """JSON-line logs (LOG_FORMAT=json, the default) or Flask's plain text; request lines at INFO.

    The handler sits on the package logger `registry` (which is also `app.logger`); an application created
    again in the same process replaces it. Under test the test runner collects the records instead."""
    logger = logging.getLogger("registry")
    logger.handlers = [h for h in logger.handlers if not isinstance(h, _StderrHandler)]
    if app.config["LOG_FORMAT"] == "json" and not app.testing:
        handler = _StderrHandler()
        handler.setFormatter(JsonLines())
        logger.removeHandler(default_handler)
        logger.addHandler(handler)
        logger.setLevel(app.config["LOG_LEVEL"])
    app.before_request(_start)
    app.after_request(_finish)
