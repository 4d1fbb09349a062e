"""Helpers of the server tests: the dashboard served as `curvedoc serve` serves it, and
Dash callback requests built from the app's own list of callbacks."""

from __future__ import annotations

from typing import Any

from browser import Served

from curvedoc.dashboard.commands.serve import make_server

CALLBACK_URL = "/_dash-update-component"


class ServedAsServe(Served):
    """The app behind serve's guard, on a free port of ``host``, in a thread; ``close()``."""

    def __init__(self, app: Any, host: str = "127.0.0.1") -> None:
        super().__init__(app, make_server(app, host, 0, threads=4))


def _prop(text: str) -> dict[str, str]:
    ident, prop = text.split("@", 1)[0].rsplit(".", 1)
    return {"id": ident, "property": prop}


class Callbacks:
    """Request bodies for the app's callbacks, from its ``/_dash-dependencies``."""

    def __init__(self, client: Any) -> None:
        self.deps = client.get("/_dash-dependencies").get_json()

    def find(self, output_prefix: str) -> dict:
        """The callback whose output (Dash's key) starts with ``output_prefix``."""
        return next(d for d in self.deps if d["output"].lstrip(".").startswith(output_prefix))

    def body(self, dep: dict, values: dict[str, Any] | None = None) -> dict:
        """A well-formed request for ``dep``: input and state values from ``values``
        ("id.property" -> value; None where missing)."""
        values = values or {}
        out = dep["output"]
        outputs: Any = ([_prop(o) for o in out[2:-2].split("...")] if out.startswith("..")
                        else _prop(out))

        def vals(items: list[dict]) -> list[dict]:
            return [{"id": i["id"], "property": i["property"],
                     "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

        return {"output": out, "outputs": outputs, "inputs": vals(dep["inputs"]),
                "changedPropIds": [f"{i['id']}.{i['property']}" for i in dep["inputs"][:1]],
                "state": vals(dep["state"])}
