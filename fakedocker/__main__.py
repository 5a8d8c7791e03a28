"""``python -m fakedocker serve --socket PATH``: a fake Docker daemon on a unix socket."""

from __future__ import annotations

import argparse
import json
import sys

from .engine import FakeEngine
from .server import serve_until_stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakedocker", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve a fresh fake engine on a unix socket")
    serve.add_argument("--socket", required=True, help="path of the unix socket to listen on")
    serve.add_argument(
        "--image", action="append", default=[], metavar="REF[=CONFIG_JSON]",
        help="make an image present, optionally with its Config as JSON (repeatable)",
    )
    serve.add_argument("--transitions", default="immediate", choices=["immediate", "timer", "manual"])
    args = parser.parse_args(argv)

    engine = FakeEngine(transitions=args.transitions)
    for spec in args.image:
        ref, _, config = spec.partition("=")
        engine.add_image(ref, config=json.loads(config) if config else None)
    serve_until_stopped(engine, args.socket, f"fakedocker: serving on unix://{args.socket}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
