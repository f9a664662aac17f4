"""One entry for the three command lines the tests drive: ``python -m model`` (runtime),
``python -m training`` (train, evaluate, tables) and ``python -m demo``."""

from __future__ import annotations

import argparse

from model import cli as model_cli
from training import cli as training_cli


def package_of(command: str) -> str:
    """The ``python -m`` package that owns ``command``."""
    if command == "demo":
        return "demo"
    return "training" if command in training_cli.COMMANDS else "model"


def main(argv: list[str]) -> int:
    """Run ``argv`` (command first) through the command line that owns its command."""
    owner = package_of(argv[0]) if argv else "model"
    if owner == "demo":
        from demo.run import main as demo_main

        return demo_main(list(argv[1:]))
    if owner == "training":
        return training_cli.main(list(argv))
    return model_cli.main(list(argv))


def build_parser(command: str) -> argparse.ArgumentParser:
    """The parser ``command``'s command line builds for it."""
    if package_of(command) == "training":
        return model_cli.build_parser(
            command, training_cli.COMMANDS, "training.commands", "python -m training"
        )
    return model_cli.build_parser(command)
