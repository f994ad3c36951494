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


def _cmd_gen_args(args: argparse.Namespace) -> int:
    from ._argsgen import render

    sys.stdout.write(render())
    return 0


def _cmd_rules_doc(args: argparse.Namespace) -> int:
    from .rules_doc import render

    sys.stdout.write(render())
    return 0


def _cmd_emulator(args: argparse.Namespace) -> int:
    import logging

    from .emulator import Credential, EmulatorConfig, Faults, serve

    log = logging.getLogger("eci_provider.emulator")
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.addHandler(stream)
    log.setLevel(logging.INFO)
    # Unset limits keep EmulatorConfig's defaults, which document their reasons.
    limits = {
        name: value
        for name, value in (("read_timeout_seconds", args.read_timeout), ("max_body_bytes", args.max_body_bytes))
        if value is not None
    }
    config = EmulatorConfig(
        db_path=args.db,
        credentials=(Credential(args.access_key_id, args.access_key_secret),),
        transition_seconds=args.transition_seconds,
        **limits,
        faults=Faults(
            throttle_rate=args.throttle_rate,
            retry_after_ms=args.retry_after_ms,
            error_5xx_rate=args.error_5xx_rate,
            latency_seconds=args.latency,
            drop_create_response_rate=args.drop_create_response_rate,
            visibility_delay_seconds=args.visibility_delay,
            schedule_failed_rate=args.schedule_failed_rate,
            seed=args.seed,
        ),
    )
    server = serve(config, args.port)
    print(f"listening on {server.url}", flush=True)
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


def _cmd_preview_comment(args: argparse.Namespace) -> int:
    """Exit 0, or 1 when a ``--fail-on`` condition is met (the report is written either way),
    or 2 when the input is not a preview document."""
    from .preview import FAIL_ON, PreviewError, analyse, gate, render_json, render_markdown

    fail_on = [c.strip() for c in (args.fail_on or "").split(",") if c.strip()]
    unknown = [c for c in fail_on if c not in FAIL_ON]
    if unknown:
        choices = ", ".join(FAIL_ON)
        print(f"--fail-on: unknown condition(s) {', '.join(unknown)}; choose from {choices}", file=sys.stderr)
        return 2
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
        report = analyse(json.loads(text))
    except OSError as e:
        print(f"{args.file}: {e.strerror or e}", file=sys.stderr)
        return 2
    except json.JSONDecodeError as e:
        print(f"{args.file}: not JSON ({e}); pass the output of `pulumi preview --json`", file=sys.stderr)
        return 2
    except PreviewError as e:
        print(f"{args.file}: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # a document the analysis did not foresee: say so, exit 2, not 1
        print(f"{args.file}: could not analyse the preview ({type(e).__name__}: {e})", file=sys.stderr)
        return 2
    rendered = render_json(report, fail_on) if args.format == "json" else render_markdown(report, fail_on)
    if args.output:
        Path(args.output).write_text(rendered)
    else:
        sys.stdout.write(rendered)
    hits = gate(report, fail_on)
    for hit in hits:
        print(f"fail-on {hit}", file=sys.stderr)
    return 1 if hits else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eci-provider", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("schema", help="print the JSON Schema of a container group spec (schema.json)")
    p.set_defaults(func=_cmd_schema)

    p = sub.add_parser("gen-args", help="print eci_provider/args.py: typed inputs of ContainerGroup for IDEs")
    p.set_defaults(func=_cmd_gen_args)

    p = sub.add_parser("rules-doc", help="print docs/update-rules.md: what changing each field does")
    p.set_defaults(func=_cmd_rules_doc)

    p = sub.add_parser("validate", help="validate container group spec files (JSON)")
    p.add_argument("files", nargs="+", help="spec files, or - for stdin")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("encode", help="print the CreateContainerGroup parameters for a spec (secrets masked)")
    p.add_argument("file", help="spec file, or - for stdin")
    p.add_argument("--region", default="cn-hangzhou", help="RegionId (default: %(default)s)")
    p.set_defaults(func=_cmd_encode)

    p = sub.add_parser(
        "preview-comment",
        help="render `pulumi preview --json` as a pull-request report: update types, restarts, replacements",
    )
    p.add_argument("file", nargs="?", default="-", help="the preview JSON, or - for stdin (default)")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown", help="default: %(default)s")
    p.add_argument("--output", "-o", help="write the report here instead of stdout")
    from .preview import FAIL_ON  # the conditions are the report's, listed once there

    p.add_argument(
        "--fail-on",
        metavar="LIST",
        help=f"exit 1 when any of these happen (comma-separated): {', '.join(FAIL_ON)}",
    )
    p.set_defaults(func=_cmd_preview_comment)

    p = sub.add_parser("emulator", help="serve a local ECI emulator on 127.0.0.1 until interrupted (docs/emulator.md)")
    p.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default: %(default)s)")
    p.add_argument("--db", default=":memory:", help="SQLite file that keeps the groups (default: %(default)s)")
    p.add_argument("--access-key-id", default="testid", help="accepted AccessKey ID (default: %(default)s)")
    p.add_argument("--access-key-secret", default="testsecret", help="its secret (default: the test secret)")
    p.add_argument("--transition-seconds", type=float, default=2.0, help="length of each lifecycle step")
    p.add_argument("--throttle-rate", type=float, default=0.0, help="probability of Throttling")
    p.add_argument("--retry-after-ms", type=int, default=None, help="x-acs-retry-after on Throttling, ms")
    p.add_argument("--error-5xx-rate", type=float, default=0.0, help="probability of InternalError/ServiceUnavailable")
    p.add_argument("--latency", type=float, default=0.0, help="seconds added to each request")
    p.add_argument("--drop-create-response-rate", type=float, default=0.0, help="probability a create's reply is lost")
    p.add_argument("--visibility-delay", type=float, default=0.0, help="seconds a new group is invisible to Describe")
    p.add_argument("--schedule-failed-rate", type=float, default=0.0, help="probability a create ends ScheduleFailed")
    p.add_argument("--seed", type=int, default=0, help="fault RNG seed (default: %(default)s)")
    p.add_argument("--read-timeout", type=float, help="seconds a request may take to arrive (default: 30)")
    p.add_argument("--max-body-bytes", type=int, help="largest request body accepted (default: 8 MiB)")
    p.set_defaults(func=_cmd_emulator)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
