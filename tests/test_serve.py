"""The local preview server: GitHub Pages' answers for index pages, 404s, content types and gzip."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading

import pytest

from sitegen.cli import main
from sitegen.errors import ConfigError
from sitegen.serve import accepts_gzip, content_type, open_server
from support.helpers import ROOT

PAGE = "<!doctype html><title>home</title>" + "<p>manga</p>" * 200
FILES = {
    "index.html": PAGE,
    "methods.html": "<p>methods</p>",
    "sub/index.html": "<p>sub</p>",
    "empty/.keep": "",
    "data/catalogue.json": '{"manga": [' + ",".join(['"x"'] * 500) + "]}",
    "static/js/site.js": "export const x = 1;\n" * 50,
    "static/css/site.css": "body { margin: 0 }\n" * 50,
    "static/icon.svg": "<svg xmlns='http://www.w3.org/2000/svg'></svg>" * 20,
}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def make_site(root):
    for relative, text in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "static" / "logo.png").write_bytes(PNG)
    return root


@pytest.fixture
def site(tmp_path):
    (tmp_path / "secret.txt").write_text("outside the site")
    return make_site(tmp_path / "site")


@contextlib.contextmanager
def running(directory):
    server = open_server(directory, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def server(site):
    with running(site) as s:
        yield s


def get(server, path, method="GET", **headers):
    """(status, headers, body) of one request, redirects not followed."""
    conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def test_url_is_the_bound_port(server):
    assert server.server_port > 0 and server.url == f"http://127.0.0.1:{server.server_port}/"


def test_directories_answer_with_their_index(server):
    status, headers, body = get(server, "/")
    assert status == 200 and body.decode() == PAGE
    assert get(server, "/sub/")[2] == b"<p>sub</p>"
    assert get(server, "/?id=abc")[2].decode() == PAGE  # shareable URLs carry a query


def test_a_directory_without_its_slash_is_redirected(server):
    status, headers, _ = get(server, "/sub?id=1")
    assert status == 301 and headers["Location"] == "/sub/?id=1"


def test_a_page_answers_without_its_suffix(server):
    assert get(server, "/methods")[2] == b"<p>methods</p>"


@pytest.mark.parametrize("path", ["/missing.json", "/sub/missing/", "/empty/", "/../secret.txt", "/%2e%2e/secret.txt"])
def test_anything_else_is_404_and_never_a_listing(server, path):
    status, headers, body = get(server, path)
    assert status == 404 and b"outside" not in body and b"Directory listing" not in body


def test_the_sites_own_404_page_is_used(site, server):
    (site / "404.html").write_text("<p>lost</p>")
    status, headers, body = get(server, "/nowhere")
    assert status == 404 and body == b"<p>lost</p>" and headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("path, kind", [
    ("/index.html", "text/html"), ("/data/catalogue.json", "application/json"),
    ("/static/js/site.js", "text/javascript"), ("/static/css/site.css", "text/css"),
    ("/static/icon.svg", "image/svg+xml"), ("/static/logo.png", "image/png"),
])
def test_content_types(server, path, kind):
    status, headers, _ = get(server, path)
    assert status == 200 and headers["Content-Type"].split(";")[0] == kind


@pytest.mark.parametrize("path", ["/", "/data/catalogue.json", "/static/js/site.js", "/static/css/site.css",
                                  "/static/icon.svg"])
def test_text_is_gzipped_when_the_client_accepts_it(site, server, path):
    plain = get(server, path)[2]
    status, headers, body = get(server, path, **{"Accept-Encoding": "br, gzip;q=0.8"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in headers["Vary"]
    assert int(headers["Content-Length"]) == len(body) < len(plain)
    assert gzip.decompress(body) == plain


def test_no_gzip_unless_accepted(server):
    for accept in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0"}):
        status, headers, body = get(server, "/data/catalogue.json", **accept)
        assert "Content-Encoding" not in headers and body.decode() == FILES["data/catalogue.json"]
        assert int(headers["Content-Length"]) == len(body)


def test_images_are_sent_as_they_are(server):
    status, headers, body = get(server, "/static/logo.png", **{"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in headers and body == PNG


def test_a_file_stored_gzipped_is_sent_as_it_is(site, server):
    """As GitHub Pages sends it: the gzip bytes, typed application/gzip, never a Content-Encoding
    (which would have the browser inflate it before the page, which inflates it itself)."""
    stored = gzip.compress(b'{"version": 5}', mtime=0)
    (site / "data" / "0000.json.gz").write_bytes(stored)
    status, headers, body = get(server, "/data/0000.json.gz", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in headers and body == stored


def test_head_has_the_headers_and_no_body(server):
    _, got, body = get(server, "/", **{"Accept-Encoding": "gzip"})
    status, headers, nothing = get(server, "/", "HEAD", **{"Accept-Encoding": "gzip"})
    assert status == 200 and nothing == b"" and headers["Content-Length"] == got["Content-Length"]


def test_a_rebuilt_site_is_served_at_once(site, server):
    new = make_site(site.parent / "new")
    (new / "index.html").write_text("<p>rebuilt</p>")
    os.replace(site, site.parent / "old")
    os.replace(new, site)  # what a build's commit does
    assert get(server, "/")[2] == b"<p>rebuilt</p>"


@pytest.mark.parametrize("header, accepted", [
    ("gzip", True), ("gzip, deflate, br", True), ("br;q=1.0, GZIP;q=0.5", True), ("x-gzip", True),
    (None, False), ("", False), ("identity", False), ("gzip;q=0", False), ("gzip;q=0.000", False), ("gzip;q=x", False),
])
def test_accept_encoding(header, accepted):
    assert accepts_gzip(header) is accepted


def test_content_type_falls_back_to_binary(tmp_path):
    assert content_type(tmp_path / "CNAME") == "application/octet-stream"
    assert content_type(tmp_path / "A.JSON").startswith("application/json")


def test_a_port_in_use_is_one_line_with_the_fix(site):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ConfigError, match=r"--port \(0 picks a free one\)"):
            open_server(site, "127.0.0.1", taken.getsockname()[1])
    with pytest.raises(ConfigError, match="not a port"):
        open_server(site, "127.0.0.1", 70000)


# -- the command line -------------------------------------------------------------------------------

def test_serve_only_without_a_site_is_one_line(tmp_path, capsys):
    assert main(["--serve-only", "--port", "0", "--out", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No site to serve" in err[0] and "--demo" in err[0]


def test_serve_does_not_go_with_fetch_only(tmp_path, capsys):
    assert main(["--serve", "--fetch-only", "--port", "0", "--out", str(tmp_path / "s")]) == 2
    assert "--fetch-only" in capsys.readouterr().err


def test_serve_only_prints_the_address_and_stops_cleanly_on_ctrl_c(site):
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--serve-only", "--port", "0", "--out", str(site)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = re.fullmatch(r"Serving \S+ at (http://127\.0\.0\.1:(\d+)/) \(Ctrl-C stops\)\n", line)
        assert url, line
        conn = http.client.HTTPConnection("127.0.0.1", int(url[2]), timeout=10)
        conn.request("GET", "/")
        assert conn.getresponse().read().decode() == PAGE
        conn.close()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert out == "" and "Traceback" not in err
