"""``fakedocker serve --socket PATH``: a fake Docker daemon on a unix socket.

    fakedocker serve --socket /tmp/fake.sock --image 'busybox:1.36={"Cmd":["sh"]}' \\
        --registry-image alpine:3.10 --seed seed.toml
    DOCKER_HOST=unix:///tmp/fake.sock docker pull alpine:3.10

(``python -m fakedocker`` is the same command.)
"""

from __future__ import annotations

import argparse
import logging
import sys

import docker.errors

from . import seed as seeding
from . import versions
from .engine import FakeEngine
from .routing import DaemonError
from .server import serve_until_stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fakedocker", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve a fresh fake engine on a unix socket")
    serve.add_argument("--socket", required=True, help="path of the unix socket to listen on")
    serve.add_argument(
        "--image", action="append", default=[], metavar="REF[=CONFIG_JSON]",
        help="make an image present locally, optionally with its Config as JSON (repeatable)",
    )
    serve.add_argument(
        "--registry-image", action="append", default=[], metavar="REF[=CONFIG_JSON]",
        help="make an image pullable from the engine's registry, not present locally (repeatable)",
    )
    serve.add_argument(
        "--seed", action="append", default=[], metavar="FILE",
        help="a JSON or TOML (.toml) file of images, registry images, volumes and networks to "
             "start with (see fakedocker.seed; repeatable)",
    )
    serve.add_argument("--transitions", default="immediate", choices=["immediate", "timer", "manual"])
    serve.add_argument("--engine-version", default=versions.DEFAULT_ENGINE_VERSION, choices=sorted(versions.PROFILES),
                       help="the Docker Engine to answer as (default %(default)s; see fakedocker.versions)")
    serve.add_argument("--min-api-version", default=None, metavar="X.Y",
                       help="refuse clients below this API version, in the daemon's words (e.g. 1.44, "
                            "as Docker 29 does); default: the engine version's own minimum")
    args = parser.parse_args(argv)

    try:
        seeds = [seeding.load(path) for path in args.seed]
        seeds.append({"images": [seeding.image_option(s) for s in args.image],
                      "registry": [seeding.image_option(s) for s in args.registry_image]})
    except seeding.SeedError as err:
        parser.error(str(err))
    engine = FakeEngine(transitions=args.transitions, engine_version=args.engine_version)
    if args.min_api_version:
        engine.min_api_version = args.min_api_version
    try:
        for seed in seeds:
            seeding.apply(engine, seed)
    except (DaemonError, docker.errors.DockerException, seeding.SeedError, TypeError, ValueError) as err:
        engine.close()
        parser.error(f"seeding the engine: {getattr(err, 'explanation', None) or err}")
    # what the fake cannot do as the daemon would (a program it cannot run) is said on stderr too
    logging.basicConfig(level=logging.WARNING, format="fakedocker: %(message)s")
    serve_until_stopped(engine, args.socket, f"fakedocker: serving on unix://{args.socket}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
