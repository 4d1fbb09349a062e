"""YAML as logs carry it (Lightning's ``hparams.yaml``, MLflow's ``meta.yaml``), on a budget.

A YAML file that came with someone's logs must not stall or crash the reader: an alias
bomb (a few lines that expand to billions of nodes when the data is walked), nesting
thousands deep (the parser recurses), a huge document, or a value a constructor refuses
(``2024-13-45`` looks like a date and raises ``ValueError``). :func:`load` reads with a
``SafeLoader`` subclass that

- refuses a document larger than ``MAX_BYTES``, more than ``MAX_ALIASES`` aliases, more
  than ``MAX_NODES`` nodes once aliases are expanded, or nesting deeper than ``MAX_DEPTH``
  (each check is made while composing, before any object is built);
- keeps dates and times as the text written (no date constructor can fail, and the value
  stays as written);
- reads unknown tags (``!!python/object:...``) as plain data, never as code.

Every failure is a :class:`YAMLBudgetError` or a ``yaml.YAMLError``; :func:`load` turns
any of them into ``(None, message)``.
"""

from __future__ import annotations

from typing import Any

import yaml

from curvedoc.ingest import fs
from curvedoc.ingest.formats import _tabular as tab
from curvedoc.ingest.model import FileRead

MAX_BYTES = 1 << 20
MAX_ALIASES = 100
MAX_NODES = 100_000
MAX_DEPTH = 64


class YAMLBudgetError(yaml.YAMLError):
    """The document is beyond what a real hparams/meta file holds."""


class BudgetLoader(yaml.SafeLoader):
    """SafeLoader with alias, node and depth budgets, dates kept as text, unknown tags as data."""

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0
        self._sizes: dict[int, int] = {}  # id(node) -> nodes it stands for, aliases expanded

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise YAMLBudgetError(f"more than {MAX_ALIASES} aliases (an alias bomb?)")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise YAMLBudgetError(f"nested deeper than {MAX_DEPTH} levels")
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        return node

    def compose_document(self):
        node = super().compose_document()
        if node is not None and _expanded_size(node, {}) > MAX_NODES:
            raise YAMLBudgetError(f"more than {MAX_NODES} values once aliases are expanded")
        return node


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many nodes ``node`` stands for when every alias is copied out (memoised)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a recursive alias counts once (it cannot be expanded anyway)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            total += _expanded_size(child, memo)
            if total > MAX_NODES:
                break
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += _expanded_size(k, memo) + _expanded_size(v, memo)
            if total > MAX_NODES:
                break
    memo[key] = total
    return total


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


BudgetLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
BudgetLoader.add_multi_constructor("", _any_tag)


def loads(text: str) -> Any:
    """The data of one YAML document; raises yaml.YAMLError (budgets included)."""
    if len(text) > MAX_BYTES:
        raise YAMLBudgetError(f"larger than {MAX_BYTES:,} bytes")
    return yaml.load(text, Loader=BudgetLoader)  # a SafeLoader subclass


def load(text: str) -> tuple[Any, str | None]:
    """``(data, None)``, or ``(None, why it cannot be used)``: never raises."""
    try:
        return loads(text), None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return None, first
    except (ValueError, TypeError, RecursionError, OverflowError, MemoryError) as exc:
        return None, f"{type(exc).__name__}: {exc}"


def read_hparams(path: str, state: dict[str, Any] | None) -> FileRead:
    """A YAML file of settings (Lightning's ``hparams.yaml``, Ultralytics' ``args.yaml``) as
    hparams (no scalars); a broken file is a warning, not an error. Read on this module's
    budget (no alias bombs, unknown tags such as ``!!python/name:torch.optim.SGD`` as
    plain data)."""
    if tab.unchanged(path, state):
        return FileRead(scalars=tab.empty(), state=dict(state or {}))
    try:  # a regular file of a real size only
        st = fs.stat(path)
        text = fs.read_bytes(path, max_bytes=MAX_BYTES).decode("utf-8", errors="replace")
    except OSError as exc:
        return FileRead(scalars=tab.empty(), warnings=[
            f"{path}: cannot read the hyper-parameters ({exc}); fix or remove the file"])
    data, problem = load(text)
    new_state = {"size": st.size, "mtime": st.mtime}
    if problem:
        return FileRead(scalars=tab.empty(), state=new_state, warnings=[
            f"{path}: cannot read the hyper-parameters ({problem}); fix or remove the file"])
    if data is None:
        return FileRead(scalars=tab.empty(), state=new_state)
    if not isinstance(data, dict):
        return FileRead(scalars=tab.empty(), state=new_state, warnings=[
            f"{path}: expected a mapping of hyper-parameters, found {type(data).__name__}"])
    return FileRead(scalars=tab.empty(), hparams={str(k): v for k, v in data.items()},
                    state=new_state)
