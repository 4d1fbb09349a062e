"""Read the trainer's event files back with TensorBoard itself (not curvedoc.ingest)."""

from __future__ import annotations

from pathlib import Path


def read_events(run_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar tag in ``run_dir``'s event files as ``[(step, value), ...]``.

    Uses TensorBoard's own EventAccumulator, not curvedoc.ingest (the trainer
    must not depend on curvedoc's readers, and neither do its tests).
    """
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)]
            for tag in acc.Tags()["scalars"]}


def hparams_plugin_tags(run_dir: Path) -> list[str]:
    """Tags of the hparams plugin summaries written into ``run_dir``'s own event file."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir))
    acc.Reload()
    return sorted(acc.PluginTagToContent("hparams"))

