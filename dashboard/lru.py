"""A bounded, thread-safe least-recently-used cache for the server's derived data.

Requests name what they want (a run and a metric), so a cache keyed by what
requests name grows with every new name unless it is bounded: this one holds at
most ``max_items`` entries and ``max_weight`` in total (bytes, when ``weigh``
returns the size of a value), and drops the least recently used first.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most ``max_items`` values and ``max_weight`` in total; oldest use evicted first.

    A value heavier than ``max_weight`` on its own is not kept at all.
    """

    def __init__(self, max_items: int, max_weight: float = math.inf,
                 weigh: Callable[[V], float] = lambda _value: 1.0) -> None:
        if max_items < 1:
            raise ValueError(f"max_items must be at least 1, not {max_items}")
        self.max_items = max_items
        self.max_weight = max_weight
        self._weigh = weigh
        self._items: OrderedDict[K, tuple[V, float]] = OrderedDict()
        self._weight = 0.0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def weight(self) -> float:
        """The total weight of the values held."""
        return self._weight

    def get(self, key: K) -> V | None:
        """The value of ``key`` (now the most recently used), or None."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` under ``key``, evicting the least recently used beyond the caps."""
        weight = float(self._weigh(value))
        with self._lock:
            self._drop(key)
            if weight > self.max_weight:
                return
            self._items[key] = (value, weight)
            self._weight += weight
            while len(self._items) > self.max_items or self._weight > self.max_weight:
                self._drop(next(iter(self._items)))

    def discard_where(self, stale: Callable[[K], bool]) -> None:
        """Drop every entry whose key ``stale`` says is out of date."""
        with self._lock:
            for key in [k for k in self._items if stale(k)]:
                self._drop(key)

    def _drop(self, key: K) -> None:
        found = self._items.pop(key, None)
        if found is not None:
            self._weight -= found[1]
