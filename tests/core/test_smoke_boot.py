from tests.conftest import login, post


def test_staff_signs_in_and_sees_dashboard(app, make_user):
    user = make_user("staff")
    client = app.test_client()
    assert login(client, user).status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert user.name in page.get_data(as_text=True)
    assert post(client, "/logout").status_code == 302
