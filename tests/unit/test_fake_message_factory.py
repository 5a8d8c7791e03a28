"""The catalogue's factories: a declared wording is called as the function it replaced."""

from __future__ import annotations

import inspect

import pytest

from fakedocker.messages import _catalogue
from fakedocker.messages._catalogue import message, text


def test_fields_are_the_arguments_in_order_by_position_or_name():
    gone = message(404, "network {ref} not found in {scope}")
    assert list(inspect.signature(gone).parameters) == ["ref", "scope"]
    by_position, by_name = gone("n1", "local"), gone(scope="local", ref="n1")
    assert (by_position.status, str(by_position.message)) == (404, "network n1 not found in local")
    assert by_name.message == by_position.message


def test_args_fixes_an_order_other_than_the_templates():
    missing = message(404, "Could not find the file {path} in container {name}", args=("name", "path"))
    assert missing("c1", "/etc").message == "Could not find the file /etc in container c1"


def test_a_wrong_call_raises_what_a_function_would():
    gone = message(404, "network {ref} not found")
    with pytest.raises(TypeError):
        gone()
    with pytest.raises(TypeError):
        gone("a", "b")
    with pytest.raises(TypeError):
        gone(name="a")


def test_conversions_and_specs_and_newer_wordings():
    slow = message(400, "bad value {value!r} after {seconds:g}s", newer={"26.1": (422, "refused {value!r}")})
    error = slow("x", 2.50)
    assert error.message == "bad value 'x' after 2.5s"
    assert error.newer == {"26.1": (422, "refused 'x'")}


def test_a_field_that_is_not_an_argument_name_is_refused_when_declared():
    for template in ("{}", "{0}", "{a.b}", "{a[0]}"):
        with pytest.raises(ValueError):
            message(500, template)
    with pytest.raises(ValueError):
        message(500, "{a} {b}", args=("a",))


def test_text_gives_a_plain_string():
    warning = text("Network with name {name} (id : {network_id}) already exists")
    assert warning("n", "abc") == "Network with name n (id : abc) already exists"
    assert repr(warning).startswith("text(") and _catalogue.Text is type(warning)
