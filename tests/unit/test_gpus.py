"""GPUs shared out: the setting, the pool, who holds what, the assignment (pure, literal values)."""

from __future__ import annotations

import pytest

from dockerspawner import gpus


@pytest.mark.parametrize(("value", "wanted"), [
    (None, None), (0, None), ("", None), (2, gpus.GpuRequest(count=2)), ("3", gpus.GpuRequest(count=3)),
    ("all", gpus.GpuRequest(all=True)), ("ALL", gpus.GpuRequest(all=True)),
])
def test_what_the_setting_asks_for(value, wanted):
    assert gpus.parse_setting(value) == wanted


@pytest.mark.parametrize("value", [-1, True, 1.5, "two", ["0"]])
def test_a_setting_that_is_not_a_count_or_all_is_refused(value):
    with pytest.raises(gpus.GpuSettingError, match="gpus must be a number of GPUs or 'all'"):
        gpus.parse_setting(value)


def test_the_daemons_gpus_come_from_its_generic_resources():
    info = {"GenericResources": [
        {"NamedResourceSpec": {"Kind": "gpu", "Value": "GPU-aa"}},
        {"NamedResourceSpec": {"Kind": "NVIDIA-GPU", "Value": "GPU-bb"}},
        {"NamedResourceSpec": {"Kind": "fpga", "Value": "f0"}},
    ]}
    assert gpus.daemon_gpu_ids(info) == ["GPU-aa", "GPU-bb"]
    assert gpus.daemon_gpu_ids({"GenericResources": [{"DiscreteResourceSpec": {"Kind": "gpu", "Value": 3}}]}) == [
        "0", "1", "2"]
    assert gpus.daemon_gpu_ids({"GenericResources": None}) == []


def test_who_holds_what_comes_from_the_labels_of_the_listed_containers():
    listing = [{"Id": "a", "Labels": {gpus.LABEL_GPUS: "0,2"}}, {"Id": "b", "Labels": {gpus.LABEL_GPUS: "3"}},
               {"Id": "c", "Labels": {}}]
    assert gpus.held_ids(listing) == {"0", "2", "3"}
    assert gpus.held_ids(listing, except_id="a") == {"3"}


def test_an_assignment_takes_free_ids_in_pool_order_and_prefers_a_kept_containers_own():
    pool = ["0", "1", "2", "3"]
    assert gpus.assign(pool, {"0", "2"}, 2) == ["1", "3"]
    assert gpus.assign(pool, set(), 1, prefer=["2"]) == ["2"]
    assert gpus.assign(pool, {"2"}, 2, prefer=["2", "3"]) == ["0", "3"]  # its own 2 is taken now


def test_too_few_free_ids_say_how_many_are_free():
    pool = ["0", "1", "2", "3"]
    with pytest.raises(gpus.GpusUnavailable, match=r"^all 4 GPUs are in use; try again later$"):
        gpus.assign(pool, set(pool), 1)
    with pytest.raises(gpus.GpusUnavailable, match=r"^only 1 of the 4 GPUs is free and this server needs 2"):
        gpus.assign(pool, {"0", "1", "2"}, 2)
    with pytest.raises(gpus.GpuSettingError, match=r"gpus = 5, but there are only 4 GPUs"):
        gpus.assign(pool, set(), 5)


def test_the_device_request_names_the_ids_or_asks_for_all():
    assert gpus.device_requests(["1", "3"]) == [
        {"driver": "", "count": 0, "device_ids": ["1", "3"], "capabilities": [["gpu"]]}]
    assert gpus.device_requests(None) == [{"driver": "", "count": -1, "device_ids": [], "capabilities": [["gpu"]]}]
