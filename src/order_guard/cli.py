"""``order-guard``: the command line (a contract: see DESIGN.md, section 4).

Imports stay light here; each command imports what it needs when it runs,
so a warehouse gate starts fast.
"""

from __future__ import annotations

import atexit
import gc
import os
import signal
import sys
from collections.abc import Sequence

from order_guard.arguments import COMMANDS, build_parser, plain_check
from order_guard.errors import ExitCode, OrderGuardError, RuleFileError
from order_guard.secrets import configure_logging, scrub


class _Terminated(BaseException):
    """SIGTERM, raised where the program is, so that no half-made report is written."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated()


def run() -> None:
    """The ``order-guard`` program (its console script, ``python -m order_guard``): :func:`main` on
    the process's command line, then the process ends with its exit code."""
    code = _run(None, program=True)
    _end_the_program(code)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``order-guard ARGV...`` (``sys.argv[1:]`` when None: the process's command line) and
    return its exit code; a caller's program goes on after it."""
    return _run(argv, program=False)


def _run(argv: Sequence[str] | None, program: bool) -> int:
    # A run starts by building thousands of objects that live as long as it does (modules,
    # parsers, plugins, rules): the garbage collector finds nothing among them, yet walks them
    # again and again while records are read, and once more as the process exits. So it waits
    # until the command is imported and then no longer sees what exists (gc.freeze). A caller
    # of main gets it all handed back when the run ends; the program's own run ends with the
    # process, whose last collection has then nothing to walk (~6 ms of a gate).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _main(argv, collecting)
    finally:
        if not program:
            gc.unfreeze()
        if collecting:
            gc.enable()


def _end_the_program(code: int) -> None:
    """End the program's process now with ``code`` (:func:`run`: nothing of the program follows).
    The interpreter's own ending frees every module, function and class one by one (~3 ms of a
    60 ms gate), memory the system takes back at once. It returns, and the interpreter ends the
    usual way, wherever that ending has more to do: a callback registered with atexit (coverage,
    logging, a plugin's), another thread, an interactive prompt to follow (``-i``), development
    mode's warnings, or standard output or error that cannot be flushed (the usual ending reports it)."""
    if sys.flags.inspect or os.environ.get("PYTHONINSPECT") or sys.flags.dev_mode:
        return
    callbacks = getattr(atexit, "_ncallbacks", None)
    threading = sys.modules.get("threading")
    if callbacks is None or callbacks() or (threading is not None and threading.active_count() > 1):
        return
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return
    os._exit(code)


def _main(argv: Sequence[str] | None, collecting: bool) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    args = plain_check(arguments)
    if args is None:
        command = arguments[0] if arguments and arguments[0] in COMMANDS else None
        args = build_parser(command).parse_args(arguments)
    configure_logging()
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread (a library caller's worker): leave signals to the caller
        previous = None
    try:
        if args.command == "check":
            from order_guard.commands.check import run
        elif args.command == "rules":
            from order_guard.commands.rules import run
        elif args.command == "waivers":
            from order_guard.commands.waivers import run
        elif args.command == "verify":
            from order_guard.commands.verify import run
        else:
            from order_guard.commands.plugins import run
        gc.freeze()
        if collecting:
            gc.enable()
        return int(run(args))
    except RuleFileError as err:
        for problem in err.problems:
            print(f"order-guard: {problem}", file=sys.stderr)
        return int(err.exit_code)
    except OrderGuardError as err:
        print(f"order-guard: error: {scrub(str(err))}", file=sys.stderr)
        return int(err.exit_code)
    except BrokenPipeError:
        # The reader went away (`| head`): the report was not delivered whole.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print("order-guard: standard output was closed; no report is complete", file=sys.stderr)
        return int(ExitCode.INCOMPLETE)
    except KeyboardInterrupt:
        print("order-guard: interrupted; no report is complete", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except _Terminated:
        print("order-guard: terminated; no report is complete", file=sys.stderr)
        return int(ExitCode.TERMINATED)
    except Exception:  # a bug: show it, and never let it pass for "findings" or "clean"
        import traceback

        sys.stderr.write(scrub(traceback.format_exc()))
        print("order-guard: internal error (a bug; please report it): nothing was proved clean", file=sys.stderr)
        return int(ExitCode.INCOMPLETE)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    run()
