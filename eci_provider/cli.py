"""The ``eci-provider`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from .errors import format_errors
from .spec import ContainerGroupSpec


def _load_spec(path: str) -> ContainerGroupSpec:
    text = sys.stdin.read() if path == "-" else Path(path).read_text()
    return ContainerGroupSpec.model_validate(json.loads(text))


def _cmd_schema(args: argparse.Namespace) -> int:
    from .schema import render

    sys.stdout.write(render())
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        try:
            spec = _load_spec(path)
        except ValidationError as e:
            print(f"{path}: {format_errors(e)}", file=sys.stderr)
            status = 1
            continue
        except (OSError, json.JSONDecodeError) as e:
            print(f"{path}: {e}", file=sys.stderr)
            status = 1
            continue
        rounding = spec.cpu_memory_rounding()
        note = ""
        if rounding is not None and not rounding.exact:
            note = (
                f" (cpu/memory {spec.cpu:g}/{spec.memory:g} will be provisioned as "
                f"{rounding.cpu:g}/{rounding.memory:g})"
            )
        print(f"{path}: ok: {spec.name}, {len(spec.containers)} container(s){note}")
    return status


def _cmd_encode(args: argparse.Namespace) -> int:
    from .wire import to_create_params

    try:
        spec = _load_spec(args.file)
    except ValidationError as e:
        print(format_errors(e), file=sys.stderr)
        return 1
    params = to_create_params(spec, args.region)
    for key, value in params.items():
        masked = "[secret]" if key.endswith((".Password", ".Content")) else value
        print(f"{key}={masked}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eci-provider", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("schema", help="print the JSON Schema of a container group spec (schema.json)")
    p.set_defaults(func=_cmd_schema)

    p = sub.add_parser("validate", help="validate container group spec files (JSON)")
    p.add_argument("files", nargs="+", help="spec files, or - for stdin")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("encode", help="print the CreateContainerGroup parameters for a spec (secrets masked)")
    p.add_argument("file", help="spec file, or - for stdin")
    p.add_argument("--region", default="cn-hangzhou", help="RegionId (default: %(default)s)")
    p.set_defaults(func=_cmd_encode)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
