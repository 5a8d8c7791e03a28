"""fakedocker published ports: allocation, HostIp, pinned-port conflicts, PublishAllPorts."""

from __future__ import annotations

import socket

import docker
import pytest
from fake_fixtures import fake_engine_fixtures
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fakedocker
from fakedocker.state.containers import PORT_RANGE

engine, api, client = fake_engine_fixtures(
    {"busybox:1.36": {"Cmd": ["sh"], "ExposedPorts": {"8888/tcp": {}}}}
)


def run(api, **host):
    c = api.create_container("busybox:1.36", ports=[80, 81, 8888],
                             host_config=api.create_host_config(**host))
    api.start(c)
    return c


def test_ports_only_while_running_and_both_families_without_host_ip(api):
    c = api.create_container("busybox:1.36", ports=[80],
                             host_config=api.create_host_config(port_bindings={80: None}))
    assert api.inspect_container(c)["NetworkSettings"]["Ports"] == {}
    api.start(c)
    ports = api.inspect_container(c)["NetworkSettings"]["Ports"]
    bound = ports["80/tcp"]
    assert [b["HostIp"] for b in bound] == ["0.0.0.0", "::"]
    assert bound[0]["HostPort"] == bound[1]["HostPort"]
    assert PORT_RANGE[0] <= int(bound[0]["HostPort"]) <= PORT_RANGE[1]
    assert ports["8888/tcp"] is None  # exposed by the image, not published
    assert api.port(c, 80) == bound
    assert api.port(c, "80/tcp") == bound
    assert api.port(c, 8888) is None
    api.stop(c)
    assert api.inspect_container(c)["NetworkSettings"]["Ports"] == {}


def test_host_ip_is_honoured(api):
    c = run(api, port_bindings={80: ("127.0.0.1",), 81: ("127.0.0.1", 0)})
    p80 = api.port(c, 80)
    assert len(p80) == 1 and p80[0]["HostIp"] == "127.0.0.1"
    assert api.port(c, 81)[0]["HostIp"] == "127.0.0.1"


def test_pinned_port_and_conflict_at_start(engine, api):
    a = run(api, port_bindings={80: 18181})
    assert api.port(a, 80) == [{"HostIp": "0.0.0.0", "HostPort": "18181"},
                               {"HostIp": "::", "HostPort": "18181"}]
    b = api.create_container("busybox:1.36", name="second", ports=[80],
                             host_config=api.create_host_config(port_bindings={80: 18181}))
    with pytest.raises(docker.errors.APIError) as err:
        api.start(b)
    assert err.value.status_code == 500
    msg = err.value.explanation
    assert msg.startswith("driver failed programming external connectivity on endpoint second (")
    assert msg.endswith("): Bind for 0.0.0.0:18181 failed: port is already allocated")
    state = api.inspect_container(b)["State"]
    assert state["Status"] == "created" and state["ExitCode"] == 128 and state["Error"] == msg
    assert api.wait(b) == {"Error": {"Message": msg}, "StatusCode": 128}
    # once the first one stops, the port is free again
    api.stop(a)
    api.start(b)
    assert api.port(b, 80)[0]["HostPort"] == "18181"
    assert api.inspect_container(b)["State"]["Error"] == ""


def test_pinned_port_on_distinct_host_ips_do_not_conflict(api):
    run(api, port_bindings={80: ("127.0.0.1", 18282)})
    c = run(api, port_bindings={80: ("127.0.0.2", 18282)})
    assert api.port(c, 80) == [{"HostIp": "127.0.0.2", "HostPort": "18282"}]


def test_publish_all_ports(api):
    c = run(api, publish_all_ports=True)
    ports = api.inspect_container(c)["NetworkSettings"]["Ports"]
    assert set(ports) == {"80/tcp", "81/tcp", "8888/tcp"}
    hosts = {b["HostPort"] for v in ports.values() for b in v}
    assert len(hosts) == 3
    assert api.inspect_container(c)["HostConfig"]["PortBindings"] is None


def test_ephemeral_ports_skip_ports_busy_on_the_host(engine, api):
    # occupy the port the allocator would hand out next
    with socket.socket() as s:
        port = engine.containers.ports.next_port
        while True:
            try:
                s.bind(("", port))
                break
            except OSError:
                port += 1
        s.listen()
        engine.containers.ports.next_port = port
        c = run(api, port_bindings={80: None})
        assert int(api.port(c, 80)[0]["HostPort"]) not in (port, 0)


def test_ports_are_released_on_remove_and_crash(engine, api):
    a = run(api, port_bindings={80: 18383})
    engine.crash(a["Id"], 1)
    b = run(api, port_bindings={80: 18383})
    api.remove_container(b, force=True)
    run(api, port_bindings={80: 18383})
    assert engine.containers.host_ports[("tcp", 18383)]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(ops=st.lists(st.tuples(st.sampled_from(["start", "stop", "crash", "remove"]),
                              st.integers(0, 5)), min_size=1, max_size=30))
def test_running_containers_never_share_a_host_port(ops):
    with fakedocker.FakeEngine() as engine:
        engine.add_image("busybox:1.36", config={"Cmd": ["sh"]})
        engine.containers.probe_host_ports = False
        api = engine.api_client()
        ids = [api.create_container("busybox:1.36", ports=[80, (53, "udp")],
                                    host_config=api.create_host_config(port_bindings={80: None, "53/udp": None}))["Id"]
               for _ in range(6)]
        removed: set[str] = set()
        for op, i in ops:
            cid = ids[i]
            if cid in removed:
                continue
            if op == "start":
                api.start(cid)
            elif op == "stop":
                api.stop(cid)
            elif op == "crash":
                if api.inspect_container(cid)["State"]["Running"]:
                    engine.crash(cid, 1)
            else:
                api.remove_container(cid, force=True)
                removed.add(cid)
            seen: dict[int, str] = {}
            for other in ids:
                if other in removed:
                    continue
                info = api.inspect_container(other)
                for bindings in (info["NetworkSettings"]["Ports"] or {}).values():
                    for port in {b["HostPort"] for b in bindings or ()}:
                        assert info["State"]["Running"]
                        assert seen.setdefault(int(port), other) == other


def test_held_published_ports_are_handed_to_no_other_socket_but_the_server():
    engine = fakedocker.FakeEngine()
    engine.hold_published_ports = True
    engine.add_image("srv:1", config={"Cmd": ["serve"]})
    api = engine.api_client()
    container = api.create_container("srv:1", ports=[8080], host_config=api.create_host_config(port_bindings={8080: None}))
    api.start(container)
    port = int(api.port(container, 8080)[0]["HostPort"])
    plain = socket.socket()
    with pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))  # nobody else gets it
    plain.close()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))  # the container's own server does
    server.listen()
    server.close()
    api.remove_container(container, force=True)
    free = socket.socket()
    free.bind(("127.0.0.1", port))  # released with the container
    free.close()
    engine.close()
