"""Rendering never touches the network: a server on 127.0.0.1, started by the test, receives
no request from a template that links to it, whatever the construct, and the build fails
wherever the template asks for a resource from it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import Arena, contains


class _Recorder(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        body = b"body::after { content: 'FROM-THE-NETWORK'; }"
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    """An HTTP server on a free port of 127.0.0.1 that records every request it gets."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    httpd.requests = []  # type: ignore[attr-defined]
    httpd.timeout = 1
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_the_recording_server_does_record_a_request(server: ThreadingHTTPServer) -> None:
    from urllib.request import urlopen

    with urlopen(f"http://127.0.0.1:{server.server_port}/probe", timeout=5) as response:
        assert response.status == 200
    assert server.requests == ["/probe"]


FETCHING = {
    "base-href": '<base href="{origin}/"><p><img src="logo.png" alt="x"></p>',
    "base-href-alone": '<base href="{origin}/"><p>a page with a base and nothing to fetch</p>',
    "img": '<p><img src="{origin}/logo.png" alt="x"></p>',
    "link-stylesheet": '<link rel="stylesheet" href="{origin}/style.css">',
    "css-import": '<style>@import url("{origin}/style.css");</style>',
    "font-face": "<style>@font-face { font-family: Net; src: url(\"{origin}/font.woff\"); }"
                 " p { font-family: Net; }</style><p>text</p>",
    "css-background": '<div style="background: url(\'{origin}/bg.png\'); width: 1cm; height: 1cm"></div>',
    "link-attachment": '<link rel="attachment" href="{origin}/secret.txt">',
    "object": '<object data="{origin}/x.png" type="image/png"></object>',
    "iframe": '<iframe src="{origin}/page.html"></iframe>',
    "https": '<p><img src="{secure}/logo.png" alt="x"></p>',
    "protocol-relative": '<p><img src="//127.0.0.1:{port}/logo.png" alt="x"></p>',
}


@pytest.mark.parametrize("construct", FETCHING)
def test_no_construct_reaches_a_server_on_loopback(arena: Arena, server: ThreadingHTTPServer, construct: str) -> None:
    port = server.server_port
    arena.template(FETCHING[construct].replace("{origin}", f"http://127.0.0.1:{port}")
                   .replace("{secure}", f"https://127.0.0.1:{port}").replace("{port}", str(port)))
    result = arena.build()
    assert server.requests == []
    assert result.exit_code == 1, result.stderr
    assert result.stderr.count("casefile: error: refused") == 1, result.stderr
    assert arena.pdfs() == []


def test_a_base_element_is_refused_by_name(arena: Arena, server: ThreadingHTTPServer) -> None:
    arena.template(f'<base href="http://127.0.0.1:{server.server_port}/">')
    result = arena.build()
    assert f'refused <base href="http://127.0.0.1:{server.server_port}/">' in result.stderr
    assert server.requests == []


@pytest.mark.pdf
def test_a_plain_hyperlink_to_the_server_is_kept_as_a_link_and_never_followed(
        arena: Arena, server: ThreadingHTTPServer) -> None:
    url = f"http://127.0.0.1:{server.server_port}/report"
    arena.template(f'<p><a href="{url}">the report online</a></p>')
    result = arena.build()
    assert result.exit_code == 0, result.stderr
    assert server.requests == []
    [pdf] = arena.pdfs()
    assert contains(pdf, url)  # a link annotation the reader may follow, not a fetch
