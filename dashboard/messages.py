"""Sentences the terminal and the pages share (no Dash, no scipy: the CLI imports this)."""

from __future__ import annotations


def looked_for() -> str:
    """The formats curvedoc reads, as a user recognises them ("TensorBoard event files
    (*tfevents*); MLflow file store (…); …")."""
    from curvedoc.ingest.formats.base import formats

    return "; ".join(str(getattr(fmt, "summary", name)) for name, fmt in formats().items())


def no_runs_message(root: str) -> str:
    """What to say for a folder that holds no run, naming the formats looked for."""
    return (f"No runs found under {root}. curvedoc looked for these formats: {looked_for()}. "
            "Point it at the folder your trainer writes its logs to.")
