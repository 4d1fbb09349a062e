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


#: A config file larger than this is not one a person wrote.
MAX_BYTES = 1 << 20


def load_config(root: str | Path) -> dict[str, Any]:
    """The merged curvedoc config for a log root ({} when there is none).

    Keys of the wrong type are left out (see :func:`checked_config` for the warnings).
    Raises :class:`ConfigError` when a file exists but is not TOML.
    """
    return checked_config(root)[0]


def checked_config(root: str | Path) -> tuple[dict[str, Any], list[str]]:
    """The merged config and a warning for each key left out because it has the wrong type.

    One wrong key (``roles = 5``) costs only itself: every run is still read, with the
    rest of the config. Raises :class:`ConfigError` when a file is not TOML.
    """
    root = Path(root)
    folder = root if root.is_dir() else root.parent
    config: dict[str, Any] = {}
    warnings: list[str] = []
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        tool = _read(pyproject).get("tool", {})
        own = tool.get("curvedoc", {}) if isinstance(tool, dict) else {}
        if isinstance(own, dict):
            config.update(_checked(own, f"{pyproject} [tool.curvedoc]", warnings))
        else:
            warnings.append(f"{pyproject}: [tool.curvedoc] must be a table; it was ignored")
    own_file = folder / "curvedoc.toml"
    if own_file.is_file():
        config.update(_checked(_read(own_file), str(own_file), warnings))
    return config, warnings


def _checked(table: dict[str, Any], where: str, warnings: list[str]) -> dict[str, Any]:
    """The keys of one config table whose types are right; a warning for each other one."""
    out = {}
    for key, value in table.items():
        problem = _problem(key, value)
        if problem:
            warnings.append(f"{where}: {key} {problem}; that key was ignored (fix it in the file)")
        else:
            out[key] = value
    return out


def _problem(key: str, value: Any) -> str | None:
    if key == "roles":
        if not isinstance(value, dict):
            return f"must be a table of role = \"tag\" (found {type(value).__name__})"
        bad = [role for role, tag in value.items() if not isinstance(tag, str)]
        if bad:
            return f"must map each role to a tag name in quotes ({', '.join(bad)} does not)"
    elif key == "rules":
        if not isinstance(value, dict):
            return f"must be a table of rule tables (found {type(value).__name__})"
        bad = [name for name, table in value.items() if not isinstance(table, dict)]
        if bad:
            return f"must hold one table per rule ({', '.join(bad)} is not a table)"
    elif key == "num_classes" and (
        isinstance(value, bool) or not isinstance(value, int) or value < 2
    ):
        return f"must be a whole number of at least 2 (found {value!r})"
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_BYTES:,} bytes; is it a config file?")
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError, RecursionError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(
            f"{path}: cannot read it as TOML ({exc}); fix or remove the file"
        ) from exc
