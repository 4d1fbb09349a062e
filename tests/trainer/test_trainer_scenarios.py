"""The scenario table covers every diagnosis, the groups and the LR range test (no torch)."""

import itertools
import math

import pytest

from curvedoc.trainer import GROUPS, SCENARIOS, select

LABELS = ("bad_init", "lr_too_high", "decayed_too_early", "keep_training", "overfitting",
          "underfitting")


def test_every_label_and_healthy_has_a_scenario_with_the_label_in_its_path():
    for label in (*LABELS, "healthy"):
        found = select(label)
        assert found, label
        for scenario in found:
            assert scenario.path.startswith(f"scenarios/{label}/"), scenario.path


def test_paths_are_unique_and_relative():
    paths = [s.path for s in SCENARIOS.values()]
    assert len(paths) == len(set(paths))
    assert not any(p.startswith("/") or ".." in p for p in paths)


def test_lr_sweep_is_five_log_spaced_rates_times_two_seeds():
    sweep = select("lr_sweep")
    lrs = sorted({s.spec.lr for s in sweep})
    assert len(lrs) == 5
    ratios = {round(math.log10(b / a), 6) for a, b in itertools.pairwise(lrs)}
    assert len(ratios) == 1
    for lr in lrs:
        assert sorted(s.spec.seed for s in sweep if s.spec.lr == lr) == [0, 1]
    # the runs differ only in lr and seed
    assert len({s.spec.with_(lr=0, seed=0) for s in sweep}) == 1


def test_seed_group_is_one_config_times_three_seeds():
    group = select("seed_group")
    assert sorted(s.spec.seed for s in group) == [0, 1, 2]
    assert len({s.spec.with_(seed=0) for s in group}) == 1


def test_lr_range_test_spans_at_least_two_decades():
    (scenario,) = select("lr_range_test")
    assert scenario.spec.schedule == "range_test"
    assert math.log10(scenario.spec.lr_end / scenario.spec.lr) >= 2


def test_one_scenario_writes_a_lightning_csv():
    assert any(s.spec.logger == "lightning_csv" for s in SCENARIOS.values())


def test_select_names_and_errors():
    name = next(iter(SCENARIOS))
    assert select(name) == [SCENARIOS[name]]
    assert len(select("all")) == len(SCENARIOS)
    assert set(GROUPS) >= {"healthy", "lr_sweep", "seed_group", "lr_range_test"}
    with pytest.raises(KeyError, match="lr_sweep"):
        select("no_such_scenario")


def test_every_scenario_explains_itself():
    for scenario in SCENARIOS.values():
        assert scenario.summary.endswith(".") and scenario.expect.endswith("."), scenario.name


def test_experiment_is_a_baseline_and_variants_that_each_name_their_change():
    runs = select("experiment")
    by_group: dict[str, list] = {}
    for s in runs:
        by_group.setdefault(s.path.rsplit("/", 1)[0], []).append(s)
    base = by_group.pop("experiments/baseline")
    assert sorted(s.spec.seed for s in base) == [0, 1, 2]
    assert len({s.spec.with_(seed=0) for s in base}) == 1  # one config, three seeds
    base_hp = base[0].spec.with_(seed=0).hparams()
    changed = {}
    for folder, members in by_group.items():
        hp = members[0].spec.with_(seed=0).hparams()
        changed[folder] = sorted(k for k in hp if hp[k] != base_hp[k])
        if folder != "experiments/momentum_0.95":  # the one single-seed variant
            assert sorted(s.spec.seed for s in members) == [0, 1, 2], folder
    assert changed == {"experiments/lr_0.03": ["lr"], "experiments/dropout_0.1": ["dropout"],
                       "experiments/lr_0.03_batch_32": ["batch_size", "lr"],
                       "experiments/momentum_0.95": ["momentum"]}
