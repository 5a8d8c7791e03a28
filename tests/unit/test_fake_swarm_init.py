"""``swarm init`` options (address pools, data path port) and the autolock unlock key on the
fake, as a freshly initialised Docker 20.10 swarm answers (recorded on a Docker-in-Docker node:
the host's swarm cannot be initialised again)."""

from __future__ import annotations

import re

import docker
import pytest
from fake_fixtures import fake_engine_fixtures

from fakedocker.state.swarm.addr_pool import address_pools, data_path_port

engine, api, client = fake_engine_fixtures({})
KEY = re.compile(r"^SWMKEY-1-[A-Za-z0-9+/]{43}$")
NOT_MANAGER = ('This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" '
               "to connect this node to swarm and try again.")


def _error(fn, *args, **kwargs):
    with pytest.raises(docker.errors.APIError) as info:
        fn(*args, **kwargs)
    return info.value.response.status_code, info.value.explanation


def _init_raw(api, **body):
    body = {"AdvertiseAddr": "127.0.0.1", "ListenAddr": "0.0.0.0:2377", **body}
    return api._result(api._post_json(api._url("/swarm/init"), data=body), True)


def _pools(api):
    swarm = api.inspect_swarm()
    return swarm["DefaultAddrPool"], swarm["SubnetSize"], swarm["DataPathPort"]


def _autolock(api, on):
    swarm = api.inspect_swarm()
    spec = swarm["Spec"]
    spec["EncryptionConfig"]["AutoLockManagers"] = on
    api.update_swarm(swarm["Version"]["Index"], spec)


# address pools -----------------------------------------------------------------------------

def test_address_pool_decisions_are_pure():
    assert address_pools(None, None) == (["10.0.0.0/8"], 24)
    assert address_pools(None, 26) == (["10.0.0.0/8"], 24)  # a size without pools: ignored
    assert address_pools([], 26) == (None, 26)
    assert address_pools([" 10.20.0.1/16 "], 24) == (["10.20.0.1/16"], 24)
    assert data_path_port(0) == 4789 and data_path_port(4242) == 4242


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({}, (["10.0.0.0/8"], 24, 4789)),
    ({"default_addr_pool": ["2.0.0.0/16"]}, (["2.0.0.0/16"], 24, 4789)),
    ({"subnet_size": 26}, (["10.0.0.0/8"], 26, 4789)),
    ({"default_addr_pool": ["2.0.0.0/16", "3.0.0.0/16"], "subnet_size": 28},
     (["2.0.0.0/16", "3.0.0.0/16"], 28, 4789)),
    ({"data_path_port": 4242}, (["10.0.0.0/8"], 24, 4242)),
])
def test_init_swarm_address_pools(api, kwargs, expected):
    api.init_swarm(advertise_addr="127.0.0.1", **kwargs)
    assert _pools(api) == expected
    cluster = api.info()["Swarm"]["Cluster"]
    assert (cluster["DefaultAddrPool"], cluster["SubnetSize"], cluster["DataPathPort"]) == expected


def test_raw_init_bodies(api):
    _init_raw(api, DefaultAddrPool=[], SubnetSize=26)
    assert _pools(api) == (None, 26, 4789)
    api.leave_swarm(force=True)
    _init_raw(api, SubnetSize=26)
    assert _pools(api) == (["10.0.0.0/8"], 24, 4789)
    api.leave_swarm(force=True)
    assert _error(_init_raw, api, DefaultAddrPool=["2.0.0.0/16"], SubnetSize=0) == (
        501, "fakedocker does not model a DefaultAddrPool with SubnetSize 0")


@pytest.mark.parametrize(("body", "message"), [
    ({"DefaultAddrPool": ["bogus"], "SubnetSize": 24}, "invalid base pool bogus: invalid CIDR address: bogus"),
    ({"DefaultAddrPool": ["10.0.0.0"], "SubnetSize": 24},
     "invalid base pool 10.0.0.0: invalid CIDR address: 10.0.0.0"),
    ({"DefaultAddrPool": ["10.0.0.0/8"], "SubnetSize": 30}, "subnet size is out of range: 30"),
    ({"DefaultAddrPool": ["10.0.0.0/16"], "SubnetSize": 8},
     'invalid CIDR: "10.0.0.0/16". Subnet size is too small for pool: 8'),
    ({"DataPathPort": 80}, "Datapath port number is not in valid range (1024-49151) : 80"),
])
def test_init_refusals(api, body, message):
    assert _error(_init_raw, api, **body) == (500, message)
    assert api.info()["Swarm"]["LocalNodeState"] == "inactive"


def test_swarm_networks_are_cut_from_the_pools(api):
    api.init_swarm(advertise_addr="127.0.0.1", default_addr_pool=["2.0.0.0/16"], subnet_size=28)
    (ingress,) = [n for n in api.networks(filters={"scope": "swarm"}) if n["Name"] == "ingress"]
    assert ingress["IPAM"]["Config"] == [{"Subnet": "2.0.0.0/28", "Gateway": "2.0.0.1"}]
    net = api.create_network("ov", driver="overlay")
    assert api.inspect_network(net["Id"])["IPAM"]["Config"] == [{"Subnet": "2.0.0.16/28", "Gateway": "2.0.0.17"}]


# the unlock key ----------------------------------------------------------------------------

def test_no_unlock_key_without_autolock(api):
    assert _error(api.get_unlock_key) == (503, NOT_MANAGER)
    assert _error(api.unlock_swarm, "SWMKEY-1-x") == (503, NOT_MANAGER)
    api.init_swarm(advertise_addr="127.0.0.1")
    assert api.get_unlock_key() == {"UnlockKey": ""}
    swarm = api.inspect_swarm()
    api.update_swarm(swarm["Version"]["Index"], swarm["Spec"], rotate_manager_unlock_key=True)
    assert api.get_unlock_key() == {"UnlockKey": ""}
    assert _error(api.unlock_swarm, "SWMKEY-1-x") == (409, "swarm is not locked")


def test_autolock_keys_turn_on_rotate_and_go(api):
    api.init_swarm(advertise_addr="127.0.0.1", swarm_spec=api.create_swarm_spec(autolock_managers=True))
    first = api.get_unlock_key()["UnlockKey"]
    assert KEY.match(first)
    assert api.get_unlock_key()["UnlockKey"] == first  # stable until rotated
    swarm = api.inspect_swarm()
    api.update_swarm(swarm["Version"]["Index"], swarm["Spec"], rotate_manager_unlock_key=True)
    second = api.get_unlock_key()["UnlockKey"]
    assert KEY.match(second) and second != first
    assert api.inspect_swarm()["Version"]["Index"] > swarm["Version"]["Index"]
    _autolock(api, False)
    assert api.get_unlock_key() == {"UnlockKey": ""}
    _autolock(api, True)  # locking again: a new key
    third = api.get_unlock_key()["UnlockKey"]
    assert KEY.match(third) and third not in (first, second)


def test_init_request_autolock_field_is_ignored(api):
    _init_raw(api, AutoLockManagers=True)  # the daemon reads only Spec.EncryptionConfig
    assert api.get_unlock_key() == {"UnlockKey": ""}
    assert api.inspect_swarm()["Spec"]["EncryptionConfig"] == {"AutoLockManagers": False}


def test_docker_client_swarm_model(client):
    client.swarm.init(advertise_addr="127.0.0.1", autolock_managers=True)
    assert KEY.match(client.swarm.get_unlock_key()["UnlockKey"])
    assert client.swarm.attrs["DefaultAddrPool"] == ["10.0.0.0/8"]
