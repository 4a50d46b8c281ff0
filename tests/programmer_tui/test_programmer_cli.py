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


def test_the_demo_in_the_patients_role_is_set_up_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """A patient key cannot implant a pump: the demo fills and programs it as the simulator,
    then the programmer connects with the patient's key and sees the patient's view."""
    from firmware_protocol.wire.messages import Role
    from programmer_tui import main
    from programmer_tui.app import ProgrammerApp

    started: list[ProgrammerApp] = []
    monkeypatch.setattr(ProgrammerApp, "run", lambda self: started.append(self))
    assert main.main(["--demo", "--role", "patient"]) == 0
    (app,) = started
    assert app.embedded is not None
    assert app.backend is not None
    try:
        assert not app.demo_setup
        assert app.backend.sync.connect().role == Role.PATIENT
        status = app.backend.sync.read_status()
        assert [d.drug for d in status.mix] == ["morphine"]
        assert status.program.patient_bolus  # there is a bolus for the patient to ask for
    finally:
        app.embedded.close()


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "../etc/passwd", ""])
def test_an_unknown_time_zone_is_a_usage_error(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["--demo", "--tz", name])
    assert exc.value.code == 2
    assert "unknown time zone" in capsys.readouterr().err


def test_a_time_zone_is_taken_by_its_iana_name() -> None:
    assert build_parser().parse_args(["--tz", "Europe/Paris"]).tz.key == "Europe/Paris"


def test_the_served_programmer_gets_the_same_arguments_but_the_web_servers() -> None:
    from programmer_tui.web import programmer_argv

    argv = ["--web", "--web-port", "8123", "--host=0.0.0.0", "--demo", "--tz", "Europe/Paris"]
    assert programmer_argv(argv) == ["--demo", "--tz", "Europe/Paris"]
    assert build_parser().parse_args(argv).web_port == 8123


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_a_web_port_out_of_range_is_a_usage_error(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["--web", "--web-port", port])
    assert exc.value.code == 2
    assert "port number" in capsys.readouterr().err
