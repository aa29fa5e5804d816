"""Import and export pages: spreadsheets in (upload → column mapping → dry run → commit as a background job),
CSV/XLSX lists, vCards and PDF directories out. The bytes come from transfer.py and exports.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ..core import audit, jobs, queries
from ..core.models import Unit, UnitKind, utcnow
from ..core.services import ServiceError
from ..extensions import db
from ..i18n import today as helsinki_today
from . import exports, rules, search, transfer, uploads
from .models import Contact
from .search_views import filters_from

bp = Blueprint("transfer", __name__, url_prefix="/directory")

JOB_KIND = "import"
jobs.KIND_LABELS[JOB_KIND] = _l("Import of partners or contacts")
KIND_NAMES = {"partners": _l("Partners"), "contacts": _l("Contacts")}
PREVIEW_ROWS = 500  # rows listed one by one on the preview page (the counts and errors cover every row)

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(FlaskForm):
    """Step 1: what to import and the file."""

    kind = SelectField(_l("What the file contains"), choices=[SelectChoice(k, v) for k, v in KIND_NAMES.items()],
                       validators=[InputRequired()], default="partners")
    file = FileField(_l("File (.csv or .xlsx)"), validators=[FileRequired()])


def _folder() -> Path:
    """Uploads wait here between the steps, under random names (see uploads.store_upload)."""
    return Path(current_app.config.get("IMPORT_FOLDER") or Path(current_app.instance_path) / "imports")


def _upload_or_404(upload_id: str) -> uploads.Upload:
    upload = uploads.load_upload(_folder(), upload_id, current_user.id)
    if upload is None:
        abort(404)
    return upload


def _table(upload: uploads.Upload) -> uploads.Table:
    try:
        return uploads.read_table(upload.path(_folder()).read_bytes(), upload.ext)
    except (OSError, ServiceError):
        abort(404)


# --- the overview page ------------------------------------------------------------------------------


@bp.get("/transfer")
def index() -> ResponseReturnValue:
    centres = db.session.scalars(select(Unit).where(Unit.kind == UnitKind.SANCTION_CENTRE)
                                 .order_by(Unit.name_fi)).all()
    return render_template("transfer/index.html", centres=centres, choices=search.filter_choices(),
                           kinds=KIND_NAMES, fields=transfer.FIELDS, max_rows=uploads.MAX_ROWS,
                           max_mb=uploads.MAX_UPLOAD_BYTES // (1024 * 1024))


# --- import -------------------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
def import_upload() -> ResponseReturnValue:
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.stream.read(uploads.MAX_UPLOAD_BYTES + 1)
        ext = uploads.file_extension(storage.filename or "")
        try:
            if ext is None:
                raise uploads.ImportFileError(_("Choose a CSV (.csv) or Excel (.xlsx) file."))
            if len(data) > uploads.MAX_UPLOAD_BYTES:
                raise uploads.ImportFileError(_("The file is larger than %(n)d MB.",
                                                 n=uploads.MAX_UPLOAD_BYTES // (1024 * 1024)))
            table = uploads.read_table(data, ext)
        except ServiceError as error:
            form.file.errors = [*form.file.errors, error.message]
        else:
            upload = uploads.store_upload(_folder(), data, kind=form.kind.data or "partners", ext=ext,
                                           user_id=current_user.id, filename=storage.filename or "")
            upload.mapping = transfer.guess_mapping(upload.kind, table.headers)
            uploads.save_upload(_folder(), upload)
            return redirect(url_for(".import_mapping", upload_id=upload.id))
    page = render_template("transfer/import_upload.html", form=form, max_rows=uploads.MAX_ROWS,
                           max_mb=uploads.MAX_UPLOAD_BYTES // (1024 * 1024))
    return page, 400 if form.errors else 200


def _mapping_form(upload: uploads.Upload, table: uploads.Table) -> FlaskForm:
    """Step 2: one drop-down per field of the registry, listing the file's columns."""
    choices = [SelectChoice("", _("– not imported –"))] + [SelectChoice(str(i), header)
                                                         for i, header in enumerate(table.headers)]

    class MappingForm(FlaskForm):
        pass

    for target, label in transfer.FIELDS[upload.kind].items():
        setattr(MappingForm, target, SelectField(label, choices=choices, default=""))
    form = MappingForm()
    if request.method == "GET":
        for target, column in upload.mapping.items():
            if target in form and column < len(table.headers):
                form[target].data = str(column)
    return form


@bp.route("/import/<upload_id>/mapping", methods=["GET", "POST"])
def import_mapping(upload_id: str) -> ResponseReturnValue:
    upload = _upload_or_404(upload_id)
    table = _table(upload)
    form = _mapping_form(upload, table)
    if form.validate_on_submit():
        mapping = {target: int(form[target].data) for target in transfer.FIELDS[upload.kind]
                   if form[target].data}
        problems = transfer.mapping_problems(upload.kind, mapping)
        for target, message in problems.items():
            form[target].errors = [*form[target].errors, message]
        if not problems:
            upload.mapping = mapping
            uploads.save_upload(_folder(), upload)
            return redirect(url_for(".import_preview", upload_id=upload.id))
    page = render_template("transfer/import_mapping.html", form=form, upload=upload, table=table,
                           sample=table.rows[:3], kinds=KIND_NAMES, required=transfer.REQUIRED[upload.kind])
    return page, 400 if form.errors else 200


