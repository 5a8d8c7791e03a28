"""``fakedocker serve``: the same fake on a unix socket, for the docker CLI and any client."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import docker
import janitor
import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def served(tmp_path):
    """``fakedocker serve`` (the console script installed with fakedocker), seeded."""
    command = shutil.which("fakedocker", path=str(Path(sys.executable).parent)) or shutil.which("fakedocker")
    assert command, "the fakedocker console script is not installed"
    sock = tmp_path / "docker.sock"
    proc = subprocess.Popen(
        [command, "serve", "--socket", str(sock), "--image", 'busybox:1.36={"Cmd": ["sh"]}',
         "--registry-image", 'alpine:3.10={"Cmd": ["/bin/sh"]}', "--seed", str(HERE / "seed.toml")],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout.readline().startswith("fakedocker: serving on unix://")
        yield f"unix://{sock}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def docker_cli(host: str, *args: str) -> str:
    if shutil.which("docker") is None:
        pytest.skip("no docker CLI on this machine")
    env = dict(os.environ, DOCKER_HOST=host)
    return subprocess.run(["docker", *args], env=env, capture_output=True, text=True, check=True,
                          timeout=60).stdout


def test_the_docker_cli_sees_the_seeded_engine(served):
    assert docker_cli(served, "images", "--format", "{{.Repository}}:{{.Tag}}").split() == ["busybox:1.36"]
    assert "docker.io/library/alpine:3.10" in docker_cli(served, "pull", "-q", "alpine:3.10")
    assert "shared-cache" in docker_cli(served, "volume", "ls", "--format", "{{.Name}}").split()
    assert "blue-workspace" in docker_cli(served, "network", "ls", "--format", "{{.Name}}").split()


def test_the_code_under_test_against_the_served_engine(served):
    client = docker.DockerClient(base_url=served)
    assert janitor.ensure_workspace(client, "blue") == ("blue-workspace", "blue-workspace")  # seeded network
    docker_cli(served, "create", "--name", "blue-job", "--label", f"{janitor.TEAM_LABEL}=blue", "busybox:1.36", "true")
    docker_cli(served, "start", "blue-job")
    assert client.containers.get("blue-job").wait()["StatusCode"] == 0
    assert janitor.remove_exited(client, "blue") == ["blue-job"]
    assert docker_cli(served, "ps", "-a", "-q") == ""
    client.close()
