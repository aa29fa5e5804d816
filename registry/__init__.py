"""Rise stakeholder-cooperation registry and contract tracker."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import StrictUndefined

from .config import build_config, instance_path_from_env

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, checks."""
    app = Flask(__name__, instance_path=instance_path_from_env(), instance_relative_config=True)
    app.config.update(build_config(app.instance_path, config))
    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.jinja_env.add_extension("jinja2.ext.do")
    if app.config.get("TEMPLATES_STRICT"):
        app.jinja_env.undefined = StrictUndefined
    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    from .core.access import check_table_covers

    check_table_covers(app)
    if not app.testing:
        # What is built here lives as long as the process: move it out of the garbage collector's sight, so
        # that full collections do not walk it again and again (about 100 ms in the middle of a large calendar
        # feed), and forked server workers keep sharing its memory pages (copy-on-write).
        gc.freeze()
    return app


def register_extensions(app: Flask) -> None:
    """Database, migrations, sign-in, CSRF, languages, rate limits, headers, access and audit."""
    from datetime import timedelta

    from .access import models as _access_models  # noqa: F401  (tables for migrations)
    from .agreements import models as _agreement_models  # noqa: F401  (tables for migrations)
    from .applications import models as _application_models  # noqa: F401  (tables for migrations)
    from .auth.services import load_user_from_request
    from .core.access import register_access
    from .core.audit import register_audit
    from .core.database import include_object, register_database
    from .core.logs import register_logging
    from .core.web import register_web
    from .directory import models as _directory_models  # noqa: F401  (tables for migrations)
    from .directory.search import register_search
    from .extensions import db, limiter, login_manager, migrate
    from .i18n import register_i18n
    from .meetings import models as _meeting_models  # noqa: F401  (tables for migrations)

    register_database(app)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True, include_object=include_object)
    app.permanent_session_lifetime = timedelta(hours=app.config["SESSION_MAX_HOURS"])
    login_manager.init_app(app)
    login_manager.request_loader(load_user_from_request)
    login_manager.session_protection = None  # sessions are checked on the server instead
    register_i18n(app)
    limiter.init_app(app)
    register_logging(app)  # first: the request id and timer wrap everything else
    register_web(app)  # CSRF runs before the access check
    register_access(app)
    register_audit(app)
    register_search(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per domain."""
    from .access.views import bp as access_bp
    from .admin.outbox_views import bp as outbox_bp
    from .admin.views import bp as admin_bp
    from .agreements.views import bp as agreements_bp
    from .api.views import bp as api_bp
    from .applications.views import bp as applications_bp
    from .auth.views import bp as auth_bp
    from .core.views import bp as main_bp
    from .directory.currency_views import bp as currency_bp
    from .directory.search_views import bp as search_bp
    from .directory.transfer_views import bp as transfer_bp
    from .directory.views import bp as directory_bp
    from .meetings.views import bp as meetings_bp

    for bp in (main_bp, auth_bp, admin_bp, api_bp, directory_bp, search_bp, transfer_bp, currency_bp, outbox_bp,
               access_bp, agreements_bp, meetings_bp, applications_bp):
        app.register_blueprint(bp)


def register_cli(app: Flask) -> None:
    """The `registry` command group: init-db, seed, users, tokens."""
    from .cli import register_commands

    register_commands(app)
