"""Durability: SIGKILL the server in the middle of a stream of writes, 20 times; after every restart the
SQLite file is intact, foreign keys hold, the search index agrees with the data and no acknowledged write is
missing. The instance is its own SQLite file, whichever database the rest of the suite uses."""

from __future__ import annotations

import http.client
import random
import re
import sqlite3
import threading
import time
from pathlib import Path

from tests.ops.live import Browser, Server, registry

ROUNDS = 20
WRITERS = 3
PASSWORD = "kestävä salasana 2026"


def _writer(base: str, prefix: str, acknowledged: dict[int, str], errors: list[str], stop: threading.Event) -> None:
    browser = Browser(base)
    try:
        if browser.sign_in("kirjoittaja@rise.example", PASSWORD) != 302:
            errors.append("sign-in refused")
            return
        n = 0
        while not stop.is_set():
            n += 1
            name = f"{prefix} kirjoitus {n}"
            token = browser.csrf("/directory/partners/new")
            status, _page, headers = browser.request("POST", "/directory/partners/new", {
                "csrf_token": token, "name_fi": name, "category": "association", "level": "local",
                "suitability_outcome": "",
                "confirm_similar": "y"})
            found = re.search(r"/directory/partners/(\d+)$", headers.get("Location") or "")
            if status != 302 or not found:
                errors.append(f"write refused: HTTP {status}")
                return
            acknowledged[int(found.group(1))] = name  # the server said it is saved
    except (OSError, http.client.HTTPException):
        return  # the server was killed under us: whatever was not acknowledged may be lost


def _check(database: Path, acknowledged: dict[int, str]) -> None:
    conn = sqlite3.connect(database)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("INSERT INTO search_fts(search_fts) VALUES ('integrity-check')")  # raises if inconsistent
        partners = dict(conn.execute("SELECT id, name_fi FROM partner"))
        missing = {i: n for i, n in acknowledged.items() if partners.get(i) != n}
        assert not missing, f"acknowledged writes lost: {sorted(missing)[:10]}"
        unindexed = conn.execute(
            "SELECT count(*) FROM partner p WHERE NOT EXISTS (SELECT 1 FROM search_document d "
            "WHERE d.kind = 'partner' AND d.ref_id = p.id)").fetchone()[0]
        assert unindexed == 0, f"{unindexed} partners missing from the search index"
        documents = conn.execute("SELECT count(*) FROM search_document").fetchone()[0]
        indexed = conn.execute("SELECT count(*) FROM search_fts").fetchone()[0]
        assert documents == indexed
    finally:
        conn.close()


def test_no_acknowledged_write_is_lost_when_the_server_is_killed(tmp_path: Path) -> None:
    database = tmp_path / "registry.db"
    env = {"REGISTRY_INSTANCE_PATH": str(tmp_path), "REGISTRY_DATABASE_URL": f"sqlite:///{database}",
           "REGISTRY_SECRET_KEY": "kestavyystesti"}
    registry(env, "init-db")
    registry(env, "seed")
    registry(env, "users", "create", "--email", "kirjoittaja@rise.example", "--role", "director", "--unit",
             "ESRSK", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    acknowledged: dict[int, str] = {}
    errors: list[str] = []
    rng = random.Random(20261124)
    for round_no in range(ROUNDS):
        server = Server(env)
        stop = threading.Event()
        threads = [threading.Thread(target=_writer,
                                    args=(server.base, f"Kierros {round_no}.{w}", acknowledged, errors, stop))
                   for w in range(WRITERS)]
        for thread in threads:
            thread.start()
        # Kill at a random moment once writes are streaming (at least one acknowledged per writer).
        before, deadline = len(acknowledged), time.monotonic() + 60
        while len(acknowledged) < before + WRITERS and time.monotonic() < deadline and not errors:
            time.sleep(0.02)
        time.sleep(rng.uniform(0, 0.5))
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert not errors, errors
        _check(database, acknowledged)
    assert len(acknowledged) >= ROUNDS * WRITERS  # the writes really streamed in every round
