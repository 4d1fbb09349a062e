"""User configuration: ``[tool.curvedoc]`` of a ``pyproject.toml`` or a ``curvedoc.toml``.

Both are looked for in the log root; ``curvedoc.toml`` wins where both exist.
A ``curvedoc.toml`` holds the same keys at top level (no ``[tool.curvedoc]``).

Known keys::

    [tool.curvedoc.roles]          # role -> tag, for every run
    val_loss = "metrics/valid_nll"

    [tool.curvedoc.rules.val-loss-rises]   # thresholds of one rule, by rule name or code
    min_rise = 0.1

    num_classes = 10                # for the chance loss ln(C) when logs don't say
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(ValueError):
    """A config file exists but cannot be used; the message names it."""


def load_config(root: str | Path) -> dict[str, Any]:
    """The merged curvedoc config for a log root ({} when there is none)."""
    root = Path(root)
    folder = root if root.is_dir() else root.parent
    config: dict[str, Any] = {}
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        config.update(_read(pyproject).get("tool", {}).get("curvedoc", {}))
    own = folder / "curvedoc.toml"
    if own.is_file():
        config.update(_read(own))
    return config


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"{path}: cannot read it as TOML ({exc}); fix or remove the file"
        ) from exc
