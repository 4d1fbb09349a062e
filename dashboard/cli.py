"""The ``curvedoc`` command line: a click group whose commands load on first use.

Each command lives in its own module under ``dashboard/commands/`` and is only
imported when it runs, so ``curvedoc --help`` imports no command at all (their one-line
help is in :data:`SHORT_HELP`) and ``curvedoc check`` never imports Dash or torch.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import click

#: command name -> "module:attribute" of its click command
COMMANDS = {
    "check": "curvedoc.dashboard.commands.check:check",
    "rules": "curvedoc.dashboard.commands.rules:rules",
    "rule": "curvedoc.dashboard.commands.rules:rule",
    "serve": "curvedoc.dashboard.commands.serve:serve",
    "report": "curvedoc.dashboard.commands.report:report",
    "train": "curvedoc.dashboard.commands.train:train",
}

#: command name -> its line in ``curvedoc --help`` (so listing imports nothing heavy)
SHORT_HELP = {
    "check": "Diagnose every run under PATH and print the findings.",
    "rules": "List every rule: code, name, label, and what it flags.",
    "rule": "Explain one rule, by code (CD201) or name.",
    "serve": "Open the dashboard on a folder of training logs.",
    "report": "Write a self-contained HTML report of the runs under PATH.",
    "train": "Make runs that show each problem (extra \"trainer\").",
}


class LazyCommand(click.Command):
    """Stands in for a command in ``--help``; imports the real one only to run it."""

    def __init__(self, name: str, target: str) -> None:
        super().__init__(name, short_help=SHORT_HELP.get(name), help=SHORT_HELP.get(name))
        self._target = target
        self._real: click.Command | None = None

    def real(self) -> click.Command:
        if self._real is None:
            module, attr = self._target.split(":")
            self._real = getattr(importlib.import_module(module), attr)
        return self._real

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        return self.real().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        return self.real().invoke(ctx)

    def get_help(self, ctx: click.Context) -> str:
        return self.real().get_help(ctx)

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return self.real().get_params(ctx)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list:
        return self.real().shell_complete(ctx, incomplete)


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._available()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name in self._available():
            return LazyCommand(cmd_name, COMMANDS[cmd_name])
        return super().get_command(ctx, cmd_name)

    @staticmethod
    def _available() -> list[str]:
        return [
            name for name, target in COMMANDS.items()
            if importlib.util.find_spec(target.split(":")[0]) is not None
        ]


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="curvedoc")
def cli() -> None:
    """curvedoc reads the training logs in a folder and diagnoses every learning curve.

    \b
    curvedoc serve runs/        open the dashboard on a folder of logs
    curvedoc check runs/        print the diagnoses, exit 1 when a run has one
    curvedoc rules              list the rules; `curvedoc rule CODE` explains one
    curvedoc train --help       make runs that show each problem (extra "trainer")
    """


def main() -> None:
    cli(prog_name="curvedoc")


if __name__ == "__main__":
    main()
