"""DockerSpawner against a Docker daemon reached over tcp:// with mutual TLS.

The module starts a SECOND dockerd next to the main one (which it never touches), listening only
on ``tcp://127.0.0.1:<free port>`` (TLS, client certificates verified) and on a private unix
socket used for setup and teardown.  The test generates every certificate it needs (with
``cryptography``): a CA, a server certificate for IP 127.0.0.1, a client certificate, and an
unrelated second CA with its own client certificate for the failure cases.

The second daemon is kept apart from the main one: its own ``--data-root``, ``--exec-root``,
``--pidfile``, an empty ``--config-file``, its own managed containerd (started by dockerd under
its exec-root), a bridge interface of its own that the fixture creates (``--bridge=dstls…``: with
``--bridge=none`` dockerd deletes the host's ``docker0`` at start-up, which broke the main
daemon's default network for every later test) and ``--iptables=false --ip-masq=false``, so it
adds no iptables rules.  The served container runs with host networking on a port the test picks
(the documented ``get_ip_and_port`` override for ``network_name = "host"``).  The image ``fakedocker-test/web:1`` (busybox httpd) is copied
from the main daemon (``save`` there, ``load`` here).

The tests clear REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (and proxy variables);
``test_requests_ca_bundle_does_not_override_tls_config`` sets one and shows the spawner still
verifies the daemon with tls_config's CA (requests would otherwise let the variable win).

Skipped (under CI: failed, see tests/needs.py) when not root, when ``dockerd`` is missing, when
the main daemon or the image is unavailable, or when the second daemon does not answer within
90 s (its log is shown).
The second daemon is always stopped (SIGTERM, then SIGKILL) and its directories unmounted and
removed afterwards.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import docker
import docker.errors
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from jupyterhub.objects import Hub, Server
from needs import unavailable
from tornado import web

from dockerspawner import DockerSpawner, process_state

pytestmark = pytest.mark.real

MAIN_SOCKET = "unix:///var/run/docker.sock"
WEB = "fakedocker-test/web:1"
START_TIMEOUT = 90  # seconds for the second daemon to answer (the machine may be loaded)
STOP_TIMEOUT = 15  # seconds between SIGTERM and SIGKILL
HTTP_TIMEOUT = 15  # seconds for the served container to answer
DOCKER_ENV = ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")
# requests lets these replace a session's own CA (docker-py puts tls_config's CA there), and
# routes 127.0.0.1 through a proxy; see test_requests_ca_bundle_overrides_tls_config
REQUESTS_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                "http_proxy", "https_proxy", "all_proxy")


# certificates ----------------------------------------------------------------------------------


@dataclass
class Issuer:
    name: str
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _builder(subject: str, issuer: str, public_key) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
    )


def make_ca(name: str) -> Issuer:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Issuer(name, key, cert)


def issue(ca: Issuer, subject: str, *, server: bool) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        _builder(subject, ca.name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return key, builder.sign(ca.key, hashes.SHA256())


def write_client_dir(directory: Path, ca: Issuer, client_of: Issuer) -> Path:
    """``directory`` with ca.pem (``ca``), cert.pem and key.pem (issued by ``client_of``): the
    DOCKER_CERT_PATH layout."""
    directory.mkdir(parents=True)
    _write_cert(directory / "ca.pem", ca.cert)
    key, cert = issue(client_of, f"client of {client_of.name}", server=False)
    _write_cert(directory / "cert.pem", cert)
    _write_key(directory / "key.pem", key)
    return directory


# the second daemon -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class TLSDaemon:
    root: Path
    port: int
    url: str  # tcp://127.0.0.1:<port>
    unix_url: str  # the private unix socket (setup and teardown only)
    certs: Path  # ca.pem / cert.pem / key.pem: the good client
    wrong_client: Path  # ca.pem is the right CA; the client certificate is from the other CA
    wrong_ca: Path  # ca.pem is the other CA (does not trust the server); good client cert
    storage_driver: str
    startup_seconds: float

    def tls_config(self, directory: Path) -> dict:
        ca = str(directory / "ca.pem")
        return {"ca_cert": ca, "client_cert": (str(directory / "cert.pem"), str(directory / "key.pem")),
                "verify": ca}


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root) + "/"
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4].replace("\\040", " ")
            if point == str(root) or point.startswith(prefix):
                found.append(point)
    return sorted(found, key=len, reverse=True)  # deepest first


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def _kill_managed_containerd(exec_root: Path) -> None:
    """dockerd stops the containerd it started; if dockerd had to be killed, stop it by its id."""
    pidfile = exec_root / "containerd" / "containerd.pid"
    with contextlib.suppress(OSError, ValueError):
        pid = int(pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if str(exec_root).encode() in cmdline:  # still ours
            os.kill(pid, signal.SIGKILL)


def _cleanup_root(root: Path) -> None:
    for point in _mounts_under(root):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


def _log_tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


#: the second daemon's own bridge: its address range, apart from docker0's and the cluster's
BRIDGE_ADDRESS = "10.229.77.1/24"


def _add_bridge() -> str:
    """A bridge interface for the second daemon (``--bridge`` takes an existing one)."""
    name = f"dstls{secrets.token_hex(3)}"
    for command in (["ip", "link", "add", "name", name, "type", "bridge"],
                    ["ip", "addr", "add", BRIDGE_ADDRESS, "dev", name],
                    ["ip", "link", "set", name, "up"]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
        if done.returncode:
            _remove_bridge(name)
            raise AssertionError(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return name


def _remove_bridge(name: str) -> None:
    subprocess.run(["ip", "link", "del", name], capture_output=True, timeout=30)


def _start_dockerd(root: Path, port: int, storage_driver: str, bridge: str) -> tuple[subprocess.Popen, Path]:
    run = root / storage_driver
    for d in ("data", "exec"):
        (run / d).mkdir(parents=True)
    (run / "daemon.json").write_text("{}")
    log = run / "dockerd.log"
    server = root / "server"
    cmd = [
        "dockerd",
        "--config-file", str(run / "daemon.json"),
        "--data-root", str(run / "data"),
        "--exec-root", str(run / "exec"),
        "--pidfile", str(run / "docker.pid"),
        "-H", f"unix://{run}/docker.sock",
        "-H", f"tcp://127.0.0.1:{port}",
        "--tlsverify",
        "--tlscacert", str(server / "ca.pem"),
        "--tlscert", str(server / "cert.pem"),
        "--tlskey", str(server / "key.pem"),
        f"--bridge={bridge}", "--iptables=false", "--ip-masq=false", "--ip-forward=false",
        "--storage-driver", storage_driver,
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    return proc, run


def _wait_ready(proc: subprocess.Popen, unix_url: str, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            client = docker.APIClient(base_url=unix_url, version="auto", timeout=5)
        except docker.errors.DockerException:
            time.sleep(0.2)
            continue
        try:
            if client.ping():
                return True
        except Exception:
            pass
        finally:
            client.close()
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def tls_daemon() -> Iterator[TLSDaemon]:
    if os.geteuid() != 0:
        unavailable("a second dockerd needs root")
    if shutil.which("dockerd") is None:
        unavailable("no dockerd binary on PATH")
    try:
        main = docker.APIClient(base_url=MAIN_SOCKET, version="auto", timeout=60)
    except docker.errors.DockerException as exc:
        unavailable(f"no Docker daemon at {MAIN_SOCKET} to copy {WEB} from: {exc}")
    try:
        try:
            main.inspect_image(WEB)
        except docker.errors.ImageNotFound:
            unavailable(f"{WEB} is missing on the main daemon: run scripts/provision.sh")

        # short paths: the unix sockets under it must stay below 108 bytes
        root = Path(tempfile.mkdtemp(prefix="dstls-"))
        proc: subprocess.Popen | None = None
        run: Path | None = None
        bridge: str | None = None
        try:
            bridge = _add_bridge()
            ca, other_ca = make_ca("dockerspawner test CA"), make_ca("unrelated test CA")
            server = root / "server"
            server.mkdir()
            _write_cert(server / "ca.pem", ca.cert)
            key, cert = issue(ca, "127.0.0.1", server=True)
            _write_cert(server / "cert.pem", cert)
            _write_key(server / "key.pem", key)
            certs = write_client_dir(root / "client", ca, ca)
            wrong_client = write_client_dir(root / "wrong-client", ca, other_ca)
            wrong_ca = write_client_dir(root / "wrong-ca", other_ca, ca)

            port = free_port()
            started = time.monotonic()
            deadline = started + START_TIMEOUT
            failures = []
            # overlay2 like the main daemon; vfs if overlay2 cannot work on the tmp filesystem
            for driver in ("overlay2", "vfs"):
                proc, run = _start_dockerd(root, port, driver, bridge)
                if _wait_ready(proc, f"unix://{run}/docker.sock", deadline):
                    break
                failures.append(f"--- dockerd --storage-driver {driver} (exit {proc.poll()}):\n"
                                f"{_log_tail(run / 'dockerd.log')}")
                _stop(proc)
                _kill_managed_containerd(run / "exec")
                proc = None
                if time.monotonic() >= deadline:
                    break
            if proc is None:
                unavailable(f"the second dockerd did not start (exited, or no answer within {START_TIMEOUT} s):\n"
                            + "\n".join(failures))
            assert run is not None
            startup = time.monotonic() - started
            unix_url = f"unix://{run}/docker.sock"
            second = docker.APIClient(base_url=unix_url, version="auto", timeout=60)
            try:
                second.load_image(main.get_image(WEB))
                second.inspect_image(WEB)
            finally:
                second.close()
            yield TLSDaemon(root=root, port=port, url=f"tcp://127.0.0.1:{port}", unix_url=unix_url,
                            certs=certs, wrong_client=wrong_client, wrong_ca=wrong_ca,
                            storage_driver=run.name, startup_seconds=startup)
        finally:
            if proc is not None and run is not None:
                with contextlib.suppress(Exception):
                    second = docker.APIClient(base_url=f"unix://{run}/docker.sock", version="auto",
                                              timeout=30)
                    for c in second.containers(all=True):
                        second.remove_container(c["Id"], force=True)
                    second.close()
                _stop(proc)
                _kill_managed_containerd(run / "exec")
            if bridge is not None:
                _remove_bridge(bridge)
            _cleanup_root(root)
    finally:
        main.close()


# spawners --------------------------------------------------------------------------------------


class HostNetworkSpawner(DockerSpawner):
    """The documented override for ``network_name = "host"``: the server listens on the host."""

    async def get_ip_and_port(self) -> tuple[str, int]:
        return "127.0.0.1", self.port


@pytest.fixture
def clean_env(monkeypatch) -> Iterator[None]:
    for name in DOCKER_ENV + REQUESTS_ENV:
        monkeypatch.delenv(name, raising=False)
    process_state.reset()
    yield
    process_state.reset()


def make_spawner(port: int, **traits) -> HostNetworkSpawner:
    username = f"tls{secrets.token_hex(3)}"
    user = SimpleNamespace(name=username, url=f"/user/{username}/", escaped_name=username)
    spawner = HostNetworkSpawner(
        user=user, hub=Hub(ip="127.0.0.1", port=8081), orm_spawner=SimpleNamespace(name="", server=None),
        image=WEB, cmd=["httpd", "-f", "-p", str(port)], port=port, network_name="host",
        pull_policy="never", remove=True,
        # httpd as PID 1 ignores SIGTERM (docker stop would wait 10 s): docker-init forwards it
        extra_host_config={"init": True},
        **traits,
    )
    spawner.api_token = secrets.token_hex(8)
    spawner.server = Server(base_url=f"/user/{username}/")
    return spawner


def wait_http(url: str) -> requests.Response:
    deadline = time.monotonic() + HTTP_TIMEOUT
    while True:
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


async def spawn_and_stop(daemon: TLSDaemon, spawner: HostNetworkSpawner) -> None:
    """start() over TLS, the server answers, poll() says running, the container lives on the
    second daemon only, and stop() removes it."""
    port = spawner.port
    second = docker.APIClient(base_url=daemon.unix_url, version="auto", timeout=30)
    main = docker.APIClient(base_url=MAIN_SOCKET, version="auto", timeout=30)
    try:
        t0 = time.monotonic()
        address = await spawner.start()
        assert spawner.client.base_url == daemon.url.replace("tcp://", "https://")
        assert tuple(address) == ("127.0.0.1", port)
        answer = wait_http(f"http://127.0.0.1:{port}/")
        assert answer.status_code in (200, 403, 404)  # any HTTP answer from busybox httpd
        spawn_seconds = time.monotonic() - t0
        assert await spawner.poll() is None
        spawner.monitor.invalidate()  # ask the daemon (a list over TLS), not the start's note
        assert await spawner.poll() is None

        info = second.inspect_container(spawner.object_name)
        assert info["Id"] == spawner.object_id
        assert info["State"]["Running"]
        assert info["HostConfig"]["NetworkMode"] == "host"
        assert info["Config"]["Cmd"] == ["httpd", "-f", "-p", str(port)]
        assert not main.containers(all=True, filters={"name": spawner.object_name})
        with pytest.raises(docker.errors.NotFound):
            main.inspect_container(spawner.object_id)

        await spawner.stop()
        assert not second.containers(all=True, filters={"name": spawner.object_name})
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
        print(f"spawn over TLS to {daemon.url}: {spawn_seconds:.2f} s "
              f"(daemon storage {daemon.storage_driver}, up in {daemon.startup_seconds:.1f} s)")
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            second.remove_container(spawner.object_name, force=True)
        second.close()
        main.close()


def assert_clear_failure(excinfo: pytest.ExceptionInfo, daemon: TLSDaemon,
                         caplog: pytest.LogCaptureFixture) -> str:
    err = excinfo.value
    assert isinstance(err, web.HTTPError)
    assert err.status_code == 503, err
    message = err.log_message or ""
    assert f"127.0.0.1:{daemon.port}" in message, message
    assert "TLS handshake" in message or "not reachable" in message, message
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info], caplog.text
    return message


# tests -----------------------------------------------------------------------------------------


async def test_spawn_with_tls_config(tls_daemon, clean_env):
    spawner = make_spawner(free_port(), client_kwargs={"base_url": tls_daemon.url},
                           tls_config=tls_daemon.tls_config(tls_daemon.certs))
    assert spawner.host_ip == "127.0.0.1"  # the tcp daemon's host
    assert spawner.daemon_address == tls_daemon.url
    await spawn_and_stop(tls_daemon, spawner)


async def test_spawn_with_docker_env(tls_daemon, clean_env, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", tls_daemon.url)
    monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    monkeypatch.setenv("DOCKER_CERT_PATH", str(tls_daemon.certs))
    spawner = make_spawner(free_port())
    assert not spawner.client_kwargs and not spawner.tls_config
    assert spawner.host_ip == "127.0.0.1"
    assert spawner.daemon_address == tls_daemon.url
    await spawn_and_stop(tls_daemon, spawner)


@pytest.mark.parametrize("case", ["wrong_client", "wrong_ca"])
async def test_wrong_certificate_is_a_clear_503(tls_daemon, clean_env, caplog, case):
    """A client certificate the daemon does not trust (signed by another CA), or a CA that does
    not trust the daemon's certificate: start() fails with a 503 naming the daemon, and no
    traceback is logged."""
    caplog.set_level(logging.DEBUG)
    spawner = make_spawner(free_port(), client_kwargs={"base_url": tls_daemon.url},
                           tls_config=tls_daemon.tls_config(getattr(tls_daemon, case)))
    t0 = time.monotonic()
    with pytest.raises(web.HTTPError) as excinfo:
        await spawner.start()
    seconds = time.monotonic() - t0
    message = assert_clear_failure(excinfo, tls_daemon, caplog)
    print(f"{case}: {seconds:.2f} s: {message}")
    second = docker.APIClient(base_url=tls_daemon.unix_url, version="auto", timeout=30)
    try:
        assert not second.containers(all=True, filters={"name": spawner.object_name})
    finally:
        second.close()


async def test_requests_ca_bundle_does_not_override_tls_config(tls_daemon, clean_env, monkeypatch):
    # any bundle without our CA; e.g. the system bundle many images export this way
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_daemon.wrong_ca / "ca.pem"))
    spawner = make_spawner(free_port(), client_kwargs={"base_url": tls_daemon.url},
                           tls_config=tls_daemon.tls_config(tls_daemon.certs))
    await spawn_and_stop(tls_daemon, spawner)
