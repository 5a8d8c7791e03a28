"""``fakedocker.patch()``: the same engine behind every client made inside it."""

import docker
import janitor

import fakedocker


def test_patch_as_a_context_manager_with_an_engine_of_ones_own():
    engine = fakedocker.FakeEngine()
    engine.registry.push("127.0.0.1:5000/team/tool:2", config={"Cmd": ["tool"]})
    with fakedocker.patch(engine):
        client = docker.DockerClient(base_url="unix:///var/run/docker.sock")  # never dialled
        client.images.pull("127.0.0.1:5000/team/tool", tag="2")
        janitor.ensure_workspace(client, "green")
    names = [image["RepoTags"] for image in engine.api_client().images()]
    assert names == [["127.0.0.1:5000/team/tool:2"]]
    assert engine.api_client().inspect_volume("green-workspace")["Name"] == "green-workspace"
    engine.close()


@fakedocker.patch()
def test_patch_as_a_decorator_gives_each_call_a_fresh_engine(fake_docker):
    client = docker.from_env()
    assert client.containers.list(all=True) == []
    assert {n.name for n in client.networks.list()} == {"bridge", "host", "none"}
