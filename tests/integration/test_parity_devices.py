"""Device requests (GPUs) on a daemon without a GPU driver, fake and real: the request is kept
as given, the start fails with the daemon's words and leaves State as a failed start does."""

from __future__ import annotations

import docker
import docker.errors
import pytest
from conftest import BUSYBOX


@pytest.mark.parametrize("request_kwargs", [
    {"count": 2, "capabilities": [["gpu"]]},
    {"count": -1, "capabilities": [["gpu"]]},
    {"device_ids": ["0", "2"], "capabilities": [["gpu"]]},
    {"driver": "nvidia", "count": 1, "capabilities": [["gpu", "utility"]]},
    {"driver": "other", "count": 1, "capabilities": [["compute"]]},
])
def test_a_gpu_request_without_a_gpu_driver(api, names, request_kwargs):
    host_config = api.create_host_config(device_requests=[docker.types.DeviceRequest(**request_kwargs)])
    container = api.create_container(BUSYBOX, ["true"], name=names("gpu"), host_config=host_config,
                                     labels=names.label)
    [stored] = api.inspect_container(container)["HostConfig"]["DeviceRequests"]
    assert stored == {"Driver": request_kwargs.get("driver", ""), "Count": request_kwargs.get("count", 0),
                      "DeviceIDs": request_kwargs.get("device_ids", []),
                      "Capabilities": request_kwargs["capabilities"], "Options": {}}
    with pytest.raises(docker.errors.APIError) as err:
        api.start(container)
    groups = " ".join("[" + " ".join(g) + "]" for g in request_kwargs["capabilities"])
    assert err.value.status_code == 500
    assert err.value.explanation == (f'could not select device driver "{request_kwargs.get("driver", "")}" '
                                     f"with capabilities: [{groups}]")
    state = api.inspect_container(container)["State"]
    assert (state["Status"], state["Running"], state["ExitCode"], state["Error"]) == (
        "created", False, 128, err.value.explanation)
