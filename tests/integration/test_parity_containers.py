"""Containers: the same docker-py calls on the fake and on a real daemon give the same answers.

Expected values are what Docker 20.10.24 (API 1.41) answers; see REAL_DAEMON_NOTES.md.
"""

import io
import tarfile
import time

import docker.errors
import pytest
from conftest import BUSYBOX, WEB
from normalize import drop_ipv6_bindings, error_of, normalize, subset

SLEEP = ["sh", "-c", "sleep 1000"]
TRAP = ["sh", "-c", 'trap "exit 0" TERM; echo trapping; while true; do sleep 0.1; done']
ZERO = "<zero-time>"

DUPLICATE_NAME = (
    'Conflict. The container name "/{name}" is already in use by container "<id>". '
    "You have to remove (or rename) that container to be able to reuse that name."
)
INVALID_NAME = "Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"


def settle_shell(api, container, backend, poll):
    """Wait until a real shell has installed its TERM trap (it says so after the trap line):
    start returns once the process exists, not once the script has run a line.  The fake's
    process has its trap from the start."""
    if backend == "real":
        poll(lambda: api.logs(container), lambda out: b"trapping" in out)


def state_of(api, container):
    return subset(normalize(api.inspect_container(container)["State"]),
                  ["Status", "Running", "Paused", "Restarting", "OOMKilled", "Dead", "Pid",
                   "ExitCode", "Error", "StartedAt", "FinishedAt"])


