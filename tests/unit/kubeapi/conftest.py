"""Fixtures of the emulator's admission and Table tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.kubeapi.samples import load_crd, version_of


@pytest.fixture(scope="session")
def crd() -> dict[str, Any]:
    return load_crd()


@pytest.fixture(scope="session")
def schema(crd: dict[str, Any]) -> dict[str, Any]:
    openapi: dict[str, Any] = version_of(crd)["schema"]["openAPIV3Schema"]
    return openapi
