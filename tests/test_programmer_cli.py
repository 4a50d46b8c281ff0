"""The programmer's command line refuses what the pump would refuse, before any screen opens."""

from __future__ import annotations

import pytest

from programmer_tui.main import build_parser


@pytest.mark.parametrize("value", ["0.5", "2000000", "fast"])
def test_an_acceleration_the_pump_refuses_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["--demo", "--acceleration", value])
    assert exc.value.code == 2
    assert "--acceleration" in capsys.readouterr().err


def test_an_acceleration_in_range_is_taken() -> None:
    assert build_parser().parse_args(["--acceleration", "86400"]).acceleration == 86400.0
