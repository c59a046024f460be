"""Registration against the real database: one account per email under concurrency, and the event in the outbox."""

import threading

import pytest

from app.auth import services
from app.auth.errors import EmailInUseError
from app.platform.uow import run_in_transaction
from tests.integration.auth.conftest import SIGNUP, api_signup, unique_email

SIGNUPS = 20


def test_concurrent_signups_with_one_email_create_exactly_one_account(app, db):
    email = unique_email()
    barrier = threading.Barrier(SIGNUPS)
    responses = [None] * SIGNUPS

    def sign_up(i):
        client = app.test_client()
        barrier.wait()  # all 20 arrive at the same moment
        responses[i] = client.post(SIGNUP[i % 2], json={"email": email, "password": f"password-{i}"})

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(SIGNUPS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [400] * (SIGNUPS - 1), statuses
    for response in responses:
        if response.status_code == 400:
            assert response.get_json() == {"errors": [{"message": "Email in use", "field": "email"}]}
    assert db.auth_users.count_documents({"email": email}) == 1
    assert db.platform_outbox.count_documents({"type": "auth.user_registered.v1"}) == 1


def test_signup_records_user_registered_in_the_outbox(client, db):
    email = unique_email()
    user_id = api_signup(client, email).get_json()["id"]
    events = list(db.platform_outbox.find({"type": "auth.user_registered.v1"}))
    assert len(events) == 1
    event = events[0]
    assert event["aggregate_id"] == user_id
    assert event["version"] == 0
    assert event["payload"]["email"] == email
    assert "password" not in str(event["payload"])


def test_refused_duplicate_emits_no_event(client, db):
    email = unique_email()
    api_signup(client, email)
    assert api_signup(client, email.upper()).status_code == 400
    assert db.platform_outbox.count_documents({"type": "auth.user_registered.v1"}) == 1


def test_account_and_event_commit_or_vanish_together(app, db):
    email = unique_email()

    def register_then_fail():
        services.register_user(email, "password-1")
        raise RuntimeError("the surrounding use case failed")

    with app.app_context(), pytest.raises(RuntimeError):
        run_in_transaction(register_then_fail)
    assert db.auth_users.count_documents({}) == 0
    assert db.platform_outbox.count_documents({}) == 0


def test_register_user_refuses_an_email_in_use(app, db):
    email = unique_email()
    with app.app_context():
        first = services.register_user(f"  {email.upper()}", "password-1")
        with pytest.raises(EmailInUseError) as refused:
            services.register_user(email, "password-2")
        assert services.authenticate(email, "password-1").id == first.id
    assert refused.value.field == "email"
    assert db.auth_users.count_documents({}) == 1
