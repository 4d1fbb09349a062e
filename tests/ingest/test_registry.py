"""The open format registry: a user adds a reader without editing curvedoc."""

from __future__ import annotations

import sys
import types

import pytest

from curvedoc.ingest import discover, read_run
from curvedoc.ingest.formats import base
from curvedoc.ingest.formats.base import (
    known_formats,
    register_format,
    unregister_format,
)


@pytest.fixture
def restore_registry():
    saved = dict(known_formats)
    yield
    for name in list(known_formats):
        if name not in saved:
            unregister_format(name)


def test_the_known_formats_are_read_only():
    with pytest.raises(TypeError):
        known_formats["mine"] = base.KnownFormat("x")  # type: ignore[index]
    assert "tensorboard" in known_formats and "csv_table" in known_formats


def test_a_format_registered_by_dotted_path_is_imported_on_first_use_and_found(
    tmp_path, restore_registry, fake, monkeypatch
):
    module = types.ModuleType("my_curvedoc_plugin")
    module.FORMAT = fake.format
    monkeypatch.setitem(sys.modules, "my_curvedoc_plugin", module)
    unregister_format("fake")
    register_format("fake", "my_curvedoc_plugin")
    fake.write(tmp_path / "r" / "a.fake", fake.curve("loss", range(3)))
    (source,) = discover(str(tmp_path))
    assert source.format == "fake"
    assert len(read_run(source).scalars) == 3


def test_a_new_format_goes_before_the_generic_readers_unless_told(restore_registry):
    register_format("mine", object())
    order = list(known_formats)
    assert order.index("mine") < order.index("jsonl") < order.index("csv_table")
    register_format("first", object(), before="ray_tune")
    assert next(iter(known_formats)) == "first"


def test_a_known_name_is_not_replaced_silently(restore_registry):
    with pytest.raises(ValueError, match="already registered"):
        register_format("tensorboard", object())
    with pytest.raises(KeyError, match="known"):
        register_format("mine", object(), before="no_such_format")


def test_a_format_that_cannot_be_imported_is_named_with_its_install_hint(
    tmp_path, restore_registry
):
    register_format("broken", "no_such_module_anywhere", install="pip install broken-reader")
    (tmp_path / "x.csv").write_text("step,loss\n0,1\n")
    problems = base.unavailable()
    assert "pip install broken-reader" in problems["broken"]
    assert "broken" not in base.formats()
    (source,) = discover(str(tmp_path))  # the other formats still work
    assert source.format == "csv_table"


def test_no_reader_module_names_another_format():
    """Which format claims a file is decided by discovery, not by the readers."""
    import importlib
    import inspect

    names = set(known_formats)
    for name, entry in known_formats.items():
        module = importlib.import_module(str(entry.target).partition(":")[0])
        source = inspect.getsource(module)
        others = {other for other in names - {name} if f'"{other}"' in source}
        assert not others, f"{module.__name__} names {others}"
