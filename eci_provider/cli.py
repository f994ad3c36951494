"""The eci-provider command line.

The error contract lives here, once: a user mistake (a bad flag value, a file that cannot be
read, input that is not what the command reads) raises :class:`UsageError` or
:class:`InputError`, and :func:`main` turns it into one line on stderr,
``eci-provider <command>: <file or flag>: <problem>``, and exit status 2.  Problems found *in*
a spec are :class:`Findings` (exit status 1).  Only a bug in this program shows a traceback.
"""

from __future__ import annotations

import argparse
import errno
import json
import math
import re
import signal
import sqlite3
import sys
import threading
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import ValidationError

from .spec.model import ContainerGroupSpec
from .spec.problems import format_errors

if TYPE_CHECKING:
    from .emulator import EmulatorConfig, RunningServer

#: Exit statuses: the same for every command, documented in ``--help`` and the README.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

EXIT_STATUS_HELP = (
    "exit status: 0 ok; 1 findings (an invalid spec) or a --fail-on condition met; "
    "2 bad usage or unreadable input (2 wins when both happen in one run)"
)
STDIN = "-"


class CliError(Exception):
    """A user mistake, reported as one line naming ``subject`` (a file or a flag), exit status 2."""

    status = EXIT_USAGE

    def __init__(self, subject: str, problem: str) -> None:
        super().__init__(subject, problem)
        self.subject = subject
        self.problem = problem

    def __str__(self) -> str:
        line = f"{self.subject}: {self.problem}" if self.subject else self.problem
        return " ".join(line.split())  # one line, whatever the underlying library wrote


class UsageError(CliError):
    """A flag or argument that is wrong in itself (out of range, or refused by the system)."""


class InputError(CliError):
    """An input that cannot be read, or is not the kind of document the command reads."""


class Findings(Exception):
    """Problems found in a spec that was read: exit status 1, one line per problem."""

    status = EXIT_FINDINGS


class _ParseError(UsageError):
    """argparse's own complaint, raised instead of printed so that :func:`main` reports it."""

    def __init__(self, prog: str, problem: str) -> None:
        super().__init__("", problem)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _ParseError(self.prog, f"{message} (see {self.prog} --help)")


