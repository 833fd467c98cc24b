"""python -m clss_app.sandbox [--port 3101]: the sandbox server on 127.0.0.1."""

from __future__ import annotations

import argparse

from granian import Granian
from granian.constants import Interfaces


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m clss_app.sandbox")
    parser.add_argument("--port", type=int, default=3101)
    args = parser.parse_args()
    Granian("clss_app.sandbox.app:app", address="127.0.0.1", port=args.port, interface=Interfaces.ASGI).serve()


if __name__ == "__main__":
    main()
