"""The search benchmark's driver (see scripts/bench, which builds the instance and starts the servers).

Subcommands:
  free-port            print a free TCP port on 127.0.0.1
  copy SRC DST         copy the database (VACUUM INTO) and add an FTS5 table over search_document for Datasette
  measure ...          measure /api/v1/search and Datasette's ?_search= with the same queries, print the table

Everything talks to 127.0.0.1 only; every loop is bounded by a count and by time.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import re
import socket
import sqlite3
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Realistic queries of unit staff: parts of compound words, names without diacritics, several words,
# Swedish names, business-ID fragments. The same list is sent to both servers.
QUERIES = [
    "asiantuntija", "kokemusasiantuntija", "Hameenlinna", "Hämeenlinnan", "päihdetyö", "paihdetyo",
    "asunnottomuus", "vankilaopetus", "velkaneuvonta", "saatio", "Sinisilta", "Majakka ry", "Kivijalka",
    "Tampereen yhdistys", "Turun", "Oulun seurakunta", "Jyväskylä", "Jyvaskyla", "Aaltonen", "Heikkinen",
    "Kärkkäinen", "Karkkainen", "Laura", "toiminnanjohtaja", "projektipaallikko", "asumis", "kuntoutus",
    "vertaistuki", "nuorisotyö", "rikoksentorjunta", "Föreningen", "Foreningen Vasa", "Stiftelsen",
    "ammattiopisto", "Mikkelin kansanopisto", "tutkimuskeskus", "Siivouspalvelut Oy", "työpaja", "Osuuskunta",
    "ruotsinkielinen palvelu", "diakonia", "sovittelu", "Äänekosken", "aanekoski", "Sodankylän", "Inari",
    "hyvinvointialue", "mielenterveys", "Lindqvist", "Räsänen kehittämispäällikkö", "Helsingin vankila",
    "9002195", "kokemus vankila", "projektitoimisto",
]


def fold(text: str) -> str:
    """The search form of text (the registry's own rule), for the Datasette side which has no folding."""
    from registry.directory.rules import fold as registry_fold

    return registry_fold(text)


# --- helpers for the shell script -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def copy_database(src: str, dst: str) -> None:
    """A consistent copy of the live database plus an FTS5 trigram table over the folded document text."""
    import sqlite_utils

    started = time.monotonic()
    with sqlite3.connect(src) as conn:
        conn.execute("VACUUM INTO ?", (dst,))
    database = sqlite_utils.Database(dst)
    # The same rows and the same kind of index as the registry's own (trigram over folded text), in the form
    # Datasette detects (content=[search_document]); the queries are folded before they are sent to it.
    database.table("search_document").enable_fts(["folded"], fts_version="FTS5", tokenize="trigram")
    rows = database.execute("select count(*) from search_document_fts").fetchone()[0]
    database.close()
    print(f"Copied the database and indexed {rows} documents for Datasette in {time.monotonic() - started:.0f} s")


# --- HTTP -------------------------------------------------------------------------------------------


class Client:
    """One keep-alive connection to a server on 127.0.0.1."""

    def __init__(self, base: str, headers: dict[str, str] | None = None, timeout: float = 30) -> None:
        parsed = urllib.parse.urlsplit(base)
        if parsed.hostname not in ("127.0.0.1", "localhost"):
            raise SystemExit("the benchmark only talks to 127.0.0.1")
        self.host, self.port = "127.0.0.1", parsed.port or 80
        self.headers = {"Connection": "keep-alive", **(headers or {})}
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("GET", path, headers=self.headers)
                response = self.conn.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, body
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def wait_until_up(base: str, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status, _body = Client(base, timeout=5).get(path)
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"{base} did not answer within {timeout:.0f} s")


def ours_path(query: str, limit: int = 20) -> str:
    return "/api/v1/search?" + urllib.parse.urlencode({"q": query, "limit": limit})


def datasette_path(database: str, query: str) -> str:
    return f"/{database}/search_document.json?" + urllib.parse.urlencode(
        {"_search": fold(query), "_size": 20, "_shape": "objects"})


def check_ours(body: bytes) -> int:
    """Number of results; raises if the answer does not follow the API contract."""
    data = json.loads(body)
    results = data["results"]
    for item in results:
        missing = {"type", "id", "title", "url"} - set(item)
        if missing:
            raise ValueError(f"result without {', '.join(sorted(missing))}: {item}")
    return len(results)


def check_datasette(body: bytes) -> int:
    return len(json.loads(body)["rows"])


def latency(client: Client, paths: list[str], *, passes: int,
            max_seconds: float) -> tuple[dict[str, list[float]], int]:
    """Single requests one after another: the durations (ms) per path and the number of errors."""
    samples: dict[str, list[float]] = {path: [] for path in paths}
    errors = 0
    deadline = time.monotonic() + max_seconds
    for _ in range(passes):
        for path in paths:
            if time.monotonic() > deadline:
                return samples, errors
            started = time.perf_counter()
            status, _body = client.get(path)
            samples[path].append((time.perf_counter() - started) * 1000)
            errors += status != 200
    return samples, errors


def throughput(base: str, headers: dict[str, str], paths: list[str], *, clients: int, seconds: float,
               max_requests: int) -> dict[str, Any]:
    """`clients` threads, each with its own keep-alive connection, for `seconds` or `max_requests` in all."""
    lock = threading.Lock()
    done = [0, 0]  # requests, errors
    failures: list[str] = []
    start_gate = threading.Barrier(clients + 1)
    stop_at: list[float] = []

    def work(offset: int) -> None:
        client = Client(base, headers)
        start_gate.wait()
        i = offset
        try:
            while time.monotonic() < stop_at[0]:
                with lock:
                    if done[0] >= max_requests:
                        break
                try:
                    status, _body = client.get(paths[i % len(paths)])
                    ok = status == 200
                except OSError as error:
                    ok = False
                    with lock:
                        failures.append(repr(error))
                with lock:
                    done[0] += 1
                    done[1] += not ok
                i += 1
        finally:
            client.close()

    threads = [threading.Thread(target=work, args=(n * 7,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    stop_at.append(time.monotonic() + seconds)
    started = time.perf_counter()
    start_gate.wait()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.perf_counter() - started
    return {"requests": done[0], "errors": done[1], "seconds": elapsed,
            "rps": done[0] / elapsed if elapsed else 0.0, "failures": failures[:3]}


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def max_rss_kib(pid: int) -> tuple[int, list[int]]:
    """The peak resident set (VmHWM) of the process's children (the gunicorn workers), or of itself."""
    children_file = Path(f"/proc/{pid}/task/{pid}/children")
    children = [int(c) for c in children_file.read_text().split()] if children_file.exists() else []
    peaks = []
    for proc in children or [pid]:
        try:
            status = Path(f"/proc/{proc}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        if match:
            peaks.append(int(match.group(1)))
    return (max(peaks) if peaks else 0), peaks


# --- the partner list's query count (in-process, on the same database) ------------------------------


def list_query_counts() -> list[tuple[str, int | str]]:
    """SQL statements per partner list request at different page sizes (must not grow with the page)."""
    from flask import url_for
    from sqlalchemy import event
    from werkzeug.routing import BuildError

    from registry import create_app
    from registry.extensions import db

    app = create_app()
    staff = next(r for r in csv.DictReader((ROOT / "seed" / "demo_users.csv").open(encoding="utf-8"))
                 if r["roles"] == "staff" and not r["totp_secret"])
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    response = client.post("/login", data={"email": staff["email"], "password": staff["password"],
                                           "csrf_token": token.group(1) if token else ""})
    if response.status_code != 302:
        return [("sign-in for the partner list failed", response.status_code)]
    with app.test_request_context():
        urls = []
        for endpoint in ("directory.partners", "directory.partner_list", "directory.list_partners"):
            try:
                urls.append(url_for(endpoint))
                break
            except BuildError:
                continue
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(*_args: Any) -> None:
        statements.append("")

    rows: list[tuple[str, int | str]] = []
    event.listen(engine, "before_cursor_execute", count)
    try:
        # The HTML list's page size is the PAGE_SIZE setting; the API takes per_page.
        targets = [(f"{u}?page={page}", size, f"{u}?page={page} (page size {size})")
                   for u in urls for size, page in ((10, 1), (50, 1), (200, 1), (50, 3))] + \
                  [(f"/api/v1/partners?per_page={n}", None, f"/api/v1/partners?per_page={n}") for n in (10, 100)]
        default_size = app.config["PAGE_SIZE"]
        for url, size, label in targets:
            app.config["PAGE_SIZE"] = size or default_size
            statements.clear()
            status = client.get(url).status_code
            rows.append((label, len(statements) if status == 200 else f"HTTP {status}"))
        app.config["PAGE_SIZE"] = default_size
    finally:
        event.remove(engine, "before_cursor_execute", count)
    if not urls:
        rows.insert(0, ("partner list page", "no endpoint yet"))
    return rows


# --- the whole measurement --------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> int:
    token = os.environ.get("BENCH_TOKEN", "")
    if not token:
        raise SystemExit("BENCH_TOKEN is not set")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    ours_paths = [ours_path(q) for q in QUERIES]
    ds_paths = [datasette_path(args.datasette_db, q) for q in QUERIES]
    wait_until_up(args.ours, "/api/v1/openapi.json", 120)
    wait_until_up(args.datasette, "/-/versions.json", 120)
    problems: list[str] = []

    # Contract and result counts (also warms both servers' caches).
    ours_client, ds_client = Client(args.ours, headers), Client(args.datasette)
    ours_hits = ds_hits = 0
    for query, ours, theirs in zip(QUERIES, ours_paths, ds_paths, strict=True):
        status, body = ours_client.get(ours)
        if status != 200:
            problems.append(f"ours: HTTP {status} for {query!r}: {body[:200]!r}")
            continue
        try:
            ours_hits += check_ours(body) > 0
        except (ValueError, KeyError) as error:
            problems.append(f"ours: {error}")
        status, body = ds_client.get(theirs)
        if status != 200:
            problems.append(f"Datasette: HTTP {status} for {query!r}: {body[:200]!r}")
            continue
        ds_hits += check_datasette(body) > 0

    load_before = os.getloadavg()[0]
    ours_by_path, errors = latency(ours_client, ours_paths, passes=args.passes, max_seconds=args.seconds * 3)
    ours_client.close()
    ds_by_path, ds_errors = latency(ds_client, ds_paths, passes=args.passes, max_seconds=args.seconds * 3)
    ds_client.close()
    samples = [ms for values in ours_by_path.values() for ms in values]
    ds_samples = [ms for values in ds_by_path.values() for ms in values]
    ours_tp = throughput(args.ours, headers, ours_paths, clients=args.clients, seconds=args.seconds,
                         max_requests=args.max_requests)
    ds_tp = throughput(args.datasette, {}, ds_paths, clients=args.clients, seconds=args.seconds,
                       max_requests=args.max_requests)
    load_after = os.getloadavg()[0]
    errors += ours_tp["errors"]
    ds_errors += ds_tp["errors"]
    if errors:
        problems.append(f"ours: {errors} failed requests {ours_tp['failures']}")
    if ds_errors:
        problems.append(f"Datasette: {ds_errors} failed requests {ds_tp['failures']}")
    rss, workers = max_rss_kib(args.gunicorn_pid)
    ds_rss, _ = max_rss_kib(args.datasette_pid) if args.datasette_pid else (0, [])
    median, p95 = statistics.median(samples), percentile(samples, 0.95)
    ds_median, ds_p95 = statistics.median(ds_samples), percentile(ds_samples, 0.95)
    ratio = ours_tp["rps"] / ds_tp["rps"] if ds_tp["rps"] else float("inf")

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print()
    print(f"Search benchmark: {args.documents} search documents, {len(QUERIES)} queries, "
          f"{args.clients} concurrent clients for {args.seconds:.0f} s")
    print(f"{'measure':<44}{'ours':>12}{'Datasette':>12}{'target':>12}  result")
    print("-" * 88)
    print(f"{'single request median (ms)':<44}{median:>12.1f}{ds_median:>12.1f}{'< 20':>12}  {verdict(median < 20)}")
    print(f"{'single request p95 (ms)':<44}{p95:>12.1f}{ds_p95:>12.1f}{'< 50':>12}  {verdict(p95 < 50)}")
    print(f"{'throughput, ' + str(args.clients) + ' clients (requests/s)':<44}{ours_tp['rps']:>12.1f}"
          f"{ds_tp['rps']:>12.1f}{'':>12}")
    print(f"{'ratio ours / Datasette':<44}{ratio:>12.2f}{'':>12}{'>= 1.0':>12}  {verdict(ratio >= 1.0)}")
    print(f"{'queries with results (of ' + str(len(QUERIES)) + ')':<44}{ours_hits:>12}{ds_hits:>12}")
    print(f"{'requests measured (latency + throughput)':<44}{len(samples) + ours_tp['requests']:>12}"
          f"{len(ds_samples) + ds_tp['requests']:>12}")
    print(f"{'max RSS of a server process (MiB)':<44}{rss / 1024:>12.1f}{ds_rss / 1024:>12.1f}")
    if len(workers) > 1:
        print(f"  gunicorn workers' peak RSS (MiB): {', '.join(f'{w / 1024:.1f}' for w in workers)}")
    print(f"{'load average before / after (' + str(os.cpu_count()) + ' CPUs)':<44}{load_before:>12.2f}"
          f"{load_after:>12.2f}")
    if load_before > (os.cpu_count() or 1):
        print("  note: the machine was busy with other work when the measurement began; numbers are pessimistic")
    print()
    print("Slowest queries, single-request median (ms):")
    print(f"  {'query':<34}{'ours':>10}{'Datasette':>12}")
    per_query = [(statistics.median(ours_by_path[o]) if ours_by_path[o] else 0.0,
                  statistics.median(ds_by_path[d]) if ds_by_path[d] else 0.0, q)
                 for q, o, d in zip(QUERIES, ours_paths, ds_paths, strict=True)]
    for ours_ms, ds_ms, query in sorted(per_query, reverse=True)[:10]:
        print(f"  {query:<34}{ours_ms:>10.1f}{ds_ms:>12.1f}")
    print()
    print("Partner list: SQL statements per request (constant whatever the page size)")
    for url, n in list_query_counts():
        print(f"  {url:<56}{n!s:>8}")
    print()
    return report_problems(problems)


def report_problems(problems: list[str]) -> int:
    """Print the first errors of a benchmark run; the exit status: 1 when there were any."""
    if not problems:
        return 0
    print("Errors:")
    for problem in problems[:20]:
        print("  " + problem)
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("free-port")
    copy = sub.add_parser("copy")
    copy.add_argument("src")
    copy.add_argument("dst")
    run = sub.add_parser("measure")
    run.add_argument("--ours", required=True, help="base URL of the registry, http://127.0.0.1:PORT")
    run.add_argument("--datasette", required=True, help="base URL of Datasette")
    run.add_argument("--datasette-db", default="copy", help="database name in Datasette's URLs")
    run.add_argument("--gunicorn-pid", type=int, required=True)
    run.add_argument("--datasette-pid", type=int, default=0)
    run.add_argument("--documents", default="?", help="number of documents, for the heading")
    run.add_argument("--clients", type=int, default=8)
    run.add_argument("--seconds", type=float, default=20.0, help="duration of each throughput run")
    run.add_argument("--passes", type=int, default=3, help="passes over the queries for single-request latency")
    run.add_argument("--max-requests", type=int, default=200_000, help="cap on each throughput run")
    args = parser.parse_args(argv)
    if args.command == "free-port":
        print(free_port())
        return 0
    if args.command == "copy":
        copy_database(args.src, args.dst)
        return 0
    return measure(args)


if __name__ == "__main__":
    sys.exit(main())