class _HelpFormatter(argparse.HelpFormatter):
    """Shows each option's default, unless its help already speaks of it or there is none."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if "default" in text or default is None or default is argparse.SUPPRESS or isinstance(default, bool):
            return text
        return f"{text} (default: %(default)s)"


def _report(prog: str, error: Exception) -> None:
    print(f"{prog}: {error}", file=sys.stderr)


# -- reading inputs --------------------------------------------------------------------------


def _label(source: str) -> str:
    return "stdin" if source == STDIN else source


def _read_bytes(source: str) -> bytes:
    if source == STDIN:
        stream = getattr(sys.stdin, "buffer", None)
        return stream.read() if stream is not None else sys.stdin.read().encode()
    try:
        return Path(source).read_bytes()
    except OSError as e:
        raise InputError(source, f"cannot read it ({e.strerror or e})") from None


def read_json(source: str, *, expected: str) -> Any:
    """The JSON document in ``source`` (a file, or ``-`` for stdin).

    Every way reading it can fail becomes one :class:`InputError` that names the file:
    unreadable, not UTF-8, not JSON, or nested too deeply for the parser (``RecursionError``).
    ``expected`` says what the command wanted, for the not-JSON case.
    """
    label = _label(source)
    raw = _read_bytes(source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(label, f"not UTF-8 text (invalid byte at offset {e.start}); expected {expected}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        where = f"line {e.lineno} column {e.colno}"
        raise InputError(label, f"not JSON ({e.msg} at {where}); expected {expected}") from None
    except RecursionError:
        raise InputError(label, "nested too deeply to read (arrays or objects inside each other)") from None


def _load_spec(source: str) -> ContainerGroupSpec:
    data = read_json(source, expected="a container group spec (JSON object)")
    try:
        return ContainerGroupSpec.model_validate(data)
    except ValidationError as e:
        raise Findings(f"{_label(source)}: {format_errors(e, data)}") from None


# -- commands --------------------------------------------------------------------------------


def _cmd_schema(args: argparse.Namespace) -> int:
    from .spec.schema import render

    sys.stdout.write(render())
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    """Every file is checked, whatever happened to the ones before it; the worst status wins."""
    status = EXIT_OK
    for source in args.files:
        try:
            spec = _load_spec(source)
        except (CliError, Findings) as e:
            _report(args.prog, e)
            status = max(status, e.status)
            continue
        print(f"{_label(source)}: ok: {spec.name}, {len(spec.containers)} container(s){_rounding_note(spec)}")
    return status


def _rounding_note(spec: ContainerGroupSpec) -> str:
    rounding = spec.cpu_memory_rounding()
    if rounding is None or rounding.exact:
        return ""
    return f" (cpu/memory {spec.cpu:g}/{spec.memory:g} will be provisioned as {rounding.cpu:g}/{rounding.memory:g})"


def _cmd_encode(args: argparse.Namespace) -> int:
    from .cloud.wire import to_create_params

    params = to_create_params(_load_spec(args.file), args.region)
    for key, value in params.items():
        masked = "[secret]" if key.endswith((".Password", ".Content")) else value
        print(f"{key}={masked}")
    return EXIT_OK


def _cmd_gen_args(args: argparse.Namespace) -> int:
    from .spec.argsgen import render

    sys.stdout.write(render())
    return EXIT_OK


def _cmd_rules_doc(args: argparse.Namespace) -> int:
    from .spec.rules_doc import render

    sys.stdout.write(render())
    return EXIT_OK


def _cmd_emulator(args: argparse.Namespace) -> int:
    import logging

    from .emulator import Credential, EmulatorConfig, Faults

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
        rate_limits=args.rate_limits,
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
    server = _listen(config, args.port)
    log = logging.getLogger("eci_provider.emulator")
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    log.addHandler(stream)
    log.setLevel(logging.INFO)
    print(f"listening on {server.url}", flush=True)
    # Ctrl-C (and SIGTERM) set an event instead of raising KeyboardInterrupt wherever the main
    # thread happens to be: an interrupt inside Thread.join can leave the thread's lock behind
    # and hang the interpreter's exit.
    stop = threading.Event()
    handlers = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5) and server.serving:
            pass
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        server.shutdown()
        log.removeHandler(stream)
    return EXIT_OK


def _listen(config: EmulatorConfig, port: int) -> RunningServer:
    """Open the database, then the port; either failing is the flag's fault, said in one line."""
    from .emulator import Emulator, serve

    try:
        emulator = Emulator(config)
    except sqlite3.Error as e:
        raise UsageError(f"--db {config.db_path}", f"cannot open it as an SQLite database ({e})") from None
    except OSError as e:  # the file is created first, with mode 0600
        raise UsageError(f"--db {config.db_path}", f"cannot create it ({e.strerror or e})") from None
    try:
        return serve(emulator, port)
    except OSError as e:
        emulator.close()
        if e.errno == errno.EADDRINUSE:
            raise UsageError(
                f"--port {port}", "already in use on 127.0.0.1; pick another, or 0 for any free port"
            ) from None
        raise UsageError(f"--port {port}", f"cannot listen on 127.0.0.1 ({e.strerror or e})") from None


#: A URL that can stand in a Markdown link as it is: nothing that ends the link or the text.
_LINKABLE = re.compile(r"https?://[^\s()<>\[\]`'\"\\]+")
#: GitHub rejects an issue or pull-request comment longer than this (characters of the body).
GITHUB_COMMENT_LIMIT = 65_536


def _cmd_preview_comment(args: argparse.Namespace) -> int:
    """Exit 0, or 1 when a --fail-on condition is met (the report is written either way), or 2
    when the input is not a preview document or the report cannot be written."""
    from .review.comment import render_json, render_markdown
    from .review.report import FAIL_ON, PreviewError, analyse, gate

    fail_on = [c.strip() for c in (args.fail_on or "").split(",") if c.strip()]
    unknown = [c for c in fail_on if c not in FAIL_ON]
    if unknown:
        raise UsageError("--fail-on", f"unknown condition(s) {', '.join(unknown)}; choose from {', '.join(FAIL_ON)}")
    if args.full_report_url is not None and not _LINKABLE.fullmatch(args.full_report_url):
        raise UsageError("--full-report-url", "an http(s) URL without spaces, quotes, brackets or parentheses")
    label = _label(args.file)
    doc = read_json(args.file, expected="the output of pulumi preview --json")
    try:
        report = analyse(doc)
    except PreviewError as e:
        raise InputError(label, str(e)) from None
    except Exception as e:  # a document the analysis did not foresee: say so, exit 2, not 1
        raise InputError(label, f"could not analyse the preview ({type(e).__name__}: {e})") from None
    if args.format == "json":
        rendered = render_json(report, fail_on)
    else:
        budget = args.max_chars or None
        rendered = render_markdown(report, fail_on, max_chars=budget, full_report_url=args.full_report_url)
    _write_output(args.output, rendered)
    if args.full_output:
        _write_output(args.full_output, render_markdown(report, fail_on), flag="--full-output")
    hits = gate(report, fail_on)
    for hit in hits:
        print(f"fail-on {hit}", file=sys.stderr)
    return EXIT_FINDINGS if hits else EXIT_OK


