"""The agreement tracker's benchmark (issue 4, "Speed"); scripts/bench runs it after the search benchmark.

Subcommands:
  measure --ours URL         sign in as the demo director over HTTP and measure the agreement dashboard and the
                             agreement list pages (median, p95); count SQL statements per list page in-process;
                             run `register-pdf` in a fresh process; print a table and one JSON line
  register-pdf [--count N]   build the register PDF of N agreements (default 5000) in this process; print its
                             time, size, pages and the process's peak memory (ru_maxrss) as JSON

Targets: dashboard p95 < 100 ms; register PDF of 5,000 agreements < 10 s and < 300 MB peak memory; list
pages with a constant number of SQL statements. Everything talks to 127.0.0.1 only; every loop is bounded.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import resource
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from bench.run import Client, percentile, report_problems, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
DIRECTOR_EMAIL = "juha.johtaja@demo.rise.example"
LIST_PATHS = ["/agreements/", "/agreements/?page=2", "/agreements/?status=in_force", "/agreements/?centre=ESRSK",
              "/agreements/?expiring_within_days=90", "/agreements/?q=yhteisty%C3%B6"]


def _demo_user(email: str) -> dict[str, str]:
    rows = csv.DictReader((ROOT / "seed" / "demo_users.csv").open(encoding="utf-8"))
    return next(r for r in rows if r["email"] == email)


class SessionClient(Client):
    """A keep-alive client that keeps the session cookie (the HTML pages need a signed-in session)."""

    def __init__(self, base: str) -> None:
        super().__init__(base)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes, Any]:
        import http.client

        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _sep, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, data, response

    def get(self, path: str) -> tuple[int, bytes]:
        status, data, _response = self.request("GET", path)
        return status, data

    def sign_in(self, email: str, password: str) -> None:
        _status, page, _response = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
        body = urllib.parse.urlencode({"email": email, "password": password,
                                       "csrf_token": token.group(1).decode() if token else ""})
        status, _data, response = self.request("POST", "/login", body)
        if status != 302 or "/login" in (response.getheader("Location") or ""):
            raise SystemExit(f"signing in as {email} failed (HTTP {status})")


def timed(client: Client, paths: list[str], passes: int, max_seconds: float) -> tuple[list[float], list[str]]:
    """Single requests one after another: durations in ms and the failures."""
    samples: list[float] = []
    failures: list[str] = []
    deadline = time.monotonic() + max_seconds
    for _ in range(passes):
        for path in paths:
            if time.monotonic() > deadline:
                return samples, failures
            started = time.perf_counter()
            status, _body = client.get(path)
            samples.append((time.perf_counter() - started) * 1000)
            if status != 200:
                failures.append(f"HTTP {status} for {path}")
    return samples, failures


def list_query_counts() -> list[tuple[str, int | str]]:
    """SQL statements per agreement list request at different page sizes (must not grow with the page)."""
    from sqlalchemy import event

    from registry import create_app
    from registry.extensions import db

    app = create_app()
    user = _demo_user(DIRECTOR_EMAIL)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    response = client.post("/login", data={"email": user["email"], "password": user["password"],
                                           "csrf_token": token.group(1) if token else ""})
    if response.status_code != 302:
        return [("sign-in for the agreement list failed", response.status_code)]
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(*_args: Any) -> None:
        statements.append("")

    rows: list[tuple[str, int | str]] = []
    default_size = app.config["PAGE_SIZE"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        for url, size in (("/agreements/?page=1", 10), ("/agreements/?page=1", 50), ("/agreements/?page=1", 200),
                          ("/agreements/?page=3", 50), ("/api/v1/agreements?per_page=10", None),
                          ("/api/v1/agreements?per_page=100", None)):
            app.config["PAGE_SIZE"] = size or default_size
            statements.clear()
            status = client.get(url).status_code
            label = f"{url} (page size {size})" if size else url
            rows.append((label, len(statements) if status == 200 else f"HTTP {status}"))
    finally:
        app.config["PAGE_SIZE"] = default_size
        event.remove(engine, "before_cursor_execute", count)
    return rows


def register_pdf(count: int) -> dict[str, Any]:
    """Build the register of `count` agreements as the view does (the list's query, then the PDF)."""
    from registry import create_app
    from registry.agreements import exports, queries
    from registry.core.models import utcnow

    app = create_app()
    with app.test_request_context():
        started = time.perf_counter()
        agreements = exports.agreements_for_export(queries.AgreementFilters(), limit=count, register=True)
        distinct = len(agreements)
        while agreements and len(agreements) < count:  # a small bench database: repeat the rows
            agreements.extend(agreements[:count - len(agreements)])
        loaded = time.perf_counter()
        data = exports.build_register_pdf(agreements, filters_text="", now=utcnow(), locale="fi")
        finished = time.perf_counter()
    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(data)).pages)
    return {"agreements": len(agreements), "distinct": distinct, "query_seconds": round(loaded - started, 3),
            "seconds": round(finished - started, 3), "bytes": len(data), "pages": pages,
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def measure(args: argparse.Namespace) -> int:
    wait_until_up(args.ours, "/healthz", 120)
    director = _demo_user(DIRECTOR_EMAIL)
    client = SessionClient(args.ours)
    client.sign_in(director["email"], director["password"])
    problems: list[str] = []
    timed(client, ["/agreements/dashboard", *LIST_PATHS], passes=1, max_seconds=120)  # warm the caches
    dashboard, failed = timed(client, ["/agreements/dashboard"], passes=args.passes, max_seconds=args.seconds)
    problems += failed
    listing, failed = timed(client, LIST_PATHS, passes=max(1, args.passes // len(LIST_PATHS)),
                            max_seconds=args.seconds)
    problems += failed
    client.close()
    counts = list_query_counts()
    process = subprocess.run([sys.executable, "-m", "bench.agreements", "register-pdf", "--count", str(args.count)],
                             capture_output=True, text=True, timeout=600, check=False)
    pdf: dict[str, Any] = {}
    if process.returncode == 0:
        pdf = json.loads(process.stdout.strip().splitlines()[-1])
    else:
        problems.append(f"register PDF: exit {process.returncode}: {process.stderr[-500:]}")
    result = {
        "agreements": args.agreements,
        "dashboard_ms": {"median": round(statistics.median(dashboard), 1), "p95": round(percentile(dashboard, 0.95), 1),
                         "requests": len(dashboard)} if dashboard else {},
        "list_ms": {"median": round(statistics.median(listing), 1), "p95": round(percentile(listing, 0.95), 1),
                    "requests": len(listing)} if listing else {},
        "register_pdf": pdf, "list_sql_statements": dict(counts),
    }

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print()
    print(f"Agreement benchmark: {args.agreements} agreements; dashboard as the demo director")
    print(f"{'measure':<52}{'value':>12}{'target':>12}  result")
    print("-" * 84)
    if dashboard:
        p95 = result["dashboard_ms"]["p95"]
        print(f"{'dashboard median (ms)':<52}{result['dashboard_ms']['median']:>12.1f}")
        print(f"{'dashboard p95 (ms)':<52}{p95:>12.1f}{'< 100':>12}  {verdict(p95 < 100)}")
    if listing:
        print(f"{'list pages median (ms)':<52}{result['list_ms']['median']:>12.1f}")
        print(f"{'list pages p95 (ms)':<52}{result['list_ms']['p95']:>12.1f}")
    if pdf:
        label = f"register PDF of {pdf['agreements']} agreements (s)"
        print(f"{label:<52}{pdf['seconds']:>12.2f}{'< 10':>12}  {verdict(pdf['seconds'] < 10)}")
        print(f"{'  of which loading the agreements (s)':<52}{pdf['query_seconds']:>12.2f}")
        print(f"{'register PDF peak memory (MiB)':<52}{pdf['peak_rss_mib']:>12.1f}{'< 300':>12}  "
              f"{verdict(pdf['peak_rss_mib'] < 300)}")
        print(f"{'register PDF pages, size (KiB)':<52}{pdf['pages']:>6}{pdf['bytes'] // 1024:>6}")
        if pdf["distinct"] < pdf["agreements"]:
            print(f"  note: the database has {pdf['distinct']} agreements; they were repeated to make "
                  f"{pdf['agreements']} rows")
    pages = {n for k, n in counts if not k.startswith("/api/")}
    api = {n for k, n in counts if k.startswith("/api/")}
    constant = len(pages) == 1 and len(api) == 1 and all(isinstance(n, int) for n in pages | api)
    shown = f"{'/'.join(str(n) for n in sorted(pages, key=str))} | {'/'.join(str(n) for n in sorted(api, key=str))}"
    print(f"{'list page | API: SQL statements per request':<52}{shown:>12}{'constant':>12}  {verdict(constant)}")
    print()
    print("JSON " + json.dumps(result, ensure_ascii=False, sort_keys=True))
    return report_problems(problems)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.agreements", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("measure")
    run.add_argument("--ours", required=True, help="base URL of the registry, http://127.0.0.1:PORT")
    run.add_argument("--agreements", default="?", help="number of agreements, for the heading")
    run.add_argument("--passes", type=int, default=100, help="dashboard requests measured")
    run.add_argument("--seconds", type=float, default=60.0, help="time limit of each latency run")
    run.add_argument("--count", type=int, default=5000, help="agreements in the register PDF")
    pdf = sub.add_parser("register-pdf")
    pdf.add_argument("--count", type=int, default=5000)
    args = parser.parse_args(argv)
    if args.command == "register-pdf":
        print(json.dumps(register_pdf(args.count)))
        return 0
    return measure(args)


if __name__ == "__main__":
    sys.exit(main())
