"""Cross-cutting web concerns: CSRF for every state change, security headers, translated error pages."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, current_app, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from ..extensions import csrf, db
from .access import is_api_request
from .database import SAFE_METHODS

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie gets the Secure flag whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def _bearer() -> bool:
    return request.headers.get("Authorization", "").lower().startswith("bearer ")


def _reject_nul() -> None:
    # No browser sends NUL characters; PostgreSQL cannot store them. Refuse such input up front.
    for values in (request.args, request.form if request.method not in SAFE_METHODS else {}):
        if any("\x00" in v for v in values.values()):  # type: ignore[attr-defined]
            abort(400)


def _csrf_check() -> None:
    # Forms and JSON alike; only API calls authenticated by a bearer token are exempt
    # (a browser cannot attach that header cross-site without CORS, which we never allow).
    if request.method not in SAFE_METHODS and not _bearer():
        csrf.protect()


def _security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if "Cache-Control" not in response.headers and request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


ERROR_TEXTS = {
    400: (lambda: _("Bad request"), lambda: _("The request could not be understood. Go back and try again.")),
    403: (lambda: _("Access denied"), lambda: _("You do not have permission to use this page.")),
    404: (lambda: _("Page not found"), lambda: _("The page you asked for does not exist or was removed.")),
    405: (lambda: _("Method not allowed"), lambda: _("This address does not accept that kind of request.")),
    413: (lambda: _("Too much data sent"),
          lambda: _("The file or text sent is larger than the application accepts. Go back, shorten the text or "
                    "choose a smaller file, and send again.")),
    429: (lambda: _("Too many attempts"),
          lambda: _("Too many attempts in a short time. Wait a few minutes and try again.")),
    500: (lambda: _("Something went wrong"),
          lambda: _("The error has been recorded. Nothing you saved earlier was lost. Try again shortly.")),
}


def _error_response(code: int, detail: str | None = None) -> tuple[Any, int]:
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    message = detail or text()
    if is_api_request():
        return jsonify(error=title(), message=message, status=code), code
    return render_template("errors/error.html", code=code, title=title(), message=message), code


def _handle_http(exc: HTTPException) -> Any:
    if exc.code is None or exc.code < 400 or exc.code not in ERROR_TEXTS:
        return exc
    detail = None
    if isinstance(exc, CSRFError):
        detail = _("The form has expired or was sent from elsewhere. Reload the page and try again.")
    response = _error_response(exc.code, detail)
    allowed = getattr(exc, "valid_methods", None)
    if exc.code == 405 and allowed:
        return (*response, {"Allow": ", ".join(allowed)})
    return response


def _handle_500(exc: Exception) -> Any:
    db.session.rollback()
    if not isinstance(exc, HTTPException):  # Flask logs only the exceptions that no handler takes
        current_app.logger.error("Exception on %s [%s]", request.path, request.method, exc_info=exc)
    return _error_response(500)


def register_web(app: Flask) -> None:
    """CSRF hook, headers and error handlers."""
    app.session_interface = SessionInterface()
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    app.before_request(_reject_nul)
    app.before_request(_csrf_check)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(InternalServerError, _handle_500)
    if not app.testing:
        app.register_error_handler(Exception, _handle_500)


def form_failed(form: Any, error: Any) -> None:
    """Undo the failed change and show the service's message next to its field (or above the form)."""
    db.session.rollback()
    field = getattr(form, error.field or "", None)
    (field.errors if field is not None else form.form_errors).append(error.message)
