"""The ``curvedoc`` command line: a click group whose commands load on first use.

Each command lives in its own module under ``dashboard/commands/`` and is only
imported when it runs, so ``curvedoc check`` never imports Dash or torch.
"""

from __future__ import annotations

import importlib

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


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._available()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name in self._available():
            module, attr = COMMANDS[cmd_name].split(":")
            return getattr(importlib.import_module(module), attr)
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
