"""The hub fixture's start, when it fails: it cleans up what it started, so the failure costs
that one test (on a loaded machine a hub's proxy may be slow to answer) and the next test gets a
working hub of its own, not the broken instance and its proxy's ports."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest
from hub_helpers import PROXY_START_TRIES, shut_down_hub, start_mock_hub
from jupyterhub.tests.mocking import MockHub
from jupyterhub.tests.utils import api_request
from other_proxy import other_proxy


def running(pid: int) -> bool:
    """A live process (a zombie, dead but not yet reaped, does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"
    except OSError:
        return False


async def assert_a_new_hub_works(hub_config) -> None:
    app = await start_mock_hub(hub_config)
    try:
        assert app.proxy.proxy_process.poll() is None
        reply = await api_request(app, "users")
        assert reply.status_code == 200, reply.text
    finally:
        await shut_down_hub(app)


async def test_a_proxy_that_cannot_start_costs_one_hub(engine, hub_config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    broken = copy.deepcopy(hub_config)
    broken.ConfigurableHTTPProxy.command = [str(tmp_path / "no-proxy-here")]
    with pytest.raises(RuntimeError, match="the hub's start failed"):
        await start_mock_hub(broken)
    assert not MockHub.initialized()
    await assert_a_new_hub_works(hub_config)


async def test_a_proxy_that_never_answers_is_stopped_with_its_hub(engine, hub_config, tmp_path, monkeypatch):
    """The proxy process started but never listened (JupyterHub gives up after its own wait,
    and the fixture tries once more): each process is stopped, not left holding its ports for
    the tests after this one."""
    monkeypatch.chdir(tmp_path)
    pid_file = tmp_path / "proxy.pids"
    silent = copy.deepcopy(hub_config)
    silent.ConfigurableHTTPProxy.command = [
        sys.executable, "-c",
        f"import os, time; open({str(pid_file)!r}, 'a').write(f'{{os.getpid()}}\\n'); time.sleep(600)",
    ]
    with pytest.raises(RuntimeError, match="the hub's start failed"):
        await start_mock_hub(silent)
    pids = [int(line) for line in pid_file.read_text().split()]
    assert len(pids) == PROXY_START_TRIES
    assert not any(running(pid) for pid in pids)
    assert not MockHub.initialized()
    await assert_a_new_hub_works(hub_config)


async def test_a_hub_port_taken_before_the_hub_binds_it_is_picked_again(engine, hub_config, tmp_path, monkeypatch):
    """MockHub's ports are free when they are picked, not when the hub binds them: another
    process that took one meanwhile costs a second start with new ports, not the test."""
    import socket

    monkeypatch.chdir(tmp_path)
    taken = copy.deepcopy(hub_config)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken.JupyterHub.hub_port = holder.getsockname()[1]
        app = await start_mock_hub(taken)
        try:
            assert app.hub_port != holder.getsockname()[1]
            reply = await api_request(app, "users")
            assert reply.status_code == 200, reply.text
        finally:
            await shut_down_hub(app)


async def test_a_proxy_api_port_taken_before_the_proxy_binds_it_is_picked_again(
        engine, hub_config, tmp_path, monkeypatch):
    """The proxy's API port taken by another proxy meanwhile: this hub's proxy cannot bind it
    and runs on, and the hub's first call is refused by the other one (403, not its token).
    The fixture starts again with new ports instead of failing the test."""
    monkeypatch.chdir(tmp_path)
    taken = copy.deepcopy(hub_config)
    with other_proxy() as port:
        other_url = f"http://127.0.0.1:{port}"
        taken.ConfigurableHTTPProxy.api_url = other_url
        app = await start_mock_hub(taken)
        try:
            assert app.proxy.api_url != other_url
            reply = await api_request(app, "users")
            assert reply.status_code == 200, reply.text
        finally:
            await shut_down_hub(app)
