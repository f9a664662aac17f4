"""``python -m training <command>``: train, evaluate and regenerate what the runtime ships.

Same contract as ``python -m model`` (:func:`model.cli.main`): one ``error:`` line and exit
code 2 on a problem, commands imported only when chosen.
"""

from __future__ import annotations

from model import cli as _runtime_cli

# command name -> module under training.commands
COMMANDS: dict[str, str] = {
    "train": "train",
    "evaluate": "evaluate",
    "make-eval": "make_eval",
    "segment": "segment",
    "tables": "tables",
    "export-numpy": "export_numpy",
}


def main(argv: list[str] | None = None) -> int:
    return _runtime_cli.main(
        argv, COMMANDS, "training.commands", "python -m training", __doc__.splitlines()[0]
    )
