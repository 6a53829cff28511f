"""The command line: run, check, test, replay, demo."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from typing import Any

from logsidecar import __version__
from logsidecar.errors import RuleError

_RUN_FLAGS = (
    ("--rules", "rule file or directory (LOGSIDECAR_RULES)"),
    ("--port", "HTTP port (LOGSIDECAR_PORT, default 9879)"),
    ("--listen-address", "HTTP address (LOGSIDECAR_LISTEN_ADDRESS, default 0.0.0.0)"),
    ("--state-dir", "checkpoint directory (LOGSIDECAR_STATE_DIR; unset: no persistence)"),
    ("--log-level", "debug | info | warning | error (LOGSIDECAR_LOG_LEVEL)"),
    ("--log-format", "json | console (LOGSIDECAR_LOG_FORMAT)"),
    ("--max-line-bytes", "longer lines are cut and counted (LOGSIDECAR_MAX_LINE_BYTES)"),
    ("--poll-interval", "check quiet files this often, e.g. 2s (LOGSIDECAR_POLL_INTERVAL)"),
    (
        "--commit-interval",
        "how often state is committed and published (LOGSIDECAR_COMMIT_INTERVAL)",
    ),
    ("--rules-check-interval", "re-hash the rules this often (LOGSIDECAR_RULES_CHECK_INTERVAL)"),
    ("--rotate-wait", "read rotated-away files this long after EOF (LOGSIDECAR_ROTATE_WAIT)"),
    ("--partial-line-timeout", "flush an unterminated last line after this much quiet"),
    ("--shutdown-linger", "keep serving /metrics this long after SIGTERM"),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="logsidecar", description="Log-parsing sidecar: files in, Prometheus metrics out."
    )
    parser.add_argument("--version", action="version", version=f"logsidecar {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the sidecar")
    for flag, help_text in _RUN_FLAGS:
        run.add_argument(flag, help=help_text)
    run.add_argument(
        "--strict-startup",
        action="store_true",
        help="exit 1 when the rules do not load at start-up, instead of running without rules"
        " (not ready) until they do (LOGSIDECAR_STRICT_STARTUP)",
    )
    check = sub.add_parser("check", help="validate rule files (exit 0 clean, 1 errors)")
    check.add_argument("paths", nargs="+", help="rule files or directories")
    check.add_argument(
        "--lint-fatal", action="store_true", help="exit 1 on lint warnings too, not only errors"
    )
    test = sub.add_parser(
        "test", help="run rule unit tests (exit 0 all pass, 1 any failure, with a diff)"
    )
    test.add_argument("files", nargs="+", metavar="FILE", help="test files (*.test.yaml)")
    test.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or json"
    )
    replay = sub.add_parser(
        "replay", help="run rules over log files from their start and print the metrics"
    )
    replay.add_argument("--rules", required=True, help="rule file or directory")
    replay.add_argument("--source", help="read every file with this source")
    replay.add_argument(
        "--format",
        choices=("prometheus", "openmetrics", "json"),
        default="prometheus",
        help="prometheus text (default), openmetrics (with exemplars) or json",
    )
    replay.add_argument("--max-line-bytes", type=int, default=65536)
    bar = replay.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None)
    bar.add_argument("--no-progress", dest="progress", action="store_false")
    replay.add_argument("files", nargs="+", metavar="LOGFILE")
    demo = sub.add_parser("demo", help="run a demo app writing logs, with logsidecar reading them")
    demo.add_argument("--port", type=int, default=9879)
    demo.add_argument("--dir", default=None, help="the shared directory (default: a temp dir)")
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from logsidecar.app import App, StartupError, install_signals
    from logsidecar.logging import configure
    from logsidecar.settings import SettingsError, load_settings, unknown_variables

    overrides: dict[str, Any] = {}
    for flag, _ in _RUN_FLAGS:
        name = flag.lstrip("-").replace("-", "_")
        value = getattr(args, name)
        if value is not None:
            overrides[name] = value
    if args.strict_startup:
        overrides["strict_startup"] = True
    try:
        settings = load_settings(overrides)
    except SettingsError as exc:
        print(f"logsidecar: {exc}", file=sys.stderr)
        return 2
    configure(settings.log_level, settings.log_format)
    import structlog

    log = structlog.get_logger("logsidecar")
    for name in unknown_variables():
        log.warning("unknown_setting", variable=name, detail="no such setting: ignored")
    app = App(settings)
    try:
        app.start()
    except StartupError as exc:
        log.error("startup_failed", error=str(exc))
        print(f"logsidecar: {exc}", file=sys.stderr)
        app.close()
        return exc.exit_code
    install_signals(app)
    # What start-up built (modules, models, compiled rules) lives as long as the process: keep
    # it out of the collector's full scans, which the read path's allocations set off (~5% of
    # the CPU per line in bench/throughput.py)
    gc.collect()
    gc.freeze()
    return app.run()


def cmd_check(args: argparse.Namespace) -> int:
    from logsidecar.rules.load import load_rules

    failed = False
    for path in args.paths:
        try:
            ruleset = load_rules(path)
        except RuleError as exc:
            print(exc)
            failed = True
            continue
        for warning in ruleset.warnings:
            print(warning)
        failed = failed or bool(args.lint_fatal and ruleset.warnings)
        warned = f", {len(ruleset.warnings)} warnings" if ruleset.warnings else ""
        print(
            f"{path}: OK: {len(ruleset.sources)} sources, {len(ruleset.rules)} rules, "
            f"{len(ruleset.detectors)} detectors{warned}"
        )
    return 1 if failed else 0


def cmd_test(args: argparse.Namespace) -> int:
    from logsidecar.ruletest.report import run_tests

    return run_tests(args.files, sys.stdout, args.format)


def cmd_replay(args: argparse.Namespace) -> int:
    from logsidecar.replay import ReplayError, run_replay
    from logsidecar.rules.load import load_rules

    try:
        ruleset = load_rules(args.rules)
        run_replay(
            ruleset,
            args.files,
            sys.stdout,
            sys.stderr,
            source=args.source,
            fmt=args.format,
            max_line_bytes=args.max_line_bytes,
            progress=args.progress,
        )
    except (RuleError, ReplayError) as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        return cmd_run(args)
    if args.command == "check":
        return cmd_check(args)
    if args.command == "test":
        return cmd_test(args)
    if args.command == "replay":
        return cmd_replay(args)
    if args.command == "demo":
        from logsidecar.demo import run_demo

        return run_demo(args.port, args.dir)
    return 2
