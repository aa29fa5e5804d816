"""Two application processes against one database (SQLite or the suite's PostgreSQL), as behind a load
balancer: a session made on one works on the other and ends on both, login rate limits are counted across
both (shared Redis storage), and the daily job run by two processes at once sends each reminder once."""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from registry.agreements.demo import load_agreements_demo
from registry.core.models import OutboxMessage, SentReminder
from registry.directory.demo import load_directory_demo
from registry.extensions import db
from tests.conftest import PASSWORD
from tests.ops.live import REGISTRY, ROOT, Browser, Server

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not reachable at {REDIS} (set TEST_REDIS_URL); CI always runs this test")
    finally:
        client.close()
    return REDIS


@pytest.fixture
def two_servers(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    env = {"REGISTRY_DATABASE_URL": database_url, "REGISTRY_SECRET_KEY": "shared-secret",
           "REGISTRY_RATELIMIT_STORAGE_URI": redis_url, "REGISTRY_INSTANCE_PATH": str(tmp_path / "instance")}
    first = Server(env, workers=1)
    try:
        second = Server(env, workers=1)
    except Exception:
        first.stop()
        raise
    yield first, second
    first.stop()
    second.stop()


def _on(browser: Browser, server: Server) -> Browser:
    browser.base = server.base  # cookies are per host, not per port: the same jar goes to both
    return browser


def test_sessions_and_rate_limits_work_across_processes(app: Flask, reference: None, make_user: Any,
                                                        two_servers: tuple[Server, Server]) -> None:
    first, second = two_servers
    user = make_user("director", unit="ESRSK")
    browser = Browser(first.base)
    assert browser.sign_in(user.email, PASSWORD) == 302
    assert _on(browser, second).request("GET", "/profile")[0] == 200  # signed in on the other process too
    token = browser.csrf("/profile")
    assert browser.request("POST", "/logout", {"csrf_token": token})[0] == 302
    status, _page, headers = _on(browser, first).request("GET", "/profile")
    assert status == 302 and "/login" in headers["Location"]  # the session ended everywhere

    other = make_user("staff", email="arvaaja@rise.example")
    statuses = []
    for attempt in range(8):  # wrong passwords, alternating between the processes
        guesser = Browser((first if attempt % 2 else second).base)
        token = guesser.csrf("/login")
        statuses.append(guesser.request("POST", "/login", {"email": other.email, "password": "väärä salasana",
                                                          "csrf_token": token})[0])
    assert statuses[:5] == [200] * 5  # the form again, with a message
    assert statuses[5:] == [429, 429, 429]  # 5 per account, counted over both processes


def test_the_daily_job_in_two_processes_at_once_sends_each_reminder_once(app: Flask, reference: None,
                                                                          database_url: str, tmp_path: Path) -> None:
    with app.app_context():
        load_directory_demo()
        load_agreements_demo()
        db.session.commit()
    env = {**os.environ, "REGISTRY_DATABASE_URL": database_url, "REGISTRY_SECRET_KEY": "shared-secret",
           "REGISTRY_INSTANCE_PATH": str(tmp_path / "instance")}
    runs = [subprocess.Popen([*REGISTRY, "jobs", "daily"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    with app.app_context():
        keys = list(db.session.scalars(select(SentReminder.key)))
        messages = db.session.execute(select(OutboxMessage.to, OutboxMessage.subject)).all()
    assert keys and len(keys) == len(set(keys))
    assert messages and max(Counter(messages).values()) == 1
