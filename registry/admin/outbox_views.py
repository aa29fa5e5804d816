"""The mail outbox (admin): every queued and sent message, newest first; one message in full."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from ..core import mail, queries
from ..core.models import OutboxMessage
from ..core.pagination import paginate

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")
bp.record_once(lambda state: mail.register_mail(state.app))  # type: ignore[arg-type]  # delivery after requests and jobs that queue mail


@bp.get("")
def index() -> ResponseReturnValue:
    page = paginate(select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()))
    return render_template("currency/outbox.html", page=page, smtp=mail.smtp_configured(current_app),
                           pending=mail.pending_count(), statuses={m.id: mail.message_status(m) for m in page.items})


@bp.get("/<int:message_id>")
def message(message_id: int) -> ResponseReturnValue:
    message = queries.get_or_404(OutboxMessage, message_id)
    return render_template("currency/outbox_message.html", message=message, status=mail.message_status(message))
