"""Import of existing applications from a Webropol CSV export: column mapping, preview, per-row report.

Steps: upload (the file is kept server-side under a random id, `directory.uploads`) → columns (suggested from the
headers) → preview (every row checked, the first ones listed with their messages) → confirm (rows checked again and
the valid ones imported, each whole or not at all) → report (per row, also as CSV). Only the uploader sees their
file and report (404 otherwise).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from ..core import audit
from ..core.models import utcnow
from ..core.services import ServiceError
from ..directory import uploads
from ..extensions import db
from . import webropol
from .views import bp

PREVIEW_ROWS = 25  # rows listed one by one on the preview page (the counts and errors cover every row)
REPORT = "{id}.report.json"


class UploadForm(FlaskForm):
    """Step 1: the exported file."""

    file = FileField(_l("Webropol export (.csv)"), validators=[FileRequired()])


def _folder() -> Path:
    """Uploads and reports wait here between the steps (removed after 24 hours, see uploads.purge_uploads)."""
    base = current_app.config.get("IMPORT_FOLDER") or Path(current_app.instance_path) / "imports"
    return Path(base) / "applications"


def _upload_or_404(upload_id: str) -> uploads.Upload:
    upload = uploads.load_upload(_folder(), upload_id, current_user.id)
    if upload is None or upload.kind != webropol.KIND:
        abort(404)
    return upload


def _table(upload: uploads.Upload) -> uploads.Table:
    try:
        return uploads.read_table(upload.path(_folder()).read_bytes(), upload.ext)
    except (OSError, ServiceError):
        abort(404)


@bp.route("/applications/import", methods=["GET", "POST"])
def import_csv() -> ResponseReturnValue:
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.stream.read(uploads.MAX_UPLOAD_BYTES + 1)
        try:
            if uploads.file_extension(storage.filename or "") != "csv":
                raise uploads.ImportFileError(_("Choose the CSV file (.csv) exported from Webropol."))
            if len(data) > uploads.MAX_UPLOAD_BYTES:
                raise uploads.ImportFileError(_("The file is larger than %(n)d MB.",
                                                 n=uploads.MAX_UPLOAD_BYTES // (1024 * 1024)))
            table = uploads.read_table(data, "csv")
            if len(table.rows) > webropol.MAX_ROWS:
                raise uploads.ImportFileError(_("The file has %(n)d rows; import at most %(max)d rows at a time.",
                                    n=len(table.rows), max=webropol.MAX_ROWS))
        except ServiceError as error:
            form.file.errors = [*form.file.errors, error.message]
        else:
            upload = uploads.store_upload(_folder(), data, kind=webropol.KIND, ext="csv", user_id=current_user.id,
                                          filename=storage.filename or "")
            upload.mapping = webropol.suggest_mapping(table.headers)
            uploads.save_upload(_folder(), upload)
            return redirect(url_for(".import_mapping", upload_id=upload.id))
    page = render_template("applications/import_upload.html", form=form, max_rows=webropol.MAX_ROWS,
                           max_mb=uploads.MAX_UPLOAD_BYTES // (1024 * 1024), fields=webropol.FIELDS,
                           required=webropol.REQUIRED)
    return page, 400 if form.errors else 200


def _mapping_form(upload: uploads.Upload, table: uploads.Table) -> FlaskForm:
    """Step 2: one drop-down per field of an application, listing the file's columns."""
    choices = [SelectChoice("", _("– not imported –"))] + [SelectChoice(str(i), header)
                                                         for i, header in enumerate(table.headers)]

    class MappingForm(FlaskForm):
        pass

    for target, label in webropol.FIELDS.items():
        setattr(MappingForm, target, SelectField(label, choices=choices, default=""))
    form = MappingForm()
    if request.method == "GET":
        for target, column in upload.mapping.items():
            if target in form and column < len(table.headers):
                form[target].data = str(column)
    return form