def test_create_inspect_start(api, names, daemon):
    volume, name = names("vol"), names("c")
    api.create_volume(volume)
    host_config = api.create_host_config(
        port_bindings={8888: ("127.0.0.1", None), 9999: None},
        binds={volume: {"bind": "/data", "mode": "rw"}},
        mem_limit="64m", mem_reservation="32m", nano_cpus=500_000_000, cpu_shares=512,
    )
    created = api.create_container(
        BUSYBOX, command=SLEEP, name=name, environment={"FOO": "bar"},
        labels={"l1": "v1", **names.label}, ports=[8888, 9999], host_config=host_config,
        working_dir="/tmp", user="nobody",
    )
    assert normalize(created) == {"Id": "<id>", "Warnings": []}

    info = api.inspect_container(created["Id"])
    assert info["Id"] == created["Id"]
    assert info["Name"] == "/" + name
    assert api.inspect_container(name)["Id"] == created["Id"]
    assert api.inspect_container(created["Id"][:12])["Id"] == created["Id"]
    assert names.norm(subset(info, ["Path", "Args", "Image", "RestartCount", "Created"])) == {
        "Path": "sh", "Args": ["-c", "sleep 1000"], "Image": "sha256:<id>",
        "RestartCount": 0, "Created": "<time>",
    }
    assert state_of(api, name) == {
        "Status": "created", "Running": False, "Paused": False, "Restarting": False,
        "OOMKilled": False, "Dead": False, "Pid": 0, "ExitCode": 0, "Error": "",
        "StartedAt": ZERO, "FinishedAt": ZERO,
    }
    config = names.norm(info["Config"])
    assert config["Hostname"] == "<short-id>" and info["Config"]["Hostname"] == created["Id"][:12]
    assert subset(config, ["Env", "Labels", "Cmd", "Image", "WorkingDir", "User", "Entrypoint",
                           "ExposedPorts", "Tty", "OpenStdin", "AttachStdout", "AttachStderr"]) == {
        "Env": ["FOO=bar"],  # no PATH: the image has no Env and the daemon adds none to Config
        "Labels": {"l1": "v1", "fdtest": "fdtest-X"},
        "Cmd": ["sh", "-c", "sleep 1000"],
        "Image": BUSYBOX,
        "WorkingDir": "/tmp",
        "User": "nobody",
        "Entrypoint": None,
        "ExposedPorts": {"8888/tcp": {}, "9999/tcp": {}},
        "Tty": False, "OpenStdin": False, "AttachStdout": True, "AttachStderr": True,
    }
    hc = names.norm(info["HostConfig"])
    assert subset(hc, ["PortBindings", "Binds", "Memory", "MemoryReservation", "MemorySwap",
                       "NanoCpus", "CpuQuota", "CpuPeriod", "CpuShares", "NetworkMode",
                       "RestartPolicy", "AutoRemove", "Privileged", "LogConfig", "ShmSize",
                       "IpcMode", "CgroupnsMode", "Runtime"]) == {
        "PortBindings": {
            "8888/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}],
            "9999/tcp": [{"HostIp": "", "HostPort": ""}],
        },
        "Binds": ["fdtest-X-vol:/data:rw"],
        "Memory": 64 * 1024 * 1024,
        "MemoryReservation": 32 * 1024 * 1024,
        "MemorySwap": 128 * 1024 * 1024,  # twice Memory when not given
        "NanoCpus": 500_000_000,
        "CpuQuota": 0, "CpuPeriod": 0, "CpuShares": 512,
        # 26 stores what the defaults mean
        "NetworkMode": daemon.says("default", "bridge"),
        "RestartPolicy": {"Name": daemon.says("", "no"), "MaximumRetryCount": 0},
        "AutoRemove": False, "Privileged": False,
        "LogConfig": {"Type": "json-file", "Config": {}},
        "ShmSize": 64 * 1024 * 1024,
        "IpcMode": "private", "CgroupnsMode": "host", "Runtime": "runc",
    }
    mounts = names.norm(info["Mounts"])
    assert mounts == [{
        "Type": "volume", "Name": "fdtest-X-vol",
        "Source": "/var/lib/docker/volumes/fdtest-X-vol/_data",
        "Destination": "/data", "Driver": "local", "Mode": "rw", "RW": True, "Propagation": "",
    }]
    net = names.norm(info["NetworkSettings"])
    assert net["Ports"] == {} and net["IPAddress"] == "" and list(net["Networks"]) == ["bridge"]
    assert subset(net["Networks"]["bridge"], ["NetworkID", "IPAddress", "Aliases"]) == {
        "NetworkID": "", "IPAddress": "", "Aliases": None,
    }

    assert api.start(created) is None
    assert state_of(api, name) == {
        "Status": "running", "Running": True, "Paused": False, "Restarting": False,
        "OOMKilled": False, "Dead": False, "Pid": "<pid>", "ExitCode": 0, "Error": "",
        "StartedAt": "<time>", "FinishedAt": ZERO,
    }
    running = api.inspect_container(name)
    ports = {k: drop_ipv6_bindings(v) for k, v in running["NetworkSettings"]["Ports"].items()}
    assert normalize(ports) == {
        "8888/tcp": [{"HostIp": "127.0.0.1", "HostPort": "<port>"}],
        "9999/tcp": [{"HostIp": "0.0.0.0", "HostPort": "<port>"}],
    }
    net = normalize(running["NetworkSettings"])
    assert subset(net, ["IPAddress", "Gateway", "MacAddress", "SandboxID", "EndpointID"]) == {
        "IPAddress": "<ip>", "Gateway": "<ip>", "MacAddress": "<mac>", "SandboxID": "<id>",
        "EndpointID": "<id>",
    }
    assert subset(net["Networks"]["bridge"], ["NetworkID", "IPAddress", "Gateway", "MacAddress",
                                              "Aliases"]) == {
        "NetworkID": "<id>", "IPAddress": "<ip>", "Gateway": "<ip>", "MacAddress": "<mac>",
        "Aliases": None,
    }
    assert normalize(api.port(name, 8888)) == [{"HostIp": "127.0.0.1", "HostPort": "<port>"}]
    assert normalize(drop_ipv6_bindings(api.port(name, 9999))) == [
        {"HostIp": "0.0.0.0", "HostPort": "<port>"}
    ]
    assert api.port(name, 7777) is None


