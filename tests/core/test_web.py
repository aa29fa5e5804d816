"""Security headers on every kind of response, translated error pages, JSON errors under /api/."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login

REQUIRED = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy")


def _assert_headers(response):
    for name in REQUIRED:
        assert name in response.headers, name
    csp = response.headers["Content-Security-Policy"]
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_headers_on_a_page_a_404_a_download_and_json(app):
    client = app.test_client()
    for response in (client.get("/login"), client.get("/no-such-page"), client.get("/static/css/app.css"),
                     client.get("/healthz"), client.get("/api/v1/units"), client.get("/api/v1/openapi.json")):
        _assert_headers(response)
        response.close()


def test_hsts_only_over_https(app):
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get("/login").headers
    assert "max-age" in client.get("/login", base_url="https://localhost").headers["Strict-Transport-Security"]


def test_pages_have_no_inline_script(app, make_user):
    client = app.test_client()
    login(client, make_user("admin"))
    for url in ("/", "/profile", "/admin/users", "/login"):
        body = client.get(url, follow_redirects=True).get_data(as_text=True)
        assert "<script>" not in body and "onclick=" not in body and "style=" not in body


@pytest.mark.parametrize("lang,text", [("fi", "Sivua ei löytynyt"), ("sv", "Sidan hittades inte"),
                                       ("en", "Page not found")])
def test_404_is_translated(app, lang, text):
    response = app.test_client().get("/missing", headers={"Accept-Language": lang})
    assert response.status_code == 404 and text in response.get_data(as_text=True)


def test_405_400_413_pages(app):
    client = app.test_client()
    # CSRF is checked first on every unsafe method, before routing decides the method is not allowed
    assert client.delete("/login").status_code == 400
    assert client.put("/healthz").status_code == 400
    assert client.post("/healthz", headers={"X-CSRFToken": "x"}).status_code == 400
    big = client.post("/login", data={"email": "x" * (17 * 1024 * 1024)})
    assert big.status_code == 413
    assert "Lähetetty tiedosto tai teksti on suurempi kuin sovellus hyväksyy" in big.get_data(as_text=True)


def test_405_on_a_safe_method(app):
    response = app.test_client().get("/logout", headers={"Accept-Language": "en"})
    assert response.status_code == 405 and "Method not allowed" in response.get_data(as_text=True)
    assert "POST" in response.headers["Allow"]


def test_api_errors_are_json(app):
    client = app.test_client()
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json["status"] == 404
    anonymous = client.get("/api/v1/me")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"


def test_openapi_document_lists_the_api(app):
    doc = app.test_client().get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert {"/me", "/units", "/regions"} <= set(doc["paths"])
    api_rules = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule.removeprefix("/api/v1")) for r in app.url_map.iter_rules()
                 if r.rule.startswith("/api/v1/") and r.endpoint != "api.openapi"}  # <int:x> is {x} in OpenAPI
    assert api_rules <= set(doc["paths"]), "every API route is described in the OpenAPI document"


def test_unexpected_errors_get_a_translated_500_page(app_factory):
    app = app_factory(TESTING=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    from registry.core.access import ACCESS, PUBLIC

    ACCESS["boom"] = PUBLIC
    try:
        response = app.test_client().get("/boom")
    finally:
        del ACCESS["boom"]
    assert response.status_code == 500
    assert "Jokin meni vikaan" in response.get_data(as_text=True)
    _assert_headers(response)


def test_health_check_answers_for_the_database(app_factory, tmp_path):
    assert app_factory().test_client().get("/healthz").get_json() == {"status": "ok", "database": "ok"}
    # A database that cannot be opened (a folder where the file should be): 503, not 200 and not a 500 page.
    (tmp_path / "gone.db").mkdir()
    broken = app_factory(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'gone.db'}")
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unavailable"}


def test_sign_in_works_when_the_shared_rate_limit_store_is_down(app_factory, make_user):
    # Nothing listens on port 1: the limits are counted in this process instead, and signing in still works.
    down = app_factory(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", LOGIN_LIMIT_PER_ACCOUNT="2 per minute")
    user = make_user("staff")
    client = down.test_client()
    assert login(client, user).status_code == 302
    statuses = [login(down.test_client(), user, password="wrong").status_code for _ in range(3)]
    assert statuses[-1] == 429  # the per-account limit still holds
