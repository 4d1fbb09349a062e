"""``curvedoc train``: a thin wrapper around the bundled trainer's command.

The trainer's command module imports torch only once a run starts; without
the ``trainer`` extra it prints how to install it and exits with status 2.
"""

from curvedoc.trainer.cli import train

__all__ = ["train"]
