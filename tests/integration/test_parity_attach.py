"""Attaching to a container, fake and real: a stream attached before the start carries the whole
run; afterwards, the logs of the exited container, of the streams asked for."""

from __future__ import annotations

from conftest import BUSYBOX, _poll


def test_attach_before_start_and_after_exit(api, names):
    container = api.create_container(BUSYBOX, ["sh", "-c", "echo out; echo err >&2; exit 3"],
                                     name=names("attach"), labels=names.label)
    stream = api.attach(container, stream=True, logs=False)
    api.start(container)
    # the two streams' lines may come in either order on the daemon
    assert sorted(b"".join(stream).split()) == [b"err", b"out"]
    assert api.wait(container)["StatusCode"] == 3
    # the daemon's log driver may lag a moment behind the exit
    logs = _poll(lambda: api.attach(container, stream=False, logs=True), lambda data: len(data.split()) == 2)
    assert sorted(logs.split()) == [b"err", b"out"]
