"""The ``fake_docker`` fixture: a fresh fake engine per test, patched into docker-py."""

import docker
import janitor


def test_remove_exited_keeps_running_and_other_teams_containers(fake_docker):
    fake_docker.add_image("busybox:1.36", config={"Cmd": ["sh"]})
    client = docker.from_env()
    mine = {janitor.TEAM_LABEL: "blue"}
    running = client.containers.run("busybox:1.36", ["sh", "-c", "while true; do sleep 1; done"],
                                    detach=True, name="blue-running", labels=mine)
    done = client.containers.run("busybox:1.36", ["true"], detach=True, name="blue-done", labels=mine)
    other = client.containers.run("busybox:1.36", ["true"], detach=True, name="red-done",
                                  labels={janitor.TEAM_LABEL: "red"})
    assert done.wait()["StatusCode"] == 0 and other.wait()["StatusCode"] == 0

    assert janitor.remove_exited(client, "blue") == ["blue-done"]

    remaining = {c.name for c in client.containers.list(all=True)}
    assert remaining == {running.name, other.name}


def test_ensure_workspace_is_idempotent(fake_docker):
    client = docker.from_env()
    assert janitor.ensure_workspace(client, "blue") == ("blue-workspace", "blue-workspace")
    janitor.ensure_workspace(client, "blue")
    assert [n.name for n in client.networks.list(names=["blue-workspace"])] == ["blue-workspace"]
    assert client.volumes.get("blue-workspace").attrs["Labels"] == {janitor.TEAM_LABEL: "blue"}
    assert fake_docker.calls["create_network"] == 1


def test_the_daemons_errors_reach_the_code_under_test(fake_docker):
    client = docker.from_env()
    fake_docker.faults.fail("create_volume", status=500, message="disk full", times=1)
    try:
        janitor.ensure_workspace(client, "blue")
    except docker.errors.APIError as err:
        assert err.status_code == 500 and "disk full" in str(err)
    else:
        raise AssertionError("the injected failure did not surface")