def _write_output(output: str | None, text: str, flag: str = "--output") -> None:
    if not output:
        sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"{flag} {output}", f"cannot write it ({e.strerror or e})") from None


def _cmd_import(args: argparse.Namespace) -> int:
    """Exit 0; 1 when an imported spec breaks a documented rule (the output is written anyway, with
    the problem in it); 2 for a bad flag, a group that does not exist, or a failed API call."""
    from .cloud.credentials import MissingCredentials
    from .cloud.errors import EciError
    from .importer import MissingGroups, NothingSelected, imported, read_groups, render, settings_for

    selection = _selection(args)
    try:
        settings = settings_for(args.region, args.endpoint)
    except MissingCredentials:
        raise UsageError(
            "credentials",
            "no Alibaba Cloud access key: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        ) from None
    except ValueError:  # the only other setting that can be missing here is the region
        raise UsageError("--region", "no region: give --region or set ALIBABA_CLOUD_REGION_ID") from None
    try:
        groups = imported(read_groups(settings, selection))
    except MissingGroups as e:
        ids = ", ".join(e.ids)
        raise UsageError(f"--id {ids}", f"no such container group in {e.region}") from None
    except NothingSelected as e:
        raise UsageError("--all", str(e)) from None
    except EciError as e:
        raise InputError("", f"{e} (after retries)") from None
    except (ValueError, OSError, sqlite3.Error) as e:  # an endpoint that cannot be used (embedded: PATH)
        raise UsageError(f"--endpoint {settings.endpoint}", str(e)) from None
    _write_output(args.output, render(groups, settings.region, args.format))
    for g in groups:
        for problem in g.problems:
            print(f"{args.prog}: {g.group_id}: {problem}", file=sys.stderr)
    return EXIT_FINDINGS if any(g.problems for g in groups) else EXIT_OK


def _selection(args: argparse.Namespace) -> Any:
    """The groups the flags select; every mistake is found here, before any API call."""
    from .importer import GROUP_ID, Selection

    args.ids, args.tags = args.ids or [], args.tags or []
    if not args.ids and not args.all:
        raise UsageError("", "say which groups to import: --id eci-... (repeatable) or --all")
    if args.ids and args.all:
        raise UsageError("--id", "give group IDs or --all, not both")
    if (args.tags or args.name_prefix is not None) and not args.all:
        flag = "--tag" if args.tags else "--name-prefix"
        raise UsageError(flag, "narrows --all; with --id, the IDs already say which groups")
    for gid in args.ids:
        if not GROUP_ID.fullmatch(gid):
            raise UsageError(f"--id {gid}", "not a container group ID (eci- followed by letters and digits)")
    tags: dict[str, str] = {}
    for text in args.tags:
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise UsageError(f"--tag {text}", "must be KEY=VALUE, e.g. --tag env=prod")
        if key in tags:
            raise UsageError(f"--tag {text}", f"tag {key} is given twice")
        tags[key] = value
    if args.name_prefix == "":
        raise UsageError("--name-prefix", "must not be empty")
    return Selection(tuple(args.ids), bool(args.all), tuple(tags.items()), args.name_prefix)


# -- flag values -----------------------------------------------------------------------------


def _number(kind: Callable[[str], Any], what: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
        return value

    return parse


def _ranged(kind: Callable[[str], Any], what: str, low: float, high: float | None = None) -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` within ``[low, high]``; the message names the range."""
    parse = _number(kind, what)

    def ranged(text: str) -> Any:
        value = parse(text)
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {what}, got {text}")
        return value

    return ranged


_PORT = _ranged(int, "a port from 0 to 65535 (0 picks a free one)", 0, 65535)
_PROBABILITY = _ranged(float, "a probability from 0 to 1", 0.0, 1.0)
_SECONDS = _ranged(float, "a number of seconds, 0 or more", 0.0)
_MILLISECONDS = _ranged(int, "a whole number of milliseconds, 1 or more", 1)
_SEED = _number(int, "a whole number")
_COUNT = _ranged(int, "a number of characters, or 0 for no limit", 0)
_POSITIVE_SECONDS = _ranged(float, "a number of seconds above 0", 1e-3)
_POSITIVE_COUNT = _ranged(int, "a whole number above 0", 1)
_REGION_RE = re.compile(r"[a-z]{2,}(-[a-z0-9]+)+")


def _rate_limits(text: str) -> dict[str, int]:
    from .emulator.config import rate_limits_option

    try:
        return rate_limits_option(text, name="--rate-limits")
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix("--rate-limits: ")) from None


def _region(text: str) -> str:
    if not _REGION_RE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"must be a region ID such as cn-hangzhou, got {text!r}")
    return text


def _version() -> str:
    try:
        return metadata.version("eci-provider")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


# -- the parser ------------------------------------------------------------------------------

_DESCRIPTION = (
    "Validate and encode Alibaba Cloud ECI container group specs, document their update rules, "
    "report pulumi preview runs, generate programs that take over existing groups, and serve a local ECI "
    "emulator."
)


def _subcommand(sub: Any, name: str, summary: str, run: Callable[[argparse.Namespace], int]) -> _Parser:
    parser: _Parser = sub.add_parser(
        name, help=summary, description=summary, epilog=EXIT_STATUS_HELP, formatter_class=_HelpFormatter
    )
    parser.set_defaults(func=run, prog=parser.prog)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="eci-provider", description=_DESCRIPTION, epilog=EXIT_STATUS_HELP, formatter_class=_HelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    _subcommand(sub, "schema", "print the JSON Schema of a container group spec (schema.json)", _cmd_schema)
    _subcommand(sub, "gen-args", "print eci_provider/spec/args.py: typed ContainerGroup inputs", _cmd_gen_args)
    _subcommand(sub, "rules-doc", "print docs/update-rules.md: what changing each field does", _cmd_rules_doc)

    p = _subcommand(sub, "validate", "validate container group spec files (JSON)", _cmd_validate)
    p.add_argument("files", nargs="+", help="spec files, or - for stdin")

    p = _subcommand(sub, "encode", "print the CreateContainerGroup parameters for a spec (secrets masked)", _cmd_encode)
    p.add_argument("file", help="spec file, or - for stdin")
    p.add_argument("--region", metavar="REGION", default="cn-hangzhou", type=_region, help="RegionId")

    _add_preview_comment(sub)
    _add_import(sub)
    _add_emulator(sub)
    return parser


def _add_import(sub: Any) -> None:
    from .importer import FORMATS

    p = _subcommand(
        sub,
        "import",
        "print a Pulumi program (or a spec document) that takes over existing container groups",
        _cmd_import,
    )
    p.add_argument("--id", dest="ids", action="append", metavar="ID", help="a container group ID (repeatable)")
    p.add_argument("--all", action="store_true", help="every group of the region, narrowed by --tag and --name-prefix")
    p.add_argument(
        "--tag",
        dest="tags",
        action="append",
        metavar="KEY=VALUE",
        help="with --all: only groups with this tag (repeatable; all must match)",
    )
    p.add_argument("--name-prefix", metavar="PREFIX", help="with --all: only groups whose name starts with PREFIX")
    p.add_argument("--format", choices=FORMATS, default="python", help="a Pulumi Python program, or a spec document")
    p.add_argument("--output", "-o", metavar="FILE", help="write it here instead of stdout")
    p.add_argument(
        "--region",
        metavar="REGION",
        type=_region,
        help="RegionId (default: ALIBABA_CLOUD_REGION_ID); the access key comes from ALIBABA_CLOUD_ACCESS_KEY_ID, "
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET and ALIBABA_CLOUD_SECURITY_TOKEN",
    )
    p.add_argument(
        "--endpoint",
        metavar="URL",
        help="API endpoint, or embedded:PATH for an emulator in this process "
        "(default: ECI_ENDPOINT, else https://eci.REGION.aliyuncs.com)",
    )


def _add_preview_comment(sub: Any) -> None:
    from .review.report import FAIL_ON  # the conditions are the report's, listed once there

    p = _subcommand(
        sub,
        "preview-comment",
        "render the output of pulumi preview --json as a pull-request report: update types, restarts, replacements",
        _cmd_preview_comment,
    )
    p.add_argument("file", nargs="?", default=STDIN, help="the preview JSON, or - for stdin")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown", help="report format")
    p.add_argument("--output", "-o", metavar="FILE", help="write the report here instead of stdout")
    p.add_argument(
        "--max-chars",
        type=_COUNT,
        default=GITHUB_COMMENT_LIMIT,
        metavar="N",
        help="shorten a longer Markdown report to N characters, keeping the summary, every warning and every "
        "replacement, delete and instance restart; 0: no limit; JSON is never shortened; 65536 is GitHub's "
        "comment limit",
    )
    p.add_argument(
        "--full-report-url",
        metavar="URL",
        help="where the full report can be read (the CI run whose job summary holds it): linked from a shortened one",
    )
    p.add_argument(
        "--full-output",
        metavar="FILE",
        help="also write the full Markdown report, never shortened, here (for a CI job summary)",
    )
    p.add_argument(
        "--fail-on",
        metavar="LIST",
        help=f"exit 1 when any of these happen (comma-separated): {', '.join(FAIL_ON)}",
    )


def _add_emulator(sub: Any) -> None:
    p = _subcommand(
        sub, "emulator", "serve a local ECI emulator on 127.0.0.1 until interrupted (docs/emulator.md)", _cmd_emulator
    )
    p.add_argument("--port", metavar="N", type=_PORT, default=0, help="port; 0 picks a free one")
    p.add_argument("--db", metavar="FILE", default=":memory:", help="SQLite file that keeps the groups")
    p.add_argument("--access-key-id", metavar="ID", default="testid", help="accepted AccessKey ID")
    p.add_argument(
        "--access-key-secret",
        metavar="SECRET",
        default="testsecret",
        help="its secret (default: the built-in test secret)",
    )
    p.add_argument(
        "--transition-seconds", metavar="S", type=_SECONDS, default=2.0, help="length of each lifecycle step"
    )
    p.add_argument("--throttle-rate", metavar="R", type=_PROBABILITY, default=0.0, help="probability of Throttling")
    p.add_argument(
        "--retry-after-ms",
        metavar="MS",
        type=_MILLISECONDS,
        help="x-acs-retry-after on Throttling, in ms (default: not sent)",
    )
    p.add_argument(
        "--error-5xx-rate",
        metavar="R",
        type=_PROBABILITY,
        default=0.0,
        help="probability of InternalError/ServiceUnavailable",
    )
    p.add_argument("--latency", metavar="S", type=_SECONDS, default=0.0, help="seconds added to each request")
    p.add_argument(
        "--drop-create-response-rate",
        metavar="R",
        type=_PROBABILITY,
        default=0.0,
        help="probability a create's reply is lost",
    )
    p.add_argument(
        "--visibility-delay",
        metavar="S",
        type=_SECONDS,
        default=0.0,
        help="seconds a new group is invisible to Describe",
    )
    p.add_argument(
        "--schedule-failed-rate",
        metavar="R",
        type=_PROBABILITY,
        default=0.0,
        help="probability a create ends ScheduleFailed",
    )
    p.add_argument("--seed", metavar="N", type=_SEED, default=0, help="fault RNG seed")
    p.add_argument(
        "--rate-limits",
        metavar="LIMITS",
        type=_rate_limits,
        help="enforce API rate limits per access key, answering Throttling beyond them: 'documented' (ECI's "
        "documented calls per minute), or Action=N pairs that replace those actions' documented limits, e.g. "
        "DescribeContainerGroups=120,CreateContainerGroup=60 (default: not enforced)",
    )
    p.add_argument(
        "--read-timeout",
        metavar="S",
        type=_POSITIVE_SECONDS,
        help="seconds a whole request may take to arrive (unset: 30)",
    )
    p.add_argument(
        "--max-body-bytes", metavar="N", type=_POSITIVE_COUNT, help="largest request body accepted (unset: 8 MiB)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every user mistake ends here as one line on stderr and a status."""
    parser = build_parser()
    prog = parser.prog
    try:
        args = parser.parse_args(argv)
        prog = args.prog
        return int(args.func(args))
    except _ParseError as e:
        _report(e.prog, e)
        return e.status
    except (CliError, Findings) as e:
        _report(prog, e)
        return e.status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
