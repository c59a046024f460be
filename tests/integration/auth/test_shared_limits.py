"""The sign-in limit holds across gunicorn workers: the store as `make run` starts it (no Redis, so the counters live
in the database) with two web workers lets exactly the limit through, and its headers count down truthfully."""

import re
import uuid

import requests

from tests.servers import Store


def test_two_gunicorn_workers_share_one_sign_in_budget(tmp_path, out_dir):
    store = Store(out_dir / "shared-limits.log", tmp_path / "instance", WEB_WORKERS="2",
                  RATELIMIT_SIGNIN="10 per minute")
    try:
        store.start()
        answers = []
        for _ in range(20):
            # A new connection each time, so the requests spread over both workers.
            response = requests.post(store.url + "/api/users/signin", timeout=10, headers={"Connection": "close"},
                                     json={"email": f"nobody-{uuid.uuid4().hex[:8]}@example.com",
                                           "password": "wrong-pass"})
            answers.append((response.status_code, response.headers.get("X-RateLimit-Remaining")))
        pids = set(re.findall(r"Booting worker with pid: (\d+)", store.log()))
    finally:
        store.stop()
    assert len(pids) == 2  # two web workers served these requests
    assert [status for status, _ in answers] == [400] * 10 + [429] * 10
    assert [int(remaining) for _, remaining in answers[:10]] == list(range(9, -1, -1))
    assert {remaining for _, remaining in answers[10:]} == {"0"}
