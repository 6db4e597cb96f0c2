"""load_demo prints the address `make run` serves: HOST_PORT, as runserver reads it."""

from __future__ import annotations

import pytest

from apps.demo.management.commands.load_demo import open_url


@pytest.mark.parametrize(
    ("host_port", "url"),
    [
        ("", "http://127.0.0.1:8000/"),
        ("127.0.0.1:8000", "http://127.0.0.1:8000/"),
        ("8080", "http://127.0.0.1:8080/"),
        ("0.0.0.0:9000", "http://127.0.0.1:9000/"),
        ("localhost:8001", "http://localhost:8001/"),
        ("[::1]:8002", "http://[::1]:8002/"),
        ("192.168.1.20:80", "http://192.168.1.20:80/"),
    ],
)
def test_the_address_follows_host_port(host_port, url):
    assert open_url(host_port) == url


def test_the_address_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("HOST_PORT", "0.0.0.0:8765")
    assert open_url() == "http://127.0.0.1:8765/"
    monkeypatch.delenv("HOST_PORT")
    assert open_url() == "http://127.0.0.1:8000/"


def test_make_run_passes_host_port_to_load_demo():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    assert "\tHOST_PORT=$(HOST_PORT) $(PY) manage.py load_demo\n" in makefile
