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
    assert "Tiedosto on liian suuri" in big.get_data(as_text=True)


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


def test_healthz(app):
    assert app.test_client().get("/healthz").json == {"status": "ok"}


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
