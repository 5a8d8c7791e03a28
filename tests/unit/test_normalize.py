"""The parity harness's masking functions (no Docker needed)."""

import sys
from pathlib import Path

import docker.errors
import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from normalize import (  # noqa: E402
    drop_ipv6_bindings,
    error_signature,
    mask_string,
    normalize,
    sort_unordered,
)

FULL = "3cf22c9cbc4823286ca72f19c2c85ead6e46e9a924e8b9d66c91dfdd1e021b6c"


@pytest.mark.parametrize(
    "raw, masked",
    [
        (FULL, "<id>"),
        ("sha256:" + FULL, "sha256:<id>"),
        (FULL[:12], "<short-id>"),
        ("2026-11-25T20:33:57.633303315Z", "<time>"),
        ("2026-11-25T20:45:09Z", "<time>"),
        ("0001-01-01T00:00:00Z", "<zero-time>"),
        ("02:42:ac:11:00:02", "<mac>"),
        ("172.17.0.2", "<ip>"),
        ("192.168.16.2/20", "<ip>"),
        ("127.0.0.1", "127.0.0.1"),
        ("0.0.0.0", "0.0.0.0"),
        ("No such container: fdtest-abc", "No such container: fdtest-abc"),
        (f"container {FULL[:12]} is using image", "container <short-id> is using image"),
    ],
)
def test_mask_string(raw, masked):
    assert mask_string(raw) == masked


def test_normalize_by_key():
    raw = {
        "Id": FULL,
        "State": {"Pid": 4046, "ExitCode": 137, "StartedAt": "2026-11-25T20:33:57.8Z"},
        "Config": {"Hostname": FULL[:12], "Cmd": ["sh", "-c", "sleep 1000"]},
        "Ports": {"8888/tcp": [{"HostIp": "127.0.0.1", "HostPort": "32769"}]},
        "Fixed": [{"HostIp": "", "HostPort": "8080"}],
        "Size": 1985612,
        "Created": 1795639544,
        "Aliases": ["b", "a"],
        "Labels": {"x": "1"},
        "Stopped": {"Pid": 0},
        "ID": "xptmbdge6truibgpt1yxdafkw",
    }
    assert normalize(raw) == {
        "Id": "<id>",
        "State": {"Pid": "<pid>", "ExitCode": 137, "StartedAt": "<time>"},
        "Config": {"Hostname": "<short-id>", "Cmd": ["sh", "-c", "sleep 1000"]},
        "Ports": {"8888/tcp": [{"HostIp": "127.0.0.1", "HostPort": "<port>"}]},
        "Fixed": [{"HostIp": "", "HostPort": "8080"}],
        "Size": "<size>",
        "Created": "<unix-time>",
        "Aliases": ["a", "b"],
        "Labels": {"x": "1"},
        "Stopped": {"Pid": 0},
        "ID": "<swarm-id>",
    }


def test_normalize_masks_dict_keys_and_keeps_command_order():
    assert normalize({FULL: {"Cmd": ["b", "a"]}}) == {"<id>": {"Cmd": ["b", "a"]}}


def test_sort_unordered_and_ipv6():
    assert sort_unordered([{"b": 1}, {"a": 2}]) == [{"a": 2}, {"b": 1}]
    bindings = [{"HostIp": "0.0.0.0", "HostPort": "1"}, {"HostIp": "::", "HostPort": "1"}]
    assert drop_ipv6_bindings(bindings) == [{"HostIp": "0.0.0.0", "HostPort": "1"}]
    assert drop_ipv6_bindings(None) is None


def test_error_signature():
    response = requests.Response()
    response.status_code = 409
    exc = docker.errors.APIError(
        "409 Client Error", response=response,
        explanation=f"You cannot remove a running container {FULL}. Stop the container",
    )
    assert error_signature(exc) == (
        "APIError", 409, "You cannot remove a running container <id>. Stop the container",
    )
    assert error_signature(ValueError("plain")) == ("ValueError", None, "plain")