def test_cpu_quota_and_period(api, names):
    hc = api.create_host_config(cpu_quota=50_000, cpu_period=100_000)
    c = api.create_container(BUSYBOX, command=SLEEP, name=names("c"), host_config=hc)
    got = subset(api.inspect_container(c)["HostConfig"], ["CpuQuota", "CpuPeriod", "NanoCpus"])
    assert got == {"CpuQuota": 50_000, "CpuPeriod": 100_000, "NanoCpus": 0}
    both = api.create_host_config(nano_cpus=1_000_000_000, cpu_period=100_000)
    assert error_of(api.create_container, BUSYBOX, command=SLEEP, name=names("c"),
                    host_config=both) == (
        "APIError", 400, "Conflicting options: Nano CPUs and CPU Period cannot both be set",
    )


def test_image_defaults_flow_into_config(api, names):
    c = api.create_container(WEB, name=names("web"), labels={"mine": "1"})
    config = api.inspect_container(c)["Config"]
    assert subset(config, ["Env", "Cmd", "WorkingDir", "ExposedPorts", "Labels", "Image"]) == {
        "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello"],
        "Cmd": ["httpd", "-f", "-p", "8888"],
        "WorkingDir": "/www",
        "ExposedPorts": {"8888/tcp": {}},
        "Labels": {"mine": "1", "org.fakedocker.test": "web"},  # image labels merged in
        "Image": WEB,
    }
    c2 = api.create_container(WEB, name=names("web"), environment=["GREETING=bye", "X=1"],
                              command=["sleep", "1"])
    config = api.inspect_container(c2)["Config"]
    assert config["Env"] == ["GREETING=bye", "X=1", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
    assert config["Cmd"] == ["sleep", "1"]


def test_stop_exit_codes_and_wait(api, names, backend, daemon, poll):
    sleeper = api.create_container(BUSYBOX, command=SLEEP, name=names("sleep"))
    trapper = api.create_container(BUSYBOX, command=TRAP, name=names("trap"))
    api.start(sleeper)
    api.start(trapper)
    settle_shell(api, trapper, backend, poll)

    assert api.stop(sleeper, timeout=1) is None  # sh as PID 1 ignores TERM: killed after 1 s
    assert state_of(api, sleeper) == {
        "Status": "exited", "Running": False, "Paused": False, "Restarting": False,
        "OOMKilled": False, "Dead": False, "Pid": 0, "ExitCode": 137, "Error": "",
        "StartedAt": "<time>", "FinishedAt": "<time>",
    }
    assert api.wait(sleeper) == daemon.wait_answer(137)

    assert api.stop(trapper, timeout=1) is None
    assert state_of(api, trapper)["ExitCode"] == 0
    assert state_of(api, trapper)["Status"] == "exited"
    assert api.wait(trapper) == daemon.wait_answer(0)

    # Stopping a stopped container and starting a running one are not errors.
    assert api.stop(sleeper, timeout=1) is None
    api.start(trapper)
    assert api.start(trapper) is None
    assert state_of(api, trapper)["Status"] == "running"
    # A restarted container keeps the old FinishedAt until it exits again.
    assert state_of(api, trapper)["FinishedAt"] == "<time>"


def test_remove(api, names, daemon):
    name = names("c")
    c = api.create_container(BUSYBOX, command=SLEEP, name=name)
    api.start(c)
    assert error_of(api.remove_container, c) == (
        "APIError", 409,
        daemon.says("You cannot remove a running container <id>. Stop the container before "
                    "attempting removal or force remove",
                    f'cannot remove container "/{name}": container is running: stop the container '
                    "before removing or force remove"),
    )
    assert api.remove_container(c, force=True) is None
    assert error_of(api.inspect_container, name) == ("NotFound", 404, f"No such container: {name}")
    assert error_of(api.inspect_container, c["Id"]) == ("NotFound", 404, "No such container: <id>")
    assert error_of(api.remove_container, name) == ("NotFound", 404, f"No such container: {name}")
    assert error_of(api.remove_container, name, force=True) == (
        "NotFound", 404, f"No such container: {name}",
    )
    # A created (never started) container is removed without force.
    c2 = api.create_container(BUSYBOX, command=SLEEP, name=names("c"))
    assert api.remove_container(c2) is None


def test_auto_remove(api, names, poll, daemon):
    """``--rm``: the container goes, anonymous volume and all, once it exits by itself or is
    stopped; its events end die (stop), destroy."""
    def actions(container, since):
        return [(e["Action"], e["Actor"]["Attributes"].get("exitCode"))
                for e in api.events(since=since, until=time.time() + 0.1, decode=True,
                                    filters={"container": container["Id"]})]

    def removed(container, since):
        """Wait until the container is gone and its removal is done: the daemon answers 404
        for it before it has removed its anonymous volumes and sent ``destroy``."""
        def gone():
            try:
                api.inspect_container(container)
            except docker.errors.NotFound:
                return actions(container, since)[-1:] == [("destroy", None)]
            return False
        poll(gone, bool)

    since = time.time() - 1
    on_its_own = api.create_container(BUSYBOX, ["sh", "-c", "exit 3"], name=names("exits"),
                                      volumes=["/scratch"],
                                      host_config=api.create_host_config(auto_remove=True))
    volume = api.inspect_container(on_its_own)["Mounts"][0]["Name"]
    api.start(on_its_own)
    removed(on_its_own, since)
    assert actions(on_its_own, since) == [("create", None), ("start", None), ("die", "3"),
                                          ("destroy", None)]
    assert volume not in {v["Name"] for v in api.volumes()["Volumes"] or []}

    stopped = api.create_container(BUSYBOX, SLEEP, name=names("stopped"),
                                   host_config=api.create_host_config(auto_remove=True))
    api.start(stopped)
    api.stop(stopped, timeout=0)
    removed(stopped, since)
    ended = ["stop", "die"] if daemon.at_least(26) else ["die", "stop"]  # 26: stop first
    assert [a for a, _ in actions(stopped, since)] == ["create", "start", "kill", "kill", *ended,
                                                       "destroy"]


def test_create_errors(api, names):
    name = names("c")
    api.create_container(BUSYBOX, command=SLEEP, name=name)
    assert error_of(api.create_container, BUSYBOX, command=["true"], name=name) == (
        "APIError", 409, DUPLICATE_NAME.format(name=name),
    )
    assert error_of(api.create_container, BUSYBOX, command=["true"], name="bad name!") == (
        "APIError", 400, INVALID_NAME.format(name="bad name!"),
    )
    missing = "fakedocker-test/missing-image:1"
    assert error_of(api.create_container, missing, name=names("c")) == (
        "ImageNotFound", 404, f"No such image: {missing}",
    )
    never = names("never")
    assert error_of(api.inspect_container, never) == ("NotFound", 404, f"No such container: {never}")
    assert error_of(api.start, never) == ("NotFound", 404, f"No such container: {never}")


def test_kill_restart_rename(api, names, daemon):
    name = names("c")
    c = api.create_container(BUSYBOX, command=SLEEP, name=name)
    assert error_of(api.kill, c) == (
        "APIError", 409, daemon.says("Cannot kill container: <id>: Container <id> is not running",
                                     "cannot kill container: <id>: container <id> is not running"),
    )
    api.start(c)
    assert error_of(api.kill, c, signal="NOPE") == (
        "APIError", 400, daemon.says("Invalid signal: NOPE", "cannot kill container: <id>: invalid signal: NOPE"))
    assert api.kill(c, signal="SIGKILL") is None
    assert api.wait(c) == daemon.wait_answer(137)
    assert state_of(api, c)["Status"] == "exited"

    assert api.restart(c, timeout=1) is None  # restarting an exited container starts it
    assert state_of(api, c)["Status"] == "running"
    assert api.restart(c, timeout=1) is None
    info = api.inspect_container(c)
    assert info["State"]["Running"] is True
    assert info["RestartCount"] == 0  # only restart *policies* count

    new = names("renamed")
    assert api.rename(c, new) is None
    assert api.inspect_container(c)["Name"] == "/" + new
    assert error_of(api.inspect_container, name) == ("NotFound", 404, f"No such container: {name}")
    other = names("other")
    api.create_container(BUSYBOX, command=SLEEP, name=other)
    assert error_of(api.rename, c, other) == (
        "APIError", 409, "Error when allocating new name: " + DUPLICATE_NAME.format(name=other),
    )
    assert error_of(api.rename, c, "bad name!") == (
        "APIError", 400, "Error when allocating new name: " + INVALID_NAME.format(name="/bad name!"),
    )
    api.kill(c)


def test_logs_after_wait(api, names, daemon):
    c = api.create_container(BUSYBOX, command=["sh", "-c", "echo hello; echo err >&2"],
                             name=names("c"))
    api.start(c)
    assert api.wait(c, timeout=30) == daemon.wait_answer(0)
    # stdout and stderr are copied separately: their interleaving is not deterministic.
    assert sorted(api.logs(c).splitlines()) == [b"err", b"hello"]
    assert api.logs(c, stdout=True, stderr=False) == b"hello\n"
    assert api.logs(c, stdout=False, stderr=True) == b"err\n"
    stamped = normalize(api.logs(c, timestamps=True).decode()).splitlines()
    assert sorted(stamped) == ["<time> err", "<time> hello"]
    assert state_of(api, c)["ExitCode"] == 0


def test_logs_of_a_terminal(api, names, daemon):
    """A container with a terminal: its stdout and stderr are one stream of CRLF lines."""
    c = api.create_container(BUSYBOX, command=["sh", "-c", "echo hello; echo err >&2"],
                             name=names("c"), tty=True)
    api.start(c)
    assert api.wait(c, timeout=30) == daemon.wait_answer(0)
    assert api.logs(c) == b"hello\r\nerr\r\n"
    assert api.logs(c, stdout=False, stderr=True) == b""


def test_exit_code_of_command(api, names, daemon):
    c = api.create_container(BUSYBOX, command=["sh", "-c", "exit 3"], name=names("c"))
    api.start(c)
    assert api.wait(c, timeout=30) == daemon.wait_answer(3)
    assert state_of(api, c)["ExitCode"] == 3


def small_tar(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), 0o644, 0
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_archive_round_trip(api, names):
    c = api.create_container(BUSYBOX, command=SLEEP, name=names("c"))
    api.start(c)
    assert api.put_archive(c, "/tmp", small_tar("hello.txt", b"hello archive\n")) is True
    stream, stat = api.get_archive(c, "/tmp/hello.txt")
    assert stat == {"name": "hello.txt", "size": 14, "mode": 0o644,
                    "mtime": "1970-01-01T00:00:00Z", "linkTarget": ""}
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
        members = tar.getmembers()
        assert [(m.name, m.size, m.isfile()) for m in members] == [("hello.txt", 14, True)]
        assert tar.extractfile(members[0]).read() == b"hello archive\n"
    assert error_of(api.put_archive, c, "/nonexistent", small_tar("x", b"x")) == (
        "NotFound", 404, "Could not find the file /nonexistent in container <id>",
    )
    assert error_of(api.get_archive, c, "/nope") == (
        "NotFound", 404, "Could not find the file /nope in container <id>",
    )


def test_exec(api, names, daemon):
    c = api.create_container(BUSYBOX, command=SLEEP, name=names("c"))
    api.start(c)
    created = api.exec_create(c, ["true"])
    assert normalize(created) == {"Id": "<id>"}
    before = normalize(api.exec_inspect(created))
    assert subset(before, ["ID", "Running", "ExitCode", "ProcessConfig", "OpenStdin",
                           "OpenStdout", "OpenStderr", "CanRemove", "ContainerID", "Pid"]) == {
        "ID": "<id>", "Running": False, "ExitCode": None,
        "ProcessConfig": {"tty": False, "entrypoint": "true", "arguments": [],
                          "privileged": False},
        "OpenStdin": False, "OpenStdout": True, "OpenStderr": True, "CanRemove": False,
        "ContainerID": "<id>", "Pid": 0,
    }
    assert api.exec_start(created) == b""
    after = normalize(api.exec_inspect(created))
    assert subset(after, ["Running", "ExitCode", "Pid"]) == {
        "Running": False, "ExitCode": 0, "Pid": "<pid>",  # Pid stays set after the exit
    }
    assert api.inspect_container(c)["ExecIDs"] is None  # lists only running execs
    assert error_of(api.exec_inspect, "nope") == ("NotFound", 404, "No such exec instance: nope")
    api.kill(c)
    api.wait(c)
    assert error_of(api.exec_create, c, ["true"]) == (
        "APIError", 409, daemon.says("Container <id> is not running", "container <id> is not running"),
    )


def test_exec_output_of_what_the_model_runs(api, names):
    """What an exec prints, its exit code, and how its start request frames it."""
    c = api.create_container(BUSYBOX, command=SLEEP, name=names("c"), environment={"A": "1"})
    api.start(c)
    hostname = api.inspect_container(c)["Config"]["Hostname"]

    def run(cmd, start=None, prints=True, **create):
        # Docker 20.10 under load now and then answers an exec of a short-lived process that
        # printed with no output at all (exit code 0): that exec is run again, a few times at
        # most, when it should have printed (see REAL_DAEMON_NOTES.md)
        for _ in range(3):
            e = api.exec_create(c, cmd, **create)
            out = api.exec_start(e, **(start or {}))
            code = api.exec_inspect(e)["ExitCode"]
            if not prints or out not in (b"", (None, None)):
                break
        return out, code

    assert run(["echo", "hello\nworld"]) == (b"hello\nworld\n", 0)
    assert run("whoami") == (b"root\n", 0)
    assert run("whoami", user="nobody") == (b"nobody\n", 0)
    assert run("pwd", workdir="/tmp") == (b"/tmp\n", 0)
    assert run("id -u", user="1000") == (b"1000\n", 0)
    assert run("id -g") == (b"0\n", 0)
    assert run("id -g", user="1000:5") == (b"5\n", 0)
    out, code = run("env", environment=["X=Y", "A=2"])
    assert (out.decode().replace(hostname, "<host>").splitlines(), code) == ([
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=<host>",
        "A=2", "X=Y", "HOME=/root"], 0)
    assert run(["sh", "-c", "echo out; echo err >&2; exit 3"], {"demux": True}) == ((b"out\n", b"err\n"), 3)
    assert run(["sh", "-c", "echo hi > /tmp/f"], prints=False) == (b"", 0)
    assert run(["cat", "/tmp/f"]) == (b"hi\n", 0)
    # a terminal (the exec's Tty) makes one stream of CRLF lines; the start's Tty frames it
    assert run(["printf", "a\\nb"], {"demux": True}, tty=True) == ((b"a\r\nb", None), 0)
    assert run(["printf", "a\\nb"], {"tty": True}, tty=True) == (b"a\r\nb", 0)
    # a raw stream of a process without a terminal carries its stdout alone
    assert run(["sh", "-c", "echo out; echo err >&2"], {"tty": True}) == (b"out\n", 0)


@pytest.fixture
def two_containers(api, names):
    """A created busybox container and a running web container, both labelled."""
    a = api.create_container(BUSYBOX, command=SLEEP, name=names("a"),
                             labels={**names.label, "role": "a"})
    b = api.create_container(
        WEB, name=names("b"), labels={**names.label, "role": "b"}, ports=[8888],
        host_config=api.create_host_config(port_bindings={8888: ("127.0.0.1", None)}),
    )
    api.start(b)
    return a, b


def test_list_filters(api, names, two_containers, daemon):
    a, b = two_containers
    label = f"fdtest={names.prefix}"

    def listed(**kwargs):
        return sorted(n.removeprefix(f"/{names.prefix}-")
                      for c in api.containers(**kwargs) for n in c["Names"])

    assert listed(filters={"name": names.prefix}) == ["b"]
    assert listed(all=True, filters={"name": names.prefix}) == ["a", "b"]
    assert listed(all=True, filters={"name": f"^/{names.prefix}-a$"}) == ["a"]
    assert listed(all=True, filters={"label": label}) == ["a", "b"]
    assert listed(all=True, filters={"label": [label, "role=a"]}) == ["a"]
    assert listed(all=True, filters={"label": [label, "role"]}) == ["a", "b"]
    assert listed(all=True, filters={"label": label, "status": "created"}) == ["a"]
    assert listed(all=True, filters={"label": label, "status": "running"}) == ["b"]
    assert listed(all=True, filters={"label": label, "status": "exited"}) == []
    assert listed(all=True, filters={"id": a["Id"]}) == ["a"]
    assert listed(all=True, filters={"id": a["Id"][:12]}) == ["a"]
    assert listed(all=True, filters={"label": label, "ancestor": WEB}) == ["b"]
    assert listed(all=True, filters={"label": label, "ancestor": BUSYBOX}) == ["a"]
    # An untagged reference means :latest, which does not exist: nothing matches.
    assert listed(all=True, filters={"label": label, "ancestor": "fakedocker-test/web"}) == []
    quiet = api.containers(all=True, quiet=True, filters={"label": label})
    assert sorted(c["Id"] for c in quiet) == sorted([a["Id"], b["Id"]])
    assert all(list(c) == ["Id"] for c in quiet)
    assert error_of(api.containers, filters={"status": "bogus"}) == (
        "APIError", 400, daemon.says("Invalid filter 'status=bogus'", "invalid filter 'status=bogus'"),
    )
    assert error_of(api.containers, filters={"bogus": "x"}) == (
        "APIError", 400, daemon.says("Invalid filter 'bogus'", "invalid filter 'bogus'"),
    )


def test_list_entry_shape(api, names, two_containers, daemon):
    _, b = two_containers
    [entry] = api.containers(filters={"id": b["Id"]})
    assert sorted(entry) == sorted([
        "Id", "Names", "Image", "ImageID", "Command", "Created", "Ports", "Labels", "State",
        "Status", "HostConfig", "NetworkSettings", "Mounts",
    ])
    entry["Ports"] = [p for p in entry["Ports"] if p.get("IP") != "::"]
    assert names.norm(subset(entry, ["Id", "Names", "Image", "ImageID", "Command", "Created",
                                     "Ports", "Labels", "State", "HostConfig", "Mounts"])) == {
        "Id": "<id>", "Names": ["/fdtest-X-b"], "Image": WEB, "ImageID": "sha256:<id>",
        "Command": "httpd -f -p 8888", "Created": "<unix-time>",
        "Ports": [{"IP": "127.0.0.1", "PrivatePort": 8888, "PublicPort": "<port>",
                   "Type": "tcp"}],
        "Labels": {"fdtest": "fdtest-X", "org.fakedocker.test": "web", "role": "b"},
        "State": "running", "HostConfig": {"NetworkMode": daemon.says("default", "bridge")}, "Mounts": [],
    }
    assert entry["Status"].startswith("Up ")
    assert list(entry["NetworkSettings"]["Networks"]) == ["bridge"]


def test_wait_on_missing_container(api, names):
    name = names("never")
    with pytest.raises(docker.errors.NotFound) as caught:
        api.wait(name)
    assert caught.value.status_code == 404
    assert caught.value.explanation == f"No such container: {name}"
