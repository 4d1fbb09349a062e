"""JSON histories: Keras history dumps, lists of epoch records, bare lists; bad input."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import format_calls

from curvedoc.ingest import discover, read_run
from curvedoc.ingest.formats.json_history import FORMAT

read = partial(format_calls.read, FORMAT)
series = format_calls.series


def write(path: Path, doc) -> Path:
    """A JSON document (text as given) in a file."""
    return format_calls.write(path, doc if isinstance(doc, str) else json.dumps(doc, indent=2))


def test_a_keras_history_dump_is_one_run_with_an_epoch_per_entry(tmp_path):
    # json.dump(history.history, f): such files were not found at all
    write(tmp_path / "exp" / "history.json",
          {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.9], "val_accuracy": [0.5, 0.7, 0.7]})
    (source,) = discover(str(tmp_path))
    assert (source.id, source.format) == ("exp", "json_history")
    run = read_run(source)
    assert run.roles["val_loss"] == "val_loss" and run.roles["train_loss"] == "loss"
    assert run.series("val_loss")["value"].tolist() == [1.1, 0.8, 0.9]
    assert run.series("loss")["step"].tolist() == [0, 1, 2]
    assert any("epoch i" in w for w in run.warnings)


def test_an_epoch_list_gives_the_steps_and_nested_sets_are_prefixed(tmp_path):
    path = write(tmp_path / "metrics.json",
                 {"epoch": [1, 2, 3], "train": {"loss": [1.0, 0.5, 0.3]},
                  "val": {"loss": [1.2, 0.9, 0.8]}, "model": "resnet18"})
    result = read(path)
    assert series(result.scalars, "val/loss") == {1: 1.2, 2: 0.9, 3: 0.8}
    assert result.hparams == {"model": "resnet18"} and not result.warnings


def test_a_shorter_list_is_spread_over_the_longer_ones_axis(tmp_path):
    # a loss per batch (6) beside a validation loss per epoch (2): each epoch's value sits
    # at the end of its three batches
    path = write(tmp_path / "history.json",
                 {"train_loss": [3, 2, 1.5, 1.2, 1.1, 1.0], "val_loss": [1.6, 1.2]})
    result = read(path)
    assert series(result.scalars, "val_loss") == {2: 1.6, 5: 1.2}
    assert any("val_loss has fewer entries" in w for w in result.warnings)


def test_a_list_of_records_is_read_by_its_epoch_key(tmp_path):
    path = write(tmp_path / "results" / "history.json",
                 [{"epoch": 1, "train_loss": 3.2, "val_acc": 0.27},
                  {"epoch": 2, "train_loss": 2.6, "val_acc": 0.59}])
    assert FORMAT.sniff(str(path), path.read_bytes())
    result = read(path)
    assert series(result.scalars, "val_acc") == {1: 0.27, 2: 0.59}
    assert "epoch" not in set(result.scalars["tag"]) and not result.warnings


def test_records_without_a_step_are_epochs_in_their_order(tmp_path):
    path = write(tmp_path / "log.json", [{"loss": 1.0}, {"loss": 0.7}, {"loss": 0.5}])
    result = read(path)
    assert series(result.scalars, "loss") == {0: 1.0, 1: 0.7, 2: 0.5}
    assert any("record i was read as epoch i" in w for w in result.warnings)


def test_a_bare_list_named_like_a_metric_is_tagged_with_its_stem(tmp_path):
    path = write(tmp_path / "losses.json", "[0.9, 0.7, 0.6]")
    assert FORMAT.sniff(str(path), path.read_bytes())
    assert series(read(path).scalars, "losses") == {0: 0.9, 1: 0.7, 2: 0.6}


def test_lists_named_by_phase_in_a_file_named_by_its_metric_are_that_metric(tmp_path):
    # json.dump({"train": train_losses, "val": val_losses}, open("losses.json", "w")): the
    # keys say only the phase, the file says the metric; such files were not found at all
    write(tmp_path / "vae" / "losses.json",
          {"train": [23158.7, 14533.6, 13785.9], "val": [15010.2, 13900.1, 13650.4]})
    (source,) = discover(str(tmp_path))
    run = read_run(source)
    assert (run.roles["train_loss"], run.roles["val_loss"]) == ("train_losses", "val_losses")
    assert series(run.scalars, "val_losses") == {0: 15010.2, 1: 13900.1, 2: 13650.4}


def test_configs_and_other_json_are_not_histories(tmp_path):
    others = [write(tmp_path / "config.json", {"classes": ["cat", "dog"], "lr": 0.1}),
              write(tmp_path / "ids.json", "[1, 2, 3]"),
              write(tmp_path / "labels.json", [{"name": "cat", "id": 0}]),
              write(tmp_path / "vocab.json", {"the": 0, "a": 1})]
    for path in others:
        assert not FORMAT.sniff(str(path), path.read_bytes()), path.name
    assert discover(str(tmp_path)) == []


def test_a_history_cut_short_names_the_file_and_what_to_do(tmp_path):
    path = write(tmp_path / "history.json", '{"loss": [1.0, 0.8], "val_loss": [1.1,')
    result = read(path)
    assert result.errors and "history.json" in result.errors[0]
    assert "not valid JSON" in result.errors[0] and "save the history again" in result.errors[0]


def test_a_rewritten_history_replaces_what_was_read(tmp_path):
    path = write(tmp_path / "history.json", {"loss": [1.0, 0.8]})
    first = read(path)
    write(path, {"loss": [1.0, 0.8, 0.7]})  # Keras' callback saves the whole dict again
    again = read(path, first.state)
    assert again.reset and series(again.scalars, "loss") == {0: 1.0, 1: 0.8, 2: 0.7}
