"""The networks-and-meetings benchmark (issue 5, "Speed"); scripts/bench runs it after the agreement benchmark.

Subcommands:
  facts                      print the benchmark user's facts as JSON (in-process, on the instance's database):
                             sign-in, feed token, the series their feed covers, the busiest month
  measure --ours URL         measure over HTTP the benchmark user's personal feed GET /calendar/<token>.ics (no
                             cookie; parsed once with icalendar to count its VEVENTs) and, signed in as that
                             user, the month view GET /meetings/?view=month&month=YYYY-MM&scope=mine of the busiest
                             month; print a table (median, p95) and one JSON line

The benchmark user and their networks come from `registry seed --demo --scale N` (registry/meetings/scale.py:
N/100 generated networks; the user follows networks until the feed covers 1,000 series, which needs N of about
50,000 or more). Targets: the feed of 1,000 series < 300 ms, the month view with >= 500 occurrences < 150 ms
(median; the time is measured by the client on 127.0.0.1, so it is the server's time plus a loopback round trip).
Everything talks to 127.0.0.1 only; every loop is bounded.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from typing import Any

from bench.agreements import SessionClient, timed
from bench.run import Client, percentile, report_problems, wait_until_up

FEED_TARGET_MS, MONTH_TARGET_MS = 300, 150
FEED_SERIES, MONTH_OCCURRENCES = 1000, 500  # the volumes the targets are stated for


def bench_facts() -> dict[str, Any]:
    """The benchmark user's facts, read in this process from the instance's database."""
    from registry import create_app
    from registry.meetings.scale import bench_facts as facts

    app = create_app()
    with app.app_context():
        return facts()


def _stats(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {}
    return {"median": round(statistics.median(samples), 1), "p95": round(percentile(samples, 0.95), 1),
            "requests": len(samples)}


def feed_contents(body: bytes) -> dict[str, int]:
    """What the feed holds: VEVENTs, of which recurring (RRULE), overrides (RECURRENCE-ID), cancelled."""
    from icalendar import Calendar

    events = list(Calendar.from_ical(body).walk("VEVENT"))
    return {"vevents": len(events), "with_rrule": sum("RRULE" in e for e in events),
            "overrides": sum("RECURRENCE-ID" in e for e in events),
            "cancelled": sum(str(e.get("STATUS", "")).upper() == "CANCELLED" for e in events), "bytes": len(body)}


def render_times(token: str, passes: int) -> list[float]:
    """Server time of rendering the personal feed with nothing cached (in this process, through the WSGI app;
    the rendered-feed cache is emptied before every request): what the first fetch after a change costs."""
    import time

    from registry import create_app

    app = create_app()
    client = app.test_client()
    client.get(f"/calendar/{token}.ics")  # imports, templates, time-zone tables
    samples = []
    for _ in range(passes):
        app.extensions.get("registry_caches", {}).clear()
        started = time.perf_counter()
        response = client.get(f"/calendar/{token}.ics")
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"rendering the feed gave HTTP {response.status_code}")
    return samples


def measure(args: argparse.Namespace) -> int:
    wait_until_up(args.ours, "/healthz", 120)
    problems: list[str] = []
    facts = bench_facts()
    if not facts.get("token"):
        return report_problems(["the benchmark user has no feed token"])
    feed_path = f"/calendar/{facts['token']}.ics"
    month_path = f"/meetings/?view=month&month={facts['month']}&scope=mine"

    feed_client = Client(args.ours)
    status, body = feed_client.get(feed_path)
    contents: dict[str, int] = {}
    feed: list[float] = []
    if status != 200:
        problems.append(f"HTTP {status} for the personal feed /calendar/<token>.ics")
    else:
        try:
            contents = feed_contents(body)
        except ValueError as error:
            problems.append(f"the personal feed does not parse: {error}")
        timed(feed_client, [feed_path], passes=2, max_seconds=60)  # warm the caches
        feed, failed = timed(feed_client, [feed_path], passes=args.passes, max_seconds=args.seconds)
        problems += [f.replace(facts["token"], "<token>") for f in failed]
    feed_client.close()
    rendered = render_times(facts["token"], passes=20) if status == 200 else []

    month: list[float] = []
    client = SessionClient(args.ours)
    client.sign_in(facts["email"], facts["password"])
    status, _page = client.get(month_path)
    if status != 200:
        problems.append(f"HTTP {status} for {month_path}")
    else:
        timed(client, [month_path], passes=2, max_seconds=60)
        month, failed = timed(client, [month_path], passes=args.passes, max_seconds=args.seconds)
        problems += failed
    client.close()

    result = {"series": facts["series"], "month": facts["month"], "occurrences": facts["occurrences"],
              "feed": contents, "feed_ms": _stats(feed), "feed_render_ms": _stats(rendered),
              "month_ms": _stats(month)}

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print()
    print(f"Meetings benchmark: personal feed of {facts['series']} series; month view {facts['month']} with "
          f"{facts['occurrences']} occurrences (scope mine), as the benchmark user")
    print(f"{'measure':<52}{'value':>12}{'target':>12}  result")
    print("-" * 84)
    if feed:
        median = result["feed_ms"]["median"]
        print(f"{'personal feed median (ms)':<52}{median:>12.1f}{'< ' + str(FEED_TARGET_MS):>12}  "
              f"{verdict(median < FEED_TARGET_MS)}")
        print(f"{'personal feed p95 (ms)':<52}{result['feed_ms']['p95']:>12.1f}")
    if rendered:
        median = result["feed_render_ms"]["median"]
        print(f"{'feed rendered uncached, server median (ms)':<52}{median:>12.1f}"
              f"{'< ' + str(FEED_TARGET_MS):>12}  {verdict(median < FEED_TARGET_MS)}")
        print(f"{'feed rendered uncached, server p95 (ms)':<52}{result['feed_render_ms']['p95']:>12.1f}")
    if contents:
        print(f"{'personal feed VEVENTs (with RRULE, overrides)':<52}{contents['vevents']:>12}"
              f"{contents['with_rrule']:>6}{contents['overrides']:>6}")
        print(f"{'personal feed size (KiB)':<52}{contents['bytes'] // 1024:>12}")
    if month:
        median = result["month_ms"]["median"]
        print(f"{'month view median (ms)':<52}{median:>12.1f}{'< ' + str(MONTH_TARGET_MS):>12}  "
              f"{verdict(median < MONTH_TARGET_MS)}")
        print(f"{'month view p95 (ms)':<52}{result['month_ms']['p95']:>12.1f}")
    if facts["series"] < FEED_SERIES:
        print(f"  note: the feed covers {facts['series']} series, fewer than the {FEED_SERIES} of the target "
              f"(a larger BENCH_SCALE makes more)")
    if facts["occurrences"] < MONTH_OCCURRENCES:
        print(f"  note: the month has {facts['occurrences']} occurrences, fewer than the {MONTH_OCCURRENCES} of "
              f"the target")
    print()
    print("JSON " + json.dumps(result, ensure_ascii=False, sort_keys=True))
    return report_problems(problems)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.meetings", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("measure")
    run.add_argument("--ours", required=True, help="base URL of the registry, http://127.0.0.1:PORT")
    run.add_argument("--passes", type=int, default=50, help="requests measured per page")
    run.add_argument("--seconds", type=float, default=60.0, help="time limit of each latency run")
    sub.add_parser("facts")
    args = parser.parse_args(argv)
    if args.command == "facts":
        facts = bench_facts()
        print(json.dumps({**facts, "token": "<set>" if facts.get("token") else None, "password": "<set>"}))
        return 0
    return measure(args)


if __name__ == "__main__":
    sys.exit(main())