@bp.route("/applications/import/<upload_id>/mapping", methods=["GET", "POST"])
def import_mapping(upload_id: str) -> ResponseReturnValue:
    upload = _upload_or_404(upload_id)
    table = _table(upload)
    form = _mapping_form(upload, table)
    if form.validate_on_submit():
        mapping = {target: int(form[target].data) for target in webropol.FIELDS if form[target].data}
        problems = webropol.mapping_problems(mapping)
        for target, message in problems.items():
            form[target].errors = [*form[target].errors, message]
        if not problems:
            upload.mapping = mapping
            uploads.save_upload(_folder(), upload)
            return redirect(url_for(".import_preview", upload_id=upload.id))
    page = render_template("applications/import_mapping.html", form=form, upload=upload, table=table,
                           sample=table.rows[:3], required=webropol.REQUIRED)
    return page, 400 if form.errors else 200


def _save_report(upload: uploads.Upload, results: list[webropol.RowResult]) -> None:
    report = {"user_id": current_user.id, "filename": upload.filename, "created_at": utcnow().isoformat(),
              "counts": webropol.counts(results), "rows": [r.as_dict() for r in results]}
    (_folder() / REPORT.format(id=upload.id)).write_text(json.dumps(report), encoding="utf-8")


def _report_or_404(upload_id: str) -> dict[str, Any]:
    if not uploads.UPLOAD_ID.match(upload_id):
        abort(404)
    try:
        report = json.loads((_folder() / REPORT.format(id=upload_id)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        abort(404)
    if not isinstance(report, dict) or report.get("user_id") != current_user.id:
        abort(404)
    return report


@bp.route("/applications/import/<upload_id>/preview", methods=["GET", "POST"])
def import_preview(upload_id: str) -> ResponseReturnValue:
    if request.method == "POST" and uploads.UPLOAD_ID.match(upload_id) and (
            _folder() / REPORT.format(id=upload_id)).exists():
        return redirect(url_for(".import_report", upload_id=upload_id))  # confirmed twice: the import is done
    upload = _upload_or_404(upload_id)
    if webropol.mapping_problems(upload.mapping):
        return redirect(url_for(".import_mapping", upload_id=upload.id))
    table = _table(upload)
    if request.method == "POST":  # confirm: check again and import the valid rows
        results = webropol.import_rows(table, upload.mapping)
        counts = webropol.counts(results)
        audit.record("import", object_type="application",
                     note=f"{upload.filename}: imported {counts['imported']}, invalid {counts['invalid']}, "
                          f"already imported {counts['duplicate']}")
        db.session.commit()
        uploads.delete_upload(_folder(), upload.id)
        _save_report(upload, results)
        flash(_("%(n)d applications imported.", n=counts["imported"]), "success")
        return redirect(url_for(".import_report", upload_id=upload.id))
    results = webropol.check_rows(table, upload.mapping)
    problems = [r for r in results if r.status in ("invalid", "duplicate")]
    return render_template("applications/import_preview.html", upload=upload, counts=webropol.counts(results),
                           rows=results[:PREVIEW_ROWS], more=max(0, len(results) - PREVIEW_ROWS),
                           problems=problems[:1000], problem_total=len(problems), labels=webropol.STATUS_LABELS,
                           mapped=[(webropol.FIELDS[t], table.headers[c]) for t, c in upload.mapping.items()
                                   if c < len(table.headers)])


@bp.post("/applications/import/<upload_id>/cancel")
def import_cancel(upload_id: str) -> ResponseReturnValue:
    upload = _upload_or_404(upload_id)
    uploads.delete_upload(_folder(), upload.id)
    flash(_("The import was cancelled and the uploaded file deleted."), "success")
    return redirect(url_for(".import_csv"))


@bp.get("/applications/import/<upload_id>/report")
def import_report(upload_id: str) -> ResponseReturnValue:
    report = _report_or_404(upload_id)
    return render_template("applications/import_report.html", report=report, upload_id=upload_id,
                           labels=webropol.STATUS_LABELS)


@bp.get("/applications/import/<upload_id>/report.csv")
def import_report_csv(upload_id: str) -> ResponseReturnValue:
    report = _report_or_404(upload_id)
    response = Response(webropol.report_csv(report.get("rows") or []), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="application-import-{upload_id[:8]}.csv"'
    return response
