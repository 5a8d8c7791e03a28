"""fakedocker's GPUs: none by default (a start with a GPU request fails as on a daemon without
the NVIDIA toolkit), declared ones reported by info and given to containers that ask."""

from __future__ import annotations

import docker
import pytest

import fakedocker


@pytest.fixture
def api():
    engine = fakedocker.FakeEngine()
    engine.add_image("busybox:1.36", config={"Cmd": ["sh"]})
    client = engine.api_client()
    yield engine, client
    client.close()
    engine.close()


def gpu_container(client, **request):
    host_config = client.create_host_config(device_requests=[docker.types.DeviceRequest(**request)])
    return client.create_container("busybox:1.36", ["sh", "-c", "while true; do sleep 1; done"],
                                   host_config=host_config)


def test_without_gpus_a_gpu_request_is_kept_and_its_start_fails(api):
    engine, client = api
    assert client.info()["GenericResources"] is None
    container = gpu_container(client, count=1, capabilities=[["gpu"]])
    with pytest.raises(docker.errors.APIError) as err:
        client.start(container)
    assert err.value.status_code == 500
    assert err.value.explanation == 'could not select device driver "" with capabilities: [[gpu]]'
    assert client.inspect_container(container)["State"]["ExitCode"] == 128


def test_declared_gpus_are_reported_and_given(api):
    engine, client = api
    engine.declare_gpus(["GPU-a", "GPU-b"])
    assert client.info()["GenericResources"] == [{"NamedResourceSpec": {"Kind": "gpu", "Value": "GPU-a"}},
                                                 {"NamedResourceSpec": {"Kind": "gpu", "Value": "GPU-b"}}]
    container = gpu_container(client, device_ids=["GPU-b"], capabilities=[["gpu"]])
    client.start(container)
    assert client.inspect_container(container)["State"]["Running"] is True
    assert client.inspect_container(container)["HostConfig"]["DeviceRequests"][0]["DeviceIDs"] == ["GPU-b"]


@pytest.mark.parametrize(("request_kwargs", "message"), [
    ({"device_ids": ["7"], "capabilities": [["gpu"]]}, "device error: 7: unknown device"),
    ({"count": 3, "capabilities": [["gpu"]]}, "requested 3 devices, 2 available"),
])
def test_gpus_the_host_does_not_have_fail_the_start(api, request_kwargs, message):
    engine, client = api
    engine.declare_gpus(2)
    container = gpu_container(client, **request_kwargs)
    with pytest.raises(docker.errors.APIError, match=message):
        client.start(container)


def test_a_request_no_driver_takes_fails_also_with_gpus(api):
    engine, client = api
    engine.declare_gpus(2)
    container = gpu_container(client, count=1, capabilities=[["compute"]], driver="other")
    with pytest.raises(docker.errors.APIError) as err:
        client.start(container)
    assert err.value.explanation == 'could not select device driver "other" with capabilities: [[compute]]'
