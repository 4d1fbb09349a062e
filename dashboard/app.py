"""The Dash app: shell (navigation, shared stores, live polling) around one module per page.

``create_app(source)`` builds an app for a log root (opened with
``curvedoc.ingest.open_root``), a :class:`DashboardState`, or a dict of runs.
Each page's ``register(app)`` calls ``dash.register_page`` and attaches the
page's callbacks to the app; callbacks reach the
server-side state through :func:`current_state`, so several apps (tests) can
live in one process.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import time
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, State, dcc, html
from dash.exceptions import DependencyException, PreventUpdate
from werkzeug.exceptions import BadRequest, HTTPException, NotFound

from curvedoc.dashboard import ids
from curvedoc.dashboard.state import DashboardState, RunsCatalog, UnknownRun

STATE_KEY = "CURVEDOC_STATE"
VENDOR_URL = "/_curvedoc/vendor/"
PAGE_MODULES = ("runs", "run", "compare", "groups")
ASSETS = str(Path(__file__).with_name("assets"))
CALLBACK_URL = "/_dash-update-component"

log = logging.getLogger(__name__)


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
        dbc.Container(html.Div(id=ids.APP_NOTICE), fluid=True),
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
        on_error=callback_failed,
    )
    app.server.config[STATE_KEY] = state
    app.layout = lambda: shell(current_state().version, poll_s)  # built per page load
    _register_shell_callbacks(app, live=poll_s > 0)
    for name in PAGE_MODULES:  # dash.register_page must run after the app exists
        importlib.import_module(f"curvedoc.dashboard.pages.{name}").register(app)
    _answer_bad_requests_with_4xx(app)
    return app


# -- no 500s: a request the pages cannot use gets a message or a 4xx -----------------------
def callback_failed(exc: Exception) -> None:
    """Dash's ``on_error``: a callback that raised answers 400, never 500.

    Callback inputs come from the browser, so a crafted request can hold any JSON
    where a page expects a list of run ids; the error is logged (one line; the
    traceback at debug level). A run that vanished between two reads (deleted
    while the page asked for it) changes nothing on the page: the next poll
    shows the new list.
    """
    if isinstance(exc, UnknownRun):
        log.info("a callback asked for a run that is gone: %s", exc)
        return None  # every output no_update: 204
    log.warning("curvedoc: a dashboard request failed and was refused (400): %s: %s",
                type(exc).__name__, exc)
    log.debug("traceback of the refused request", exc_info=exc)
    raise BadRequest(f"this request cannot be answered ({type(exc).__name__})") from exc


def _answer_bad_requests_with_4xx(app: dash.Dash) -> None:
    """Malformed callback bodies, unknown component files and page addresses the
    page cannot use: a 4xx or a page with a message, never a 500."""
    server = app.server
    endpoint = app.config.routes_pathname_prefix + CALLBACK_URL.lstrip("/")
    server.view_functions[endpoint] = _refuse_malformed(server.view_functions[endpoint])
    server.register_error_handler(DependencyException, lambda _exc: (NotFound().description,
                                                                     404))
    for page in dash.page_registry.values():
        if callable(page["layout"]) and not getattr(page["layout"], "guarded", False):
            page["layout"] = _layout_or_message(page["layout"])


def _refuse_malformed(dispatch: Any) -> Any:
    """Dash's callback view, answering 400 where Dash cannot parse the request body
    (a missing key, an unknown output, inputs of the wrong shape)."""
    @functools.wraps(dispatch)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return dispatch(*args, **kwargs)
        except (HTTPException, PreventUpdate):
            raise
        except Exception as exc:
            log.warning("curvedoc: a malformed dashboard request was refused (400): %s: %s",
                        type(exc).__name__, exc)
            log.debug("traceback of the refused request", exc_info=exc)
            raise BadRequest("not a request this dashboard can answer") from exc

    return guarded


def _layout_or_message(layout: Any) -> Any:
    """A page layout that shows a message instead of failing on an address it cannot use
    (``/compare?x=a&x=b``): parameters given twice are first retried with their first
    value, as most web frameworks read them."""
    @functools.wraps(layout)
    def guarded(**query: Any) -> Any:
        try:
            return layout(**query)
        except Exception as first:
            single = {k: (v[0] if isinstance(v, list) and v else v) for k, v in query.items()}
            try:
                if single != query:
                    return layout(**single)
            except Exception:
                pass
            log.warning("curvedoc: a page could not be built for %s: %s: %s", query,
                        type(first).__name__, first)
            return bad_address(first)

    guarded.guarded = True  # type: ignore[attr-defined]
    return guarded


def bad_address(exc: Exception) -> html.Div:
    """The page shown for an address whose parameters the page cannot use."""
    return html.Div(dbc.Alert([
        html.H1("This address cannot be shown", className="h5"),
        html.P(f"Its parameters do not fit this page ({type(exc).__name__}). "),
        dcc.Link("Back to all runs", href="/"),
    ], color="warning"), className="cd-bad-address")


def poll(state: DashboardState, seen: int | None = None) -> tuple[Any, str]:
    """One live poll: refresh the catalog; the data version if it differs from the one
    the page has seen (else no_update), and a status line."""
    state.refresh()
    live = sum(state.is_live(rid) for rid in state.runs)
    status = (f"{live} live · " if live else "") + time.strftime(
        "updated %H:%M:%S", time.localtime(state.refreshed_at))
    if state.pending:
        n = len(state.pending)
        status = f"diagnosing {n} run{'' if n == 1 else 's'}… · " + status
    return (state.version if state.version != seen else dash.no_update), status


def _register_shell_callbacks(app: dash.Dash, live: bool) -> None:
    if live:
        @app.callback(Output(ids.VERSION, "data"), Output(ids.LIVE_STATUS, "children"),
                      Input(ids.POLL, "n_intervals"), State(ids.VERSION, "data"),
                      prevent_initial_call=True)
        def _poll(_n: int, seen: int | None) -> tuple[Any, str]:
            return poll(current_state(), seen)

    @app.callback(Output(ids.APP_NOTICE, "children"), Input(ids.VERSION, "data"))
    def _notice(_version: int | None) -> Any:
        return folder_notice(current_state())

    @app.callback(Output(ids.SELECTION_COUNT, "children"), Output(ids.NAV_COMPARE, "href"),
                  Input(ids.SELECTION, "data"))
    def _selection(selected: list[str] | None) -> tuple[str, str]:
        return selection_nav(current_state(), selected)


def looked_for() -> list[str]:
    """The log formats curvedoc reads, one line each (what a folder without runs lacked)."""
    try:
        from curvedoc.ingest.formats.base import formats

        return [getattr(fmt, "summary", name) for name, fmt in formats().items()]
    except Exception:  # the list is a courtesy: never fail the page over it
        return ["TensorBoard, CSV, JSONL, MLflow and Hugging Face Trainer logs"]


def no_runs_message(root: str) -> str:
    """What the terminal says when the folder holds no run it can read."""
    lines = [f"No runs found under {root}.", "curvedoc looked for:"]
    lines += [f"  - {line}" for line in looked_for()]
    lines.append("Start it on a folder that holds training logs: curvedoc serve PATH")
    return "\n".join(lines)


def folder_notice(state: DashboardState) -> Any:
    """The banner on every page while the folder holds no runs (None once it does)."""
    if state.runs or state.pending:
        return None
    return dbc.Alert([
        html.H1(f"No runs found under {state.root}", className="h5"),
        html.P("curvedoc looked for:", className="mb-1"),
        html.Ul([html.Li(line) for line in looked_for()], className="mb-2"),
        html.P("Start curvedoc on a folder that holds training logs "
               "(curvedoc serve PATH); runs written here later appear by themselves.",
               className="mb-0"),
    ], color="warning", className="cd-no-runs mt-2")


def selection_nav(state: DashboardState, selected: list[str] | None) -> tuple[str, str]:
    """Badge text and compare link for the current selection (unknown ids dropped)."""
    from urllib.parse import urlencode

    known = state.known(selected)
    href = "/compare" + (("?" + urlencode({"runs": known}, doseq=True)) if known else "")
    return f"{len(known)} selected", href