@bp.get("/import/<upload_id>/preview")
def import_preview(upload_id: str) -> ResponseReturnValue:
    upload = _upload_or_404(upload_id)
    if transfer.mapping_problems(upload.kind, upload.mapping):
        return redirect(url_for(".import_mapping", upload_id=upload.id))
    table = _table(upload)
    report = transfer.check_import(upload.kind, table, upload.mapping, current_user)
    return render_template("transfer/import_preview.html", upload=upload, report=report, kinds=KIND_NAMES,
                           plans=report.plans[:PREVIEW_ROWS], more=max(0, len(report.plans) - PREVIEW_ROWS),
                           mapped=[(transfer.FIELDS[upload.kind][t], table.headers[c])
                                   for t, c in upload.mapping.items()])


def run_import(progress: jobs.Progress, upload_id: str) -> dict[str, Any]:
    """The background part of the commit: check again, save every row in one transaction, or save nothing."""
    folder = _folder()
    upload = uploads.load_upload(folder, upload_id, current_user.id)
    if upload is None:
        raise ServiceError(_("The uploaded file is no longer available. Upload it again."))
    table = uploads.read_table(upload.path(folder).read_bytes(), upload.ext)
    try:
        report = transfer.apply_import(upload.kind, table, upload.mapping, current_user, progress)
    except transfer.ImportFailed as failed:
        db.session.rollback()
        return {**failed.report.to_dict(), "filename": upload.filename,
                "url": url_for("transfer.import_preview", upload_id=upload.id)}
    counts = report.counts
    audit.record("import", object_type="partner" if upload.kind == "partners" else "contact",
                 note=f"{upload.filename}: created {counts['create']}, updated {counts['update']}, "
                      f"skipped {counts['skip']}")
    db.session.commit()
    uploads.delete_upload(folder, upload.id)
    return {**report.to_dict(), "filename": upload.filename, "url": url_for("transfer.index")}


@bp.post("/import/<upload_id>/commit")
def import_commit(upload_id: str) -> ResponseReturnValue:
    upload = _upload_or_404(upload_id)
    if transfer.mapping_problems(upload.kind, upload.mapping):
        return redirect(url_for(".import_mapping", upload_id=upload.id))
    table = _table(upload)
    job = jobs.start_job(JOB_KIND, current_user, 2 * len(table.rows), run_import, upload.id)
    return redirect(url_for("currency.job", job_id=job.id))


@bp.post("/import/<upload_id>/cancel")
def import_cancel(upload_id: str) -> ResponseReturnValue:
    upload = _upload_or_404(upload_id)
    uploads.delete_upload(_folder(), upload.id)
    flash(_("The import was cancelled and the uploaded file deleted."), "success")
    return redirect(url_for(".index"))


# --- export -------------------------------------------------------------------------------------------


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _slug(text: str) -> str:
    """An ASCII file-name part: folded words (ä → a) joined by hyphens; letters without an ASCII form drop out."""
    words = [re.sub(r"[^a-z0-9]", "", w) for w in rules.search_terms(text, max_terms=6)]
    return "-".join(w for w in words if w)[:60] or "export"


def _stamp() -> str:
    return helsinki_today().isoformat()


@bp.get("/partners.csv")
def partners_csv() -> ResponseReturnValue:
    header, rows = exports.partner_rows(exports.partners_for_export(filters_from(request.args)))
    return _download(exports.build_csv(header, rows), CSV_TYPE, f"partners-{_stamp()}.csv")


@bp.get("/partners.xlsx")
def partners_xlsx() -> ResponseReturnValue:
    header, rows = exports.partner_rows(exports.partners_for_export(filters_from(request.args)))
    return _download(exports.build_xlsx(_("Partners"), header, rows), XLSX_TYPE, f"partners-{_stamp()}.xlsx")


@bp.get("/contacts.csv")
def contacts_csv() -> ResponseReturnValue:
    header, rows = exports.contact_rows(exports.contacts_for_export(filters_from(request.args)))
    return _download(exports.build_csv(header, rows, exports.PHONE_COLUMNS), CSV_TYPE,
                     f"contacts-{_stamp()}.csv")


@bp.get("/contacts.xlsx")
def contacts_xlsx() -> ResponseReturnValue:
    header, rows = exports.contact_rows(exports.contacts_for_export(filters_from(request.args)))
    return _download(exports.build_xlsx(_("Contacts"), header, rows, exports.PHONE_COLUMNS), XLSX_TYPE,
                     f"contacts-{_stamp()}.xlsx")


@bp.get("/contacts/<int:contact_id>.vcf")
def contact_vcard(contact_id: int) -> ResponseReturnValue:
    contact = queries.get_or_404(Contact, contact_id)
    return _download(exports.build_vcard(contact), "text/vcard; charset=utf-8", f"{_slug(contact.name)}.vcf")


@bp.get("/centres/<int:unit_id>/directory.pdf")
def centre_pdf(unit_id: int) -> ResponseReturnValue:
    centre = queries.get_or_404(Unit, unit_id)
    if centre.kind is not UnitKind.SANCTION_CENTRE:
        abort(404)
    data = exports.build_centre_pdf(exports.centre_directory(centre), now=utcnow())
    return _download(data, "application/pdf", f"contact-directory-{_slug(centre.code)}-{_stamp()}.pdf")
