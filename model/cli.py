"""``python -m model <command>``: the headless command line, a stable contract for pipelines.

The runtime's commands (bake, encode, retarget, check, inspect) live in ``model/commands/``;
training and evaluation have their own command line, ``python -m training`` (same machinery:
:func:`main` with another command table), and the demo is ``python -m demo``. Each command
module exposes::

    HELP: str                                   # one line for ``--help``
    def add_arguments(parser: argparse.ArgumentParser) -> None
    def run(args: argparse.Namespace) -> int    # exit code

Commands are imported only when chosen, so ``--help`` and unrelated commands stay fast.
Any :class:`model.errors.FaceSkinningError` becomes one line on stderr and exit code 2;
warnings (e.g. an unusable cache) are one ``warning:`` line each.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings

from .errors import FaceSkinningError

# command name -> module under model.commands
COMMANDS: dict[str, str] = {
    "bake": "bake",
    "encode": "encode",
    "retarget": "retarget",
    "check": "check",
    "inspect": "inspect",
    "cut-lips": "cut_lips",
}
# commands that moved out of the runtime package: the one-line answer says where they are now
MOVED: dict[str, str] = {
    "train": "python -m training train",
    "evaluate": "python -m training evaluate",
    "make-eval": "python -m training make-eval",
    "segment": "python -m training segment",
    "export-numpy": "python -m training export-numpy",
    "demo": "python -m demo",
}


class _OneLineErrorParser(argparse.ArgumentParser):
    """Usage mistakes follow the CLI contract too: one ``error:`` line and exit code 2."""

    def error(self, message: str):
        self.exit(2, f"error: {message}; see {self.prog} --help\n")


def build_parser(
    only: str | None = None,
    commands: dict[str, str] | None = None,
    package: str = "model.commands",
    prog: str = "python -m model",
    description: str | None = None,
) -> argparse.ArgumentParser:
    """The parser of ``commands`` (name -> module under ``package``; default: this runtime's)."""
    commands = COMMANDS if commands is None else commands
    parser = _OneLineErrorParser(prog=prog, description=description or __doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in commands:
        if only is not None and name != only:
            sub.add_parser(name)  # listed, not loaded
            continue
        try:
            module = importlib.import_module(f"{package}.{commands[name]}")
        except ModuleNotFoundError as exc:  # a command not built yet in this checkout
            sub.add_parser(name, help=f"(unavailable: {exc})")
            continue
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


# options whose values may start with "-" (negative axes such as "-Y")
_SIGNED_VALUE_OPTIONS = ("--up", "--forward")


def join_signed_values(argv: list[str]) -> list[str]:
    """``--forward -Y`` -> ``--forward=-Y``: argparse would read "-Y" as an unknown option."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if (
            a in _SIGNED_VALUE_OPTIONS
            and i + 1 < len(argv)
            and argv[i + 1].lstrip("-").upper() in ("X", "Y", "Z")
        ):
            out.append(f"{a}={argv[i + 1]}")
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(
    argv: list[str] | None = None,
    commands: dict[str, str] | None = None,
    package: str = "model.commands",
    prog: str = "python -m model",
    description: str | None = None,
    moved: dict[str, str] | None = None,
) -> int:
    """Run one command of ``commands`` (default: the runtime's) with the CLI contract: errors are
    one ``error:`` line and exit code 2, warnings one ``warning:`` line each."""
    commands = COMMANDS if commands is None else commands
    moved = MOVED if moved is None and commands is COMMANDS else (moved or {})
    argv = join_signed_values(list(sys.argv[1:] if argv is None else argv))
    chosen = next((a for a in argv if not a.startswith("-")), None)
    if chosen in moved:
        print(f"error: {chosen!r} is not a runtime command; run `{moved[chosen]}`", file=sys.stderr)
        return 2
    parser = build_parser(chosen if chosen in commands else None, commands, package, prog, description)
    args = parser.parse_args(argv)
    run = getattr(args, "_run", None)
    if run is None:
        parser.error(f"command {args.command!r} is not available in this build")
    try:
        with warnings.catch_warnings():  # restores the previous handler when main() returns
            warnings.showwarning = _one_line_warning
            return int(run(args) or 0)
    except FaceSkinningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
