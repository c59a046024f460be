"""Every error has one shape, no traceback reaches a client, and health endpoints tell the truth."""

import time

import pytest

from app import create_app
from app.platform.embedded import free_port


@pytest.fixture
def fresh_app(base_env):
    """Return a new app (routes can still be added) bound to the session's servers."""
    app = create_app(dict(base_env))
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/api/boom")
    def boom():
        raise RuntimeError("secret internals: password=hunter2")

    @app.get("/boom")
    def boom_page():
        raise RuntimeError("secret internals: password=hunter2")

    return app


def test_unknown_route_is_404_in_the_error_shape(client):
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json == {"errors": [{"message": "Not found"}]}


def test_wrong_method_is_405_with_allow(client):
    response = client.delete("/healthz", headers={"Accept": "application/json"})
    assert response.status_code == 405
    assert response.json["errors"][0]["message"] == "Method not allowed"
    assert "GET" in response.headers["Allow"]


def test_unexpected_failure_is_500_with_a_request_id_and_no_traceback(fresh_app, caplog):
    client = fresh_app.test_client()
    response = client.get("/api/boom")
    assert response.status_code == 500
    message = response.json["errors"][0]["message"]
    request_id = response.headers["X-Request-ID"]
    assert request_id in message
    assert "hunter2" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert any(request_id in record.getMessage() for record in caplog.records)


def test_browsers_get_an_error_page_not_json(fresh_app):
    client = fresh_app.test_client()
    response = client.get("/boom", headers={"Accept": "text/html"})
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page and "hunter2" not in page
    missing = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "Page not found" in missing.get_data(as_text=True)


def test_healthz_and_readyz_answer_when_everything_is_up(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_readyz_names_the_dependency_that_is_down_and_answers_fast(base_env):
    dead = free_port()
    app = create_app(dict(base_env) | {"MONGODB_URI": f"mongodb://127.0.0.1:{dead}/x?directConnection=true",
                                        "MONGODB_TIMEOUT_MS": "300",
                                        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    started = time.monotonic()
    response = app.test_client().get("/readyz")
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    messages = " ".join(e["message"] for e in response.json["errors"])
    assert "mongodb" in messages and "queue" in messages
    assert app.test_client().get("/healthz").status_code == 200
