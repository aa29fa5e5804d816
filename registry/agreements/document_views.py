"""Agreement documents (upload, download) and the exports of the agreement list (CSV, XLSX, PDF register).

Routes on the agreements blueprint; the bytes of the exports come from exports.py, documents are kept by
`core.documents` through documents.py.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..core import audit
from ..core.access import allowed
from ..core.documents import send_document
from ..core.models import utcnow
from ..core.queries import get_or_404
from ..core.services import ServiceError
from ..core.web import form_failed
from ..extensions import db
from ..i18n import current_language
from ..i18n import today as helsinki_today
from . import documents, exports, queries, services
from .models import Agreement, DocumentRole
from .views import bp

ROLE_LABELS = {DocumentRole.SIGNED: _l("Signed agreement"), DocumentRole.ANNEX: _l("Annex")}
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class DocumentForm(FlaskForm):
    """A signed PDF or an annex, or a new version of an existing document."""

    file = FileField(_l("PDF file"), validators=[FileRequired()])
    replaces = SelectField(_l("New version of"), choices=[], default="")
    role = SelectField(_l("Kind of document"), choices=[SelectChoice(r.value, v) for r, v in ROLE_LABELS.items()],
                       validators=[InputRequired()], default=DocumentRole.SIGNED.value)
    title = StringField(_l("Title"), validators=[Length(max=documents.TITLE_MAX)])
    confidential = BooleanField(_l("Confidential: only directors and administrators see it"))


def _may_upload(agreement: Agreement) -> bool:
    return allowed("agreements.document_new", current_user) and services.may_change(current_user, agreement)


@bp.context_processor
def _document_helpers() -> dict[str, Any]:
    """What the detail page's document section needs (one query for the documents of the shown agreement)."""
    return {"agreement_document_groups": lambda agreement: documents.document_groups(agreement.id, current_user),
            "may_upload_documents": _may_upload, "DOCUMENT_ROLE_LABELS": ROLE_LABELS}




@bp.route("/<int:agreement_id>/documents/new", methods=["GET", "POST"])
def document_new(agreement_id: int) -> ResponseReturnValue:
    agreement = get_or_404(Agreement, agreement_id)
    if not services.may_change(current_user, agreement):
        abort(403)
    form = DocumentForm()
    heads = documents.replaceable(agreement.id, current_user)
    form.replaces.choices = [SelectChoice("", _("– a new document –"))] + [
        SelectChoice(str(d.id), f"{d.title} ({_('version %(n)d', n=d.version_no)})") for d in heads]
    if request.method == "GET" and request.args.get("replaces", "").isdigit():
        form.replaces.data = request.args["replaces"]
        chosen = next((d for d in heads if str(d.id) == form.replaces.data), None)
        if chosen is not None:
            form.role.data, form.confidential.data = chosen.role.value, chosen.confidential
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.read(int(current_app.config["DOCUMENT_MAX_BYTES"]) + 1)  # one byte more: too large
        try:
            doc = documents.add_document(agreement, data, storage.filename or "", role=form.role.data or "",
                                         title=form.title.data or "", confidential=form.confidential.data,
                                         user=current_user,
                                         replaces_id=int(form.replaces.data) if form.replaces.data else None)
        except ServiceError as error:
            form_failed(form, error)
        else:
            db.session.commit()
            flash(_("The document %(title)s (version %(n)d) was saved.", title=doc.title, n=doc.version_no),
                  "success")
            return redirect(url_for(".detail", agreement_id=agreement.id, _anchor="documents"))
    page = render_template("agreements/document_form.html", form=form, agreement=agreement,
                           max_mb=int(current_app.config["DOCUMENT_MAX_BYTES"]) / 1024 / 1024)
    return page, 400 if form.errors else 200


@bp.get("/<int:agreement_id>/documents/<int:document_id>")
def document(agreement_id: int, document_id: int) -> ResponseReturnValue:
    doc = documents.document_for_download(agreement_id, document_id, current_user)
    if doc is None:
        abort(404)  # another agreement's document, a confidential one for staff, or none at all
    response = send_document(doc.document)
    audit.record_read(doc, note=f"agreement {agreement_id}: {doc.title}, version {doc.version_no}")
    return response


# --- exports of the list ----------------------------------------------------------------------------


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _listed() -> list[Agreement]:
    return exports.agreements_for_export(queries.filters_from(request.args))


@bp.get("/export.csv")
def export_csv() -> ResponseReturnValue:
    rows = _listed()
    return _download(exports.agreements_csv(rows), CSV_TYPE, f"agreements-{helsinki_today().isoformat()}.csv")


@bp.get("/export.xlsx")
def export_xlsx() -> ResponseReturnValue:
    rows = _listed()
    return _download(exports.agreements_xlsx(rows), XLSX_TYPE, f"agreements-{helsinki_today().isoformat()}.xlsx")


@bp.get("/report.pdf")
def report_pdf() -> ResponseReturnValue:
    filters = queries.filters_from(request.args)
    rows = exports.agreements_for_export(filters, limit=exports.MAX_REGISTER_ROWS + 1, register=True)
    total = exports.count_for_export(filters) if len(rows) > exports.MAX_REGISTER_ROWS else len(rows)
    data = exports.build_register_pdf(rows[:exports.MAX_REGISTER_ROWS], filters_text=exports.describe_filters(filters),
                                      now=utcnow(), locale=current_language(), total=total)
    return _download(data, "application/pdf", f"agreement-register-{helsinki_today().isoformat()}.pdf")
