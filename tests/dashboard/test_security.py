"""The server answers only requests meant for it: Host and Origin checks, security headers,
and a printed URL that works for every --host (issue 12, items 11 and 15)."""

from __future__ import annotations

import http.client
import json
import socket

import pytest
from dash_fixtures import memory_run
from security_helpers import CALLBACK_URL, Callbacks, ServedAsServe

from curvedoc.dashboard.app import create_app
from curvedoc.dashboard.commands.serve import browse_url
from curvedoc.dashboard.security import Guard, HostPolicy, content_security_policy, host_name

SECRET = "run_with_a_secret_name"


def _app():
    return create_app({SECRET: memory_run(SECRET), "other": memory_run("other")}, poll_s=0)


@pytest.fixture(scope="module")
def served():
    site = ServedAsServe(_app())
    yield site
    site.close()


def request(port: int, path: str = "/", *, host: str | None, method: str = "GET",
            body: dict | None = None, headers: dict | None = None,
            address: str = "127.0.0.1") -> tuple[int, dict, bytes]:
    """One raw HTTP request with exactly the Host header given (None: no Host at all)."""
    conn = http.client.HTTPConnection(address, port, timeout=30)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        sent = dict(headers or {})
        if host is not None:
            sent["Host"] = host
        data = json.dumps(body).encode() if body is not None else b""
        if body is not None:
            sent["Content-Type"] = "application/json"
        sent["Content-Length"] = str(len(data))
        for k, v in sent.items():
            conn.putheader(k, v)
        conn.endheaders(data)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def selection_body() -> dict:
    """A callback that answers with run data (the selection badge counts known runs)."""
    calls = Callbacks(_app().server.test_client())
    return calls.body(calls.find("selection-count.children"),
                      {"selection-store.data": [SECRET, "other"]})


def test_a_rebound_dns_name_gets_403_and_the_loopback_names_get_the_page(served):
    port = served.port
    for evil in (f"attacker.example:{port}", "attacker.example", f"127.0.0.1.nip.io:{port}",
                 f"localhost.attacker.example:{port}", "", "a b", f"x@127.0.0.1:{port}",
                 "127.0.0.1:notaport", "[::1", "h" * 400):
        status, headers, text = request(port, host=evil)
        assert status == 403, evil
        assert b"curvedoc answers requests for" in text and b"<" not in text
        assert headers["content-type"].startswith("text/plain")
        assert headers["x-content-type-options"] == "nosniff"
    assert request(port, host=None)[0] == 403  # no Host at all: not a browser's request
    for good in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}",
                 f"[::1]:{port}", "localhost:9000"):  # any port: `ssh -L 9000:…` forwards
        status, _headers, page = request(port, host=good)
        assert status == 200 and b"_dash-config" in page, good


def test_cross_origin_callback_posts_are_refused_and_same_origin_ones_answered(served):
    port = served.port
    own = f"127.0.0.1:{port}"
    body = selection_body()
    # the attack of the issue: the rebound name with its own Origin
    status, _, text = request(port, CALLBACK_URL, host=f"attacker.example:{port}",
                              method="POST", body=body,
                              headers={"Origin": f"http://attacker.example:{port}"})
    assert status == 403 and SECRET.encode() not in text
    for origin in (f"http://attacker.example:{port}", "null", "http://127.0.0.1:1",
                   f"https://evil.example/{own}", "file://", f"ftp://{own}"):
        status, _, text = request(port, CALLBACK_URL, host=own, method="POST", body=body,
                                  headers={"Origin": origin})
        assert status == 403 and b"another web site" in text, origin
    status, _, _ = request(port, CALLBACK_URL, host=own, method="POST", body=body,
                           headers={"Origin": f"http://{own}", "Sec-Fetch-Site": "cross-site"})
    assert status == 403
    status, _, text = request(port, CALLBACK_URL, host=own, method="POST", body=body,
                              headers={"Origin": f"http://{own}",
                                       "Sec-Fetch-Site": "same-origin"})
    assert status == 200 and b"2 selected" in text
    assert request(port, CALLBACK_URL, host=own, method="POST", body=body)[0] == 200  # curl


