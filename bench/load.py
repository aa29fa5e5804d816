"""The load test (issue 8, "Speed"); scripts/bench runs it on SQLite and on PostgreSQL after the other benchmarks.

Subcommands:
  users --out FILE [--count 50]   create the load-test users in this process (idempotent; on the instance's
                                  database): directors of the prisons and community sanctions offices in turn,
                                  each following a few generated networks and holding a feed token (their
                                  networks' meetings and their unit's agreement deadlines); write what the
                                  load needs (their sign-ins and feed tokens, samples of partner, contact,
                                  agreement and series ids, the centre codes) to FILE as JSON
  measure --ours URL --facts FILE simulated users: each signs in once as its own user, then loops for --seconds:
                                  picks an action by weight (search 30 %, list 20 %, detail 20 %, edit 10 %,
                                  personal feed 10 %, export 10 %), requests it and thinks for 1-3 s; print a
                                  table (per action and overall: requests, errors, median, p95, max, req/s) and
                                  one JSON line
  writers --ours URL --facts FILE --log FILE
                                  --threads threads, each signed in with its own session, POST partner edits for
                                  --seconds without thinking; count responses, look for "database is locked" in
                                  every response and in the server log; print a table and one JSON line

Errors are any status outside 2xx/3xx, a connection error or timeout, and an edit that was not stored (the
partner page after the redirect must show the new notes). Targets: zero errors, p95 < 200 ms. Everything talks
to 127.0.0.1 only; every loop is bounded by time.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import statistics
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from bench.agreements import LIST_PATHS, SessionClient
from bench.run import QUERIES, Client, percentile, report_problems, wait_until_up

P95_TARGET_MS = 200
USER_EMAIL = "kuorma.{n:02d}@bench.rise.example"
USER_PASSWORD = "Bench-kuormitus-salasana-2026"
FOLLOWED_NETWORKS = 3  # generated networks each load-test user follows (their personal feed)
# The load-test users direct prisons and community sanctions offices (who may edit partners): a unit's own
# networks and agreements are what its personal feed carries, as in production. A sanction centre of the
# generated data has some 17,000 agreements and 340 networks, far more than any real one.
SAMPLE = 2000  # ids of each kind the simulated users choose from
# (action, weight): the mix of the issue.
MIX = [("search", 30), ("list", 20), ("detail", 20), ("edit", 10), ("feed", 10), ("export", 10)]
THINK_SECONDS = (1.0, 3.0)
LOCKED = "database is locked"


# --- the users and the ids they use (in-process, on the instance's database) --------------------------


def make_users(count: int) -> dict[str, Any]:
    """Create the missing load-test users and return what the load needs."""
    from sqlalchemy import func, insert, select

    from registry import create_app
    from registry.agreements.models import Agreement
    from registry.auth.feed import new_feed_token
    from registry.core.models import Unit, UnitKind
    from registry.core.services import create_user, user_by_email
    from registry.directory.models import Contact, Partner
    from registry.extensions import db
    from registry.meetings.models import MeetingSeries, Network, network_follower
    from registry.meetings.scale import GENERATED_PREFIX

    app = create_app()
    with app.app_context():
        centres = list(db.session.scalars(select(Unit.code).where(Unit.kind == UnitKind.SANCTION_CENTRE)
                                          .order_by(Unit.code)))
        units = list(db.session.scalars(select(Unit).where(
            Unit.kind.in_([UnitKind.PRISON, UnitKind.COMMUNITY_SANCTIONS_OFFICE])).order_by(Unit.code)))
        networks = list(db.session.scalars(select(Network.id).where(Network.name_fi.like(f"{GENERATED_PREFIX}%"))
                                           .order_by(Network.id).limit(count * FOLLOWED_NETWORKS)))
        users = []
        for n in range(count):
            email = USER_EMAIL.format(n=n)
            user = user_by_email(email)
            if user is None:
                user = create_user(email=email, name=f"Kuormitustesti {n:02d}", password=USER_PASSWORD,
                                   roles=["director"], locale="fi")
                mine = networks[n * FOLLOWED_NETWORKS:(n + 1) * FOLLOWED_NETWORKS]
                if mine:
                    db.session.execute(insert(network_follower), [{"network_id": i, "user_id": user.id}
                                                                  for i in mine])
            user.home_unit = units[n % len(units)]
            if not user.feed_token:
                new_feed_token(user)
            # Their feed carries their networks' meetings and their unit's agreement deadlines (some 340 events
            # in the generated data); the edits of this load change the data, so feeds are rendered again often.
            user.feed_includes_deadlines = True
            users.append({"email": email, "password": USER_PASSWORD, "token": user.feed_token})
        db.session.commit()

        def sample(column: Any, *where: Any) -> list[int]:
            return list(db.session.scalars(select(column).where(*where).order_by(func.random()).limit(SAMPLE)))

        return {"users": users, "centres": centres,
                "partners": sample(Partner.id, Partner.merged_into_id.is_(None)),
                "contacts": sample(Contact.id, Contact.partner_id.is_not(None)),
                "agreements": sample(Agreement.id), "series": sample(MeetingSeries.id)}


# --- forms -------------------------------------------------------------------------------------------


class FormFields(HTMLParser):
    """The fields of the POST form whose action is `action`, as a browser would send them unchanged."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.inside, self.fields = action, False, []
        self.select: str | None = None
        self.textarea: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("method", "").lower() == "post" and a.get("action", "") in ("", self.action)
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value", "")))
        elif not self.inside or not a.get("name"):
            return
        elif tag == "input" and a.get("type", "text") not in ("submit", "button", "file", "image", "reset"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields.append((a["name"], a.get("value", "on" if a.get("type") == "checkbox" else "")))
        elif tag == "select":
            self.select = a["name"]
        elif tag == "textarea":
            self.textarea, self.text = a["name"], []

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            text = "".join(self.text)  # a browser drops the newline that follows <textarea>
            self.fields.append((self.textarea, text[2:] if text.startswith("\r\n") else text.removeprefix("\n")))
            self.textarea = None


def form_fields(page: bytes, action: str) -> list[tuple[str, str]]:
    parser = FormFields(action)
    parser.feed(page.decode("utf-8", errors="replace"))
    return parser.fields


def with_value(fields: list[tuple[str, str]], name: str, value: str) -> str:
    """The form body with one field set to `value`."""
    return urllib.parse.urlencode([(k, v) for k, v in fields if k != name] + [(name, value)])


# --- one simulated user ------------------------------------------------------------------------------


class Recorder:
    """Durations (ms) and errors per action, shared by the threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.failures: list[str] = []
        self.locked = 0

    def add(self, action: str, ms: float, error: str | None = None) -> None:
        with self.lock:
            self.samples.setdefault(action, []).append(ms)
            self.errors[action] = self.errors.get(action, 0) + (error is not None)
            if error is not None and len(self.failures) < 50:
                self.failures.append(f"{action}: {error}")

    def table(self) -> list[dict[str, Any]]:
        rows = []
        # "all" is the actions of the measured time: the sign-ins come before it.
        everything = [ms for name, values in self.samples.items() if name != "sign-in" for ms in values]
        for name, values in [*sorted(self.samples.items()), ("all", everything)]:
            if not values:
                continue
            errors = sum(n for a, n in self.errors.items() if a != "sign-in") if name == "all" \
                else self.errors.get(name, 0)
            rows.append({"action": name, "requests": len(values), "errors": errors,
                         "median": round(statistics.median(values), 1), "p95": round(percentile(values, 0.95), 1),
                         "max": round(max(values), 1)})
        return rows


class User:
    """A signed-in session that requests paths and records each request under its action."""

    def __init__(self, base: str, facts: dict[str, Any], n: int, recorder: Recorder) -> None:
        self.facts, self.n, self.recorder = facts, n, recorder
        self.account = facts["users"][n % len(facts["users"])]
        self.client = SessionClient(base)
        self.feed_client = Client(base)  # a calendar application: no cookie
        self.rng = random.Random(2026 + n)
        # The partners this user edits: a slice of its own, so two users never edit the same partner.
        count = len(facts["users"])
        self.own_partners = facts["partners"][n % count::count] or facts["partners"]
        self.edits = 0

    def sign_in(self) -> None:
        started = time.perf_counter()
        try:
            self.client.sign_in(self.account["email"], self.account["password"])
            self.recorder.add("sign-in", (time.perf_counter() - started) * 1000)
        except (SystemExit, OSError) as error:
            self.recorder.add("sign-in", (time.perf_counter() - started) * 1000, str(error))

    def request(self, action: str, method: str, path: str, body: str | None = None,
                client: Client | None = None) -> tuple[int, bytes, Any]:
        """One request, recorded; (0, b"", None) after a connection error or timeout."""
        started = time.perf_counter()
        try:
            if client is None:
                status, data, response = self.client.request(method, path, body)
            else:
                (status, data), response = client.get(path), None
        except OSError as error:
            self.client.close()
            self.recorder.add(action, (time.perf_counter() - started) * 1000, f"{type(error).__name__} {path}")
            return 0, b"", None
        ms = (time.perf_counter() - started) * 1000
        error = None if 200 <= status < 400 else f"HTTP {status} for {path}"
        if LOCKED.encode() in data:
            error = f"'{LOCKED}' in the response to {path}"
            with self.recorder.lock:
                self.recorder.locked += 1
        self.recorder.add(action, ms, error)
        return status, data, response

    def pick(self, key: str) -> int:
        return int(self.rng.choice(self.facts[key]))

    def act(self, action: str) -> None:
        rng = self.rng
        if action == "search":
            query = urllib.parse.quote(rng.choice(QUERIES))
            path = f"/api/v1/search?q={query}&limit=20" if rng.random() < 0.5 else f"/search?q={query}"
            self.request(action, "GET", path)
        elif action == "list":
            path = rng.choice([*LIST_PATHS, f"/directory/partners?page={rng.randint(1, 50)}",
                               f"/directory/contacts?page={rng.randint(1, 50)}",
                               f"/directory/partners?q={urllib.parse.quote(rng.choice(QUERIES))}"])
            self.request(action, "GET", path)
        elif action == "detail":
            kind = rng.choice(["partners", "agreements", "contacts"])
            path = {"partners": "/directory/partners/{}", "agreements": "/agreements/{}",
                    "contacts": "/directory/contacts/{}"}[kind].format(self.pick(kind))
            self.request(action, "GET", path)
        elif action == "edit":
            self.edit()
        elif action == "feed":
            self.request(action, "GET", f"/calendar/{self.account['token']}.ics", client=self.feed_client)
        else:
            choice = rng.randrange(3)
            if choice == 0:  # the agreements of one centre ending within a week, as CSV
                path = f"/agreements/export.csv?centre={rng.choice(self.facts['centres'])}&expiring_within_days=7"
            elif choice == 1:
                path = f"/directory/contacts/{self.pick('contacts')}.vcf"
            else:
                path = f"/series/{self.pick('series')}/calendar.ics"
            self.request(action, "GET", path)

    def edit(self, partner_id: int | None = None, fields: list[tuple[str, str]] | None = None,
             action: str = "edit", check: bool = True) -> list[tuple[str, str]] | None:
        """GET the partner's edit form (unless `fields` are given), POST new notes with the CSRF token, follow
        the redirect and check the notes are shown. Returns the form's fields for the next edit."""
        partner_id = partner_id or int(self.rng.choice(self.own_partners))
        form_path = f"/directory/partners/{partner_id}/edit"
        if fields is None:
            status, page, _response = self.request(action, "GET", form_path)
            if status != 200:
                return None
            fields = form_fields(page, form_path)
        self.edits += 1
        notes = f"Kuormitustesti {self.n:02d}-{self.edits} {time.time():.3f}"
        status, _data, response = self.request(action, "POST", form_path, with_value(fields, "notes", notes))
        if status != 302:
            if 200 <= status < 400:  # other statuses are already counted as errors
                self.recorder.add(action, 0.0, f"the edit of partner {partner_id} was not saved (HTTP {status})")
            return None
        if check:
            location = urllib.parse.urlsplit(response.getheader("Location") or "").path
            status, page, _response = self.request(action, "GET", location)
            if status == 200 and html.escape(notes).encode() not in page:
                self.recorder.add(action, 0.0, f"the new notes of partner {partner_id} are not shown")
        return fields

    def close(self) -> None:
        self.client.close()
        self.feed_client.close()


@contextmanager
def _gated_threads(count: int, target: Any, gate: threading.Barrier, seconds: float) -> Iterator[None]:
    """Threads running `target(n)`: the block runs once all of them are ready at the gate (the clock starts
    there); leaving it waits for them to finish."""
    threads = [threading.Thread(target=target, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    gate.wait()
    yield
    for thread in threads:
        thread.join(seconds + 120)


def _run_threads(count: int, target: Any) -> None:
    threads = [threading.Thread(target=target, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --- the load --------------------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> int:
    wait_until_up(args.ours, "/healthz", 120)
    facts = json.loads(Path(args.facts).read_text(encoding="utf-8"))
    recorder = Recorder()
    actions, weights = zip(*MIX, strict=True)
    users: list[User] = []
    stop_at: list[float] = []  # set when everyone is signed in, before the gate opens
    gate = threading.Barrier(args.users + 1, action=lambda: stop_at.append(time.monotonic() + args.seconds))

    def simulate(n: int) -> None:
        user = User(args.ours, facts, n, recorder)
        time.sleep(n * 0.05)  # the sign-ins spread over a few seconds, as people arrive
        user.sign_in()
        users.append(user)
        gate.wait()
        time.sleep(user.rng.uniform(0, THINK_SECONDS[1]))  # not everyone clicks at the same moment
        try:
            while time.monotonic() < stop_at[0]:
                user.act(user.rng.choices(actions, weights)[0])
                time.sleep(user.rng.uniform(*THINK_SECONDS))
        finally:
            user.close()

    with _gated_threads(args.users, simulate, gate, args.seconds):
        started = time.perf_counter()
        load_before = _load()
    elapsed = time.perf_counter() - started
    rows = recorder.table()
    overall = rows[-1] if rows else {"requests": 0, "errors": 0, "p95": 0.0}
    result = {"database": args.label, "users": args.users, "seconds": round(elapsed, 1),
              "think_seconds": list(THINK_SECONDS), "mix": dict(MIX), "rps": round(overall["requests"] / elapsed, 1),
              "actions": rows, "load_average": [load_before, _load()]}
    ok_errors, ok_p95 = overall["errors"] == 0, overall["p95"] < P95_TARGET_MS

    print()
    print(f"Load test on {args.label}: {args.users} simulated users for {args.seconds:.0f} s, each signed in once, "
          f"thinking {THINK_SECONDS[0]:.0f}-{THINK_SECONDS[1]:.0f} s between actions")
    print("  mix: " + ", ".join(f"{a} {w} %" for a, w in MIX) + " (edit = form, POST, redirected page; "
          "sign-ins before the clock starts; feed = the user's networks' meetings and agreement deadlines)")
    print(f"{'action':<14}{'requests':>10}{'errors':>8}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}")
    print("-" * 61)
    for row in rows:
        print(f"{row['action']:<14}{row['requests']:>10}{row['errors']:>8}{row['median']:>11.1f}{row['p95']:>9.1f}"
              f"{row['max']:>9.1f}")
    print(f"{'overall requests/s':<40}{result['rps']:>12.1f}")
    print(f"{'overall errors':<40}{overall['errors']:>12}{'0':>10}  {'ok' if ok_errors else 'MISSED'}")
    print(f"{'overall p95 (ms)':<40}{overall['p95']:>12.1f}{'< ' + str(P95_TARGET_MS):>10}  "
          f"{'ok' if ok_p95 else 'MISSED'}")
    print(f"  load average before/after: {load_before} / {result['load_average'][1]} on {_cpus()} CPUs")
    print()
    print("JSON " + json.dumps({"load": result}, ensure_ascii=False, sort_keys=True))
    return report_problems(recorder.failures)


def _load() -> float:
    import os

    return round(os.getloadavg()[0], 2)


def _cpus() -> int:
    import os

    return os.cpu_count() or 1


# --- concurrent writers -------------------------------------------------------------------------------


def writers(args: argparse.Namespace) -> int:
    wait_until_up(args.ours, "/healthz", 120)
    facts = json.loads(Path(args.facts).read_text(encoding="utf-8"))
    log = Path(args.log)
    log_start = log.stat().st_size if log.exists() else 0
    recorder = Recorder()
    stop_at: list[float] = []  # set when every writer is ready, before the gate opens
    gate = threading.Barrier(args.threads + 1, action=lambda: stop_at.append(time.monotonic() + args.seconds))
    stored = [0, 0]  # checked, not stored

    def write(n: int) -> None:
        user = User(args.ours, facts, n, recorder)
        user.sign_in()
        partner_id = int(user.own_partners[0])
        fields = user.edit(partner_id, action="prepare", check=False)
        gate.wait()
        try:
            while fields is not None and time.monotonic() < stop_at[0]:
                user.edit(partner_id, fields, action="write", check=False)
            if fields is not None:  # the last write of this thread must be what the partner page shows
                user.edit(partner_id, fields, action="write", check=True)
                with recorder.lock:
                    stored[0] += 1
        finally:
            user.close()

    with _gated_threads(args.threads, write, gate, args.seconds):
        started = time.perf_counter()
    elapsed = time.perf_counter() - started
    logged = 0
    if log.exists():
        with log.open("rb") as handle:
            handle.seek(log_start)
            logged = handle.read().count(LOCKED.encode())
    writes = recorder.samples.get("write", [])
    write_errors = recorder.errors.get("write", 0)
    result = {"threads": args.threads, "seconds": round(elapsed, 1), "writes": len(writes) - stored[0],
              "errors": write_errors, "wps": round((len(writes) - stored[0]) / elapsed, 1),
              "locked_in_responses": recorder.locked, "locked_in_log": logged,
              "median_ms": round(statistics.median(writes), 1) if writes else None,
              "p95_ms": round(percentile(writes, 0.95), 1) if writes else None,
              "last_write_checked": stored[0]}
    print()
    print(f"Concurrent writers on {args.label}: {args.threads} threads, each its own session, POSTing partner "
          f"edits (no think time) for {args.seconds:.0f} s")
    print(f"{'measure':<52}{'value':>12}{'target':>12}  result")
    print("-" * 84)
    print(f"{'edits saved (HTTP 302)':<52}{result['writes']:>12}")
    print(f"{'writes per second':<52}{result['wps']:>12.1f}")
    shown = f"{result['median_ms']} / {result['p95_ms']}"
    print(f"{'write median / p95 (ms)':<52}{shown:>12}")
    print(f"{'failed writes (incl. last write not shown)':<52}{write_errors:>12}{'0':>12}  "
          f"{'ok' if write_errors == 0 else 'MISSED'}")
    locked = recorder.locked + logged
    label, shown = f'"{LOCKED}" in responses + server log', f"{recorder.locked} + {logged}"
    print(f"{label:<52}{shown:>12}{'0':>12}  {'ok' if locked == 0 else 'MISSED'}")
    print()
    print("JSON " + json.dumps({"writers": result}, ensure_ascii=False, sort_keys=True))
    return report_problems(recorder.failures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.load", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    users = sub.add_parser("users")
    users.add_argument("--out", required=True, help="where to write the facts (JSON)")
    users.add_argument("--count", type=int, default=50)
    for name in ("measure", "writers"):
        run = sub.add_parser(name)
        run.add_argument("--ours", required=True, help="base URL of the registry, http://127.0.0.1:PORT")
        run.add_argument("--facts", required=True, help="the file written by `users`")
        run.add_argument("--label", default="SQLite", help="the database, for the heading")
        run.add_argument("--seconds", type=float, default=60.0)
    sub.choices["measure"].add_argument("--users", type=int, default=50)
    sub.choices["writers"].add_argument("--threads", type=int, default=50)
    sub.choices["writers"].add_argument("--log", required=True, help="the server's log file")
    args = parser.parse_args(argv)
    if args.command == "users":
        facts = make_users(args.count)
        Path(args.out).write_text(json.dumps(facts), encoding="utf-8")
        print(f"{len(facts['users'])} load-test users (directors) ready")
        return 0
    return measure(args) if args.command == "measure" else writers(args)


if __name__ == "__main__":
    sys.exit(main())
