"""The command line entry point."""

from __future__ import annotations

import pytest

from controller import __version__
from controller.__main__ import main
from controller.api.crd import crd_yaml


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.strip() == __version__


def test_crd_prints_the_crd_yaml_and_nothing_else(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crd"]) == 0
    assert capsys.readouterr().out == crd_yaml()


def test_unknown_command_is_refused() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
