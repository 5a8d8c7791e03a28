"""What the spawners hide before anything reaches the log or the spawn page (pure functions)."""

from __future__ import annotations

import pytest

from dockerspawner.redaction import REDACTED, redact_text, redacted_create_kwargs


@pytest.mark.parametrize(("line", "secret"), [
    ("Jupyter Server 2.14 is running at http://127.0.0.1:8888/lab?token=9f8e7d6c5b4a", "9f8e7d6c5b4a"),
    ("http://nb:8888/?foo=1&token=abcdef123456#x", "abcdef123456"),
    ("JUPYTERHUB_API_TOKEN=0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"),
    ("DB_PASSWORD: 'hunter2-but-longer'", "hunter2-but-longer"),
    ("token=abcdef123456", "abcdef123456"),
    ("export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "wJalrXUtnFEMI/K7MDENG"),
    ("Authorization: token 4a3b2c1d0e9f8a7b6c5d", "4a3b2c1d0e9f8a7b6c5d"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "eyJhbGciOiJIUzI1NiJ9.e30.sig"),
])
def test_token_like_values_are_hidden(line, secret):
    shown = redact_text(line)
    assert secret not in shown and REDACTED in shown


def test_a_known_secret_is_hidden_wherever_it_appears():
    token = "s3cr3t-value-of-this-spawn"
    assert redact_text(f"echo {token} > /tmp/x", [token, None]) == f"echo {REDACTED} > /tmp/x"


def test_ordinary_lines_are_left_alone():
    line = "[I 2026-12-01 ServerApp] Serving notebooks from local directory: /home/jovyan (tokens: 0)"
    assert redact_text(line) == line


def test_create_arguments_hide_secret_environment_values():
    kwargs = {"image": "x", "environment": {"JUPYTERHUB_API_TOKEN": "t", "GRANT_SUDO": "yes"}}
    assert redacted_create_kwargs(kwargs)["environment"] == {"JUPYTERHUB_API_TOKEN": REDACTED, "GRANT_SUDO": "yes"}
    assert redacted_create_kwargs({"environment": ["DB_PASSWORD=p", "A=1"]})["environment"] == [
        f"DB_PASSWORD={REDACTED}", "A=1"]
