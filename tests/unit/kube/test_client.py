"""Which proxy the API client takes from the environment (looked up once, not on every request)."""

from __future__ import annotations

import pytest

from controller.kube.client import environment_proxy

PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "all_proxy")


@pytest.fixture(autouse=True)
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def test_without_proxy_variables_there_is_no_proxy() -> None:
    assert environment_proxy("https://10.0.0.1:6443") is None


def test_the_proxy_of_the_api_servers_scheme_is_taken_with_its_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://user:secret@proxy.internal:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://other.internal:3128")
    assert environment_proxy("https://10.0.0.1:6443") == "http://user:secret@proxy.internal:3128"


def test_no_proxy_exempts_the_api_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "kubernetes.default.svc,10.0.0.1")
    assert environment_proxy("https://10.0.0.1:6443") is None
    assert environment_proxy("https://api.example.com:6443") == "http://proxy.internal:3128"


def test_an_https_proxy_is_not_taken_as_aiohttp_cannot_use_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "https://proxy.internal:3128")
    assert environment_proxy("https://10.0.0.1:6443") is None