def test_every_answer_carries_the_security_headers(served):
    port = served.port
    for path in ("/", "/compare?runs=other", "/_dash-layout", "/_dash-dependencies",
                 "/assets/style.css", "/no/such/page"):
        status, headers, _ = request(port, path, host=f"127.0.0.1:{port}")
        assert status in (200, 304), path
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        csp = headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert "http" not in csp and "*" not in csp  # nothing from another origin
        script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
        assert "'unsafe-inline'" not in script_src  # inline scripts only by their hash


def test_the_csp_allows_the_inline_scripts_dash_writes_by_their_hash(served):
    import base64
    import hashlib
    import re

    port = served.port
    _, headers, page = request(port, "/", host=f"127.0.0.1:{port}")
    page = re.sub(rb"<!--.*?-->", b"", page, flags=re.S)  # Dash's IE-only note: never runs
    inline = re.findall(rb"<script>(.*?)</script>", page, flags=re.S)
    assert inline, "Dash writes its renderer's start as an inline script"
    csp = headers["content-security-policy"]
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
        assert f"'sha256-{digest}'" in csp


def test_host_policy_of_each_kind_of_bind():
    local = HostPolicy.for_bind("127.0.0.1")
    assert local.allows("localhost:8050") and local.allows("127.0.0.5:8050")
    assert local.allows("[::1]:8050") and not local.allows("10.0.0.7:8050")
    assert not local.allows("evil.example:8050") and not local.allows(None)
    named = HostPolicy.for_bind("gpu-box.lan")
    assert named.allows("gpu-box.lan:8050") and named.allows("GPU-BOX.LAN")
    assert not named.allows("gpu-box.lan.evil.example:8050")
    v6 = HostPolicy.for_bind("[fd00::5]")
    assert v6.allows("[fd00::5]:8050") and not v6.allows("[fd00::6]:8050")
    for wildcard in ("0.0.0.0", "::"):
        everywhere = HostPolicy.for_bind(wildcard)
        assert everywhere.allows("192.168.1.20:8050") and everywhere.allows("[fd00::6]:80")
        assert everywhere.allows(f"{socket.gethostname()}:8050")
        assert not everywhere.allows("attacker.example:8050")  # a name: never rebound
    assert host_name("[::1]:8050") == "::1" and host_name("x:1:2") is None


def test_guard_keeps_the_apps_headers_but_its_own_win():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html"), ("X-Frame-Options", "ALLOW"),
                                  ("X-App", "kept")])
        return [b"ok"]

    from werkzeug.test import Client

    guard = Guard(app, HostPolicy.for_bind("127.0.0.1"), content_security_policy())
    resp = Client(guard).get("/", headers={"Host": "localhost:1"})
    assert resp.status_code == 200 and resp.headers["X-App"] == "kept"
    assert resp.headers.getlist("X-Frame-Options") == ["DENY"]


def test_printed_url_works_for_every_kind_of_host():
    assert browse_url("0.0.0.0", 8050) == "http://127.0.0.1:8050/"
    assert browse_url("::", 8050) == "http://[::1]:8050/"  # "::" listens on IPv6 only
    assert browse_url("[::1]", 8050) == "http://[::1]:8050/"
    assert browse_url("::1", 8050) == "http://[::1]:8050/"
    assert browse_url("localhost", 8050) == "http://localhost:8050/"


@pytest.mark.parametrize("bind", ["::", "0.0.0.0", "localhost"])
def test_the_printed_url_answers_with_the_page(bind):
    if ":" in bind and not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        site = ServedAsServe(_app(), host=bind)
    except OSError as exc:
        pytest.skip(f"cannot listen on {bind}: {exc}")
    try:
        from urllib.request import urlopen

        with urlopen(browse_url(bind, site.port), timeout=30) as resp:
            assert resp.status == 200 and b"_dash-config" in resp.read()
    finally:
        site.close()


def test_a_huge_request_body_is_refused_before_it_is_read(served):
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as conn:
        conn.sendall(f"POST {CALLBACK_URL} HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\n"
                     "Content-Type: application/json\r\nContent-Length: 200000000\r\n\r\n"
                     .encode() + b"[" * 1000)
        answer = conn.recv(200)
    assert answer.startswith(b"HTTP/1.1 413")
