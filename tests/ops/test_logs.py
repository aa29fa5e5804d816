"""JSON-line logs: one parseable line per request, with the request id the response carries."""

from __future__ import annotations

import json
import re
from typing import Any


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_each_request_is_one_json_line_with_its_request_id(app_factory: Any, capsys: Any) -> None:
    client = app_factory(TESTING=False).test_client()
    response = client.get("/healthz", headers={"X-Request-ID": "proxy-1234"})
    assert response.headers["X-Request-ID"] == "proxy-1234"
    lines = [line for line in _lines(capsys.readouterr().err) if line.get("path") == "/healthz"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == "proxy-1234" and line["status"] == 200 and line["method"] == "GET"
    assert line["level"] == "INFO" and line["user_id"] is None and line["duration_ms"] >= 0
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", line["time"])


def test_a_malformed_request_id_is_replaced(app_factory: Any, capsys: Any) -> None:
    response = app_factory(TESTING=False).test_client().get("/healthz", headers={"X-Request-ID": '"}{injected": 1'})
    generated = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    err = capsys.readouterr().err
    assert "injected" not in err
    assert any(line.get("request_id") == generated for line in _lines(err))
