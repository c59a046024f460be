"""The original service's credential rules, and the same-site check on `next`."""

import pytest

from app.auth import rules
from app.auth.views import safe_next_path


@pytest.mark.parametrize(("raw", "expected"), [
    ("  Ann@Example.COM ", "ann@example.com"),
    ("bob@example.com", "bob@example.com"),
    (None, ""),
    (42, ""),
    (["a@example.com"], ""),
])
def test_normalise_email_trims_and_lowercases(raw, expected):
    assert rules.normalise_email(raw) == expected


@pytest.mark.parametrize("email", ["a@example.com", "first.last+tag@sub.example.org"])
def test_valid_emails_pass(email):
    assert rules.email_problem(email) is None


@pytest.mark.parametrize("email", ["", "plain", "a@", "@example.com", "a@localhost", "a b@example.com", "a@b.test"])
def test_invalid_emails_are_refused(email):
    assert rules.email_problem(email) == "Email must be valid"


@pytest.mark.parametrize(("raw", "ok"), [
    ("abcde", True), ("x" * 20, True), ("  abcde  ", True), ("abcd", False), (" abcd ", False),
    ("x" * 21, False), ("", False), (None, False), (12345, False),
])
def test_password_length_is_5_to_20_after_trimming(raw, ok):
    assert (rules.new_password_problem(rules.clean_password(raw)) is None) is ok


def test_signup_problems_name_every_bad_field():
    assert rules.signup_problems("nope", "abc") == {
        "email": "Email must be valid", "password": "Password must be between 5 and 20 characters"}
    assert rules.signup_problems("a@example.com", "abcde") == {}


def test_signin_needs_an_email_and_some_password():
    assert rules.signin_problems("a@example.com", "") == {"password": "You must supply a password"}
    assert rules.signin_problems("a@example.com", "x") == {}


@pytest.mark.parametrize("path", ["/", "/orders", "/orders/abc?x=1&y=2", "/tickets/new#top", "/a//b"])
def test_same_site_paths_are_kept(path):
    assert safe_next_path(path) == path


@pytest.mark.parametrize("value", [
    None, "", "//evil.com", "///evil.com", "https://evil.com", "http:evil.com", "http:/evil.com", "/\\evil.com",
    "\\\\evil.com", "/\\/evil.com", "/\t/evil.com", "/\n/evil.com", "/\r//evil.com", "javascript:alert(1)",
    "evil.com", " /orders", "/" + "a" * 2001,
])
def test_other_sites_and_tricks_are_refused(value):
    assert safe_next_path(value) is None
