"""The Dash app: shell (navigation, shared stores, live polling) around one module per page.

``create_app(source)`` builds an app for a log root (opened with
``curvedoc.ingest.open_root``), a :class:`DashboardState`, or a dict of runs.
Each page's ``register(app)`` calls ``dash.register_page`` and attaches the
page's callbacks to the app; callbacks reach the
server-side state through :func:`current_state`, so several apps (tests) can
live in one process.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, dcc, html

from curvedoc.dashboard import ids
from curvedoc.dashboard.state import DashboardState, RunsCatalog

STATE_KEY = "CURVEDOC_STATE"
VENDOR_URL = "/_curvedoc/vendor/"
PAGE_MODULES = ("runs", "run", "compare", "groups")
ASSETS = str(Path(__file__).with_name("assets"))


def current_state() -> DashboardState:
    """The state of the app serving the current request."""
    return flask.current_app.config[STATE_KEY]


def make_state(source: Any, *, diagnose: Any = None, background: bool = False) -> DashboardState:
    """A :class:`DashboardState` for a root path, a catalog, a dict of runs, or a state."""
    if isinstance(source, DashboardState):
        return source
    if isinstance(source, dict):
        source = RunsCatalog(source)
    elif isinstance(source, (str, Path)):
        from curvedoc.ingest import open_root

        source = open_root(str(source))
    return DashboardState(source, diagnose=diagnose, background=background)


def bootstrap_css_dir() -> Path | None:
    """Bootstrap's CSS shipped by the ``django-bootstrap-static`` wheel (static files only).

    The dashboard never loads anything from the network, so the stylesheet is
    served by our own server; without the package the pages work unstyled.
    """
    spec = importlib.util.find_spec("bootstrap")
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent / "static" / "bootstrap" / "css"
    return folder if (folder / "bootstrap.min.css").is_file() else None


def _serve_vendor_css(server: flask.Flask) -> list[str]:
    """Route our vendored stylesheets; the URLs to put in the page head."""
    folder = bootstrap_css_dir()
    if folder is None:
        return []

    @server.route(VENDOR_URL + "bootstrap.min.css")
    def _bootstrap_css() -> flask.Response:
        return flask.send_from_directory(folder, "bootstrap.min.css", max_age=86400)

    return [VENDOR_URL + "bootstrap.min.css"]


def shell(version: int | None = None, poll_s: float = 0) -> html.Div:
    """Navigation bar, shared stores (the data version the page starts from), live polling
    and the page container."""
    from curvedoc.dashboard.components import navbar  # links from dash.page_registry

    nav = navbar()
    return html.Div([
        nav,
        dcc.Store(id=ids.SELECTION, storage_type="session", data=[]),
        dcc.Store(id=ids.VERSION, data=version),
        dcc.Interval(id=ids.POLL, interval=int(max(poll_s, 1) * 1000), disabled=poll_s <= 0),
        dbc.Container(dash.page_container, fluid=True, className="pb-4"),
    ])


def create_app(source: Any, *, poll_s: float = 5.0, diagnose: Any = None,
               background: bool = False, title: str = "curvedoc") -> dash.Dash:
    """Build the dashboard for ``source`` (see :func:`make_state`).

    ``poll_s`` is how often the browser asks for new data (0 turns live updates off);
    ``background`` diagnoses the runs in a thread so the server answers at once.
    """
    state = make_state(source, diagnose=diagnose, background=background)
    # Flask cannot find an instance folder for a module inside a namespace package
    # ("curvedoc"), so the server gets one explicitly (never created or used).
    server = flask.Flask(__name__, instance_path=str(Path(__file__).with_name("instance")))
    app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder="",
        assets_folder=ASSETS,
        external_stylesheets=_serve_vendor_css(server),
        suppress_callback_exceptions=True,
        title=title,
        update_title=None,
        serve_locally=True,
    )
    app.server.config[STATE_KEY] = state
    app.layout = lambda: shell(current_state().version, poll_s)  # built per page load
    _register_shell_callbacks(app, live=poll_s > 0)
    for name in PAGE_MODULES:  # dash.register_page must run after the app exists
        importlib.import_module(f"curvedoc.dashboard.pages.{name}").register(app)
    return app


def poll(state: DashboardState, seen: int | None = None) -> tuple[Any, str]:
    """One live poll: refresh the catalog; the data version if it differs from the one
    the page has seen (else no_update), and a status line."""
    state.refresh()
    live = sum(state.is_live(rid) for rid in state.runs)
    status = (f"{live} live · " if live else "") + time.strftime(
        "updated %H:%M:%S", time.localtime(state.refreshed_at))
    if state.pending:
        status = f"diagnosing {len(state.pending)} runs… · " + status
    return (state.version if state.version != seen else dash.no_update), status


def _register_shell_callbacks(app: dash.Dash, live: bool) -> None:
    if live:
        @app.callback(Output(ids.VERSION, "data"), Output(ids.LIVE_STATUS, "children"),
                      Input(ids.POLL, "n_intervals"), State(ids.VERSION, "data"),
                      prevent_initial_call=True)
        def _poll(_n: int, seen: int | None) -> tuple[Any, str]:
            return poll(current_state(), seen)

    @app.callback(Output(ids.SELECTION_COUNT, "children"), Output(ids.NAV_COMPARE, "href"),
                  Input(ids.SELECTION, "data"))
    def _selection(selected: list[str] | None) -> tuple[str, str]:
        return selection_nav(current_state(), selected)


def selection_nav(state: DashboardState, selected: list[str] | None) -> tuple[str, str]:
    """Badge text and compare link for the current selection (unknown ids dropped)."""
    from urllib.parse import urlencode

    known = state.known(selected)
    href = "/compare" + (("?" + urlencode({"runs": known}, doseq=True)) if known else "")
    return f"{len(known)} selected", href

