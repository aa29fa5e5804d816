"""The CSV import benchmark (issue 8, "Speed"): our partner import against `sqlite-utils insert`.

Subcommands:
  measure --work DIR --sqlite-utils PATH [--rows 20000]
      on the instance of REGISTRY_INSTANCE_PATH (a fresh one: reference and demo data only), in this process:
      write a deterministic CSV of --rows partners (Finnish names, valid unique business IDs, category, legal
      form, level, web site, regions, themes and a street address, which the import has no field for and leaves
      out) to DIR/partners.csv; import it as the demo director through the import pages (upload, the dry run of
      the preview page for the first file, then the commit job that the confirm button starts, run inline), in
      files of at most uploads.MAX_ROWS rows, as the pages accept; then time
      `sqlite-utils insert DIR/sqlite-utils.db partners DIR/partners.csv --csv` on the same file; print a table
      with rows/s and the ratio, and one JSON line.

The import does far more per row than sqlite-utils: it validates every cell (business-ID check digit, lengths,
categories, levels, regions and themes against the reference data, web addresses), looks for the business ID in
the registry and for duplicate names and IDs in the file, saves each partner through the ORM
(services.save_partner, as the form does) with its audit event and search-index document, and commits all rows
of a file in one all-or-nothing transaction.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.agreements import DIRECTOR_EMAIL, _demo_user

FIRST_BUSINESS_NUMBER = 7_100_000  # outside the demo data and the generated range of registry.directory.demo
STREETS = ("Kauppakatu", "Rantatie", "Koulukatu", "Asemakatu", "Kirkkokatu", "Puistotie", "Teollisuustie",
           "Hallituskatu", "Myllytie", "Satamakatu")
HEADERS = ["Nimi", "Namn", "Y-tunnus", "Kategoria", "Oikeudellinen muoto", "Taso", "Verkkosivut", "Alueet",
           "Teemat", "Lähiosoite"]
SEED = 2031


def write_csv(path: Path, rows: int) -> None:
    """`rows` partners as our own export would list them (Finnish labels), the same file for the same count."""
    from flask_babel import force_locale
    from sqlalchemy import select

    from registry.core.models import Region
    from registry.directory.demo import _synthetic_partner, business_ids
    from registry.directory.models import CATEGORY_LABELS, LEVEL_LABELS, Theme
    from registry.extensions import db

    regions = {code: name for code, name in db.session.execute(select(Region.code, Region.name_fi))}
    themes = {code: name for code, name in db.session.execute(select(Theme.code, Theme.name_fi))}
    ids = business_ids(FIRST_BUSINESS_NUMBER)
    with path.open("w", encoding="utf-8", newline="") as handle, force_locale("fi"):
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for index in range(rows):
            rng = random.Random(SEED * 1_000_003 + index)
            data = _synthetic_partner(index, rng)
            writer.writerow([
                data["name_fi"], data["name_sv"] or "", next(ids), CATEGORY_LABELS[data["category"]],
                data["legal_form"] or "", LEVEL_LABELS[data["level"]], data["website"],
                ", ".join(regions[c] for c in data["regions"] if c in regions),
                ", ".join(themes[c] for c in data["themes"] if c in themes),
                f"{rng.choice(STREETS)} {rng.randint(1, 120)}"])


def _token(page: bytes) -> str:
    found = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page)
    return found.group(1).decode() if found else ""


def import_files(client: Any, files: list[tuple[str, bytes]]) -> dict[str, float]:
    """Each file through the import pages; the seconds of the uploads, the first file's dry run (the preview
    page; its similar-name check costs some 10-20 ms a row, so the others skip to the commit, which does not
    need it) and the commits."""
    import io

    spent = {"upload": 0.0, "dry_run": 0.0, "commit": 0.0}
    for number, (name, data) in enumerate(files):
        started = time.perf_counter()
        form = client.get("/directory/import")
        response = client.post("/directory/import", data={"csrf_token": _token(form.data), "kind": "partners",
                                                          "file": (io.BytesIO(data), name)},
                               content_type="multipart/form-data")
        if response.status_code != 302 or "/mapping" not in response.location:
            raise SystemExit(f"uploading {name} failed (HTTP {response.status_code})")
        upload_id = response.location.rstrip("/").split("/")[-2]
        checked = time.perf_counter()
        preview = client.get(f"/directory/import/{upload_id}/preview" if number == 0 else "/directory/import")
        if preview.status_code != 200:
            raise SystemExit(f"the dry run of {name} failed (HTTP {preview.status_code})")
        committing = time.perf_counter()
        response = client.post(f"/directory/import/{upload_id}/commit", data={"csrf_token": _token(preview.data)})
        if response.status_code != 302:
            raise SystemExit(f"committing {name} failed (HTTP {response.status_code})")
        job = client.get(response.location.rstrip("/") + ".json").get_json()
        if job["status"] != "done" or not job["result"].get("committed"):
            raise SystemExit(f"the import of {name} did not commit: {json.dumps(job)[:500]}")
        finished = time.perf_counter()
        spent["upload"] += checked - started
        spent["dry_run"] += committing - checked if number == 0 else 0.0
        spent["commit"] += finished - committing
    return spent


def measure(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from registry import create_app
    from registry.directory import uploads
    from registry.directory.models import Partner
    from registry.extensions import db

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    path = work / "partners.csv"
    app = create_app()
    app.config["JOBS_SYNCHRONOUS"] = True  # the commit job runs inside the request, so it can be timed
    with app.app_context():
        write_csv(path, args.rows)
        before = db.session.scalar(select(func.count(Partner.id)))
    lines = path.read_bytes().splitlines(keepends=True)
    header, body = lines[0], lines[1:]
    files = [(f"partners-{n + 1}.csv", header + b"".join(body[start:start + uploads.MAX_ROWS]))
             for n, start in enumerate(range(0, len(body), uploads.MAX_ROWS))]

    client = app.test_client()
    director = _demo_user(DIRECTOR_EMAIL)
    page = client.get("/login")
    response = client.post("/login", data={"email": director["email"], "password": director["password"],
                                           "csrf_token": _token(page.data)})
    if response.status_code != 302:
        raise SystemExit(f"signing in as {DIRECTOR_EMAIL} failed (HTTP {response.status_code})")
    spent = import_files(client, files)
    with app.app_context():
        created = db.session.scalar(select(func.count(Partner.id))) - before
    if created != args.rows:
        raise SystemExit(f"the import created {created} partners, not {args.rows}")

    target = work / "sqlite-utils.db"
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run([args.sqlite_utils, "insert", str(target), "partners", str(path), "--csv"], check=True,
                   capture_output=True, timeout=600)
    theirs = time.perf_counter() - started
    version = subprocess.run([args.sqlite_utils, "--version"], capture_output=True, text=True, check=False)
    import sqlite3

    with sqlite3.connect(target) as conn:
        inserted = conn.execute("select count(*) from partners").fetchone()[0]
    first = min(args.rows, uploads.MAX_ROWS)
    ours_rps, dry_rps, their_rps = args.rows / spent["commit"], first / spent["dry_run"], inserted / theirs
    result = {"rows": args.rows, "files": len(files), "bytes": path.stat().st_size,
              "ours": {"commit_seconds": round(spent["commit"], 2), "rows_per_second": round(ours_rps),
                       "dry_run_rows": first, "dry_run_seconds": round(spent["dry_run"], 2),
                       "dry_run_rows_per_second": round(dry_rps),
                       "upload_seconds": round(spent["upload"], 2)},
              "sqlite_utils": {"version": version.stdout.strip(), "seconds": round(theirs, 2), "rows": inserted,
                               "rows_per_second": round(their_rps)},
              "ratio": round(their_rps / ours_rps, 1)}

    print()
    print(f"CSV import: {args.rows} partners ({result['bytes'] // 1024} KiB, {len(HEADERS)} columns) into a fresh "
          f"instance as the demo director, in {len(files)} files of at most {uploads.MAX_ROWS} rows (the "
          f"import's limit per file); {result['sqlite_utils']['version']} gets the whole file")
    print(f"{'measure':<52}{'seconds':>10}{'rows/s':>10}")
    print("-" * 72)
    print(f"{'our import: the commit (confirm step, background job)':<52}{spent['commit']:>10.2f}{ours_rps:>10.0f}")
    label = f"our import: the dry run of the first {first} rows"
    print(f"{label:<52}{spent['dry_run']:>10.2f}{dry_rps:>10.0f}")
    print(f"{'sqlite-utils insert … --csv':<52}{theirs:>10.2f}{their_rps:>10.0f}")
    print(f"{'sqlite-utils rows/s ÷ our commit rows/s':<52}{result['ratio']:>20.1f}")
    print("  Per row our commit checks every cell again (business-ID check digit, lengths, categories, levels,")
    print("  regions and themes against the reference data, web address), looks the business ID up in the")
    print("  registry and duplicates up in the file, saves the partner through the ORM as the form does, with its")
    print("  audit event and search-index document, and commits each file all-or-nothing; the dry run also looks")
    print("  for partners with similar names. sqlite-utils stores the text as it is, in one new table.")
    print()
    print("JSON " + json.dumps({"csv_import": result}, ensure_ascii=False, sort_keys=True))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.imports", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("measure")
    run.add_argument("--work", required=True, help="folder for the CSV file and the sqlite-utils database")
    run.add_argument("--sqlite-utils", required=True, help="the sqlite-utils program")
    run.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args(argv)
    return measure(args)


if __name__ == "__main__":
    sys.exit(main())
