"""The firmware's edges: malformed and unknown requests, replayed and forged frames, timeouts,
the accelerated clock, `pumpsim serve` on a pty, and the asyncio client."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import serial
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_protocol.client.async_client import AsyncPumpClient
from firmware_protocol.client.pump_client import DeviceError, LinkLostError, PumpClient
from firmware_protocol.line.transport import RecordingPort
from firmware_protocol.session.security import DeviceKey, PumpKeys
from firmware_protocol.wire import cobs, codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import Flags, Frame, FrameDecoder, crc16
from firmware_protocol.wire.messages import Role
from pumpsim import Continuous, LogKind, TherapyProgram

from builders import MORPHINE_10, patient_bolus
from protocol_helpers import bench
from serving import pumpsim_serve


def _implanted(b_client: PumpClient) -> None:
    b_client.refill_withdraw()
    b_client.refill_fill(20.0, MORPHINE_10, TherapyProgram(Continuous(0.3), patient_bolus()))


def test_unknown_and_malformed_requests_get_error_replies() -> None:
    with bench() as b:
        c = b.client()
        link = c.channel.link
        assert link is not None
        link.send(0x7777, b"")  # no such message type
        assert c.channel.next_reply(c.reply_timeout_s).code == m.WireError.UNKNOWN_MESSAGE
        link.send(m.SPECS[m.ClinicianBolus].code, b"\x01\x02")  # truncated payload
        assert c.channel.next_reply(c.reply_timeout_s).code == m.WireError.MALFORMED_MESSAGE
        link.send(m.SPECS[m.Status].code, b"")  # a reply type sent as a request
        assert c.channel.next_reply(c.reply_timeout_s).code == m.WireError.UNKNOWN_MESSAGE
        bad_program = m.ProgramSpec("turbo", 1.0, "daily", (), (), 2.0)
        with pytest.raises(DeviceError) as err:
            c.request(m.StageProgram(bad_program))
        assert err.value.code == m.WireError.MALFORMED_MESSAGE
        assert c.read_status().refill_in_progress  # and the session still works


def test_a_replayed_command_frame_is_rejected() -> None:
    with bench() as b:
        sink = io.StringIO()
        c = b.client(port=RecordingPort(b.programmer_port, sink))
        _implanted(c)
        c.clinician_bolus(0.05, 3600.0)
        c.cancel_bolus()
        records = [json.loads(line) for line in sink.getvalue().splitlines()]
        sent = [bytes.fromhex(r["hex"]) for r in records if r["dir"] == "out"]
        bolus_code = m.SPECS[m.ClinicianBolus].code
        captured = [
            raw
            for raw in sent
            for f in FrameDecoder().feed(raw)
            if f.msg_type == bolus_code and f.flags & Flags.DATA
        ]
        assert captured
        for raw in captured:  # an attacker replays the captured frame
            b.programmer_port.write(raw)
        assert c.read_status().bolus_kind == ""
        session = b.firmware.sessions.session
        assert session is not None
        assert session.cipher.stats.replayed >= 1
        assert len(b.firmware.pump.log.of_kind(LogKind.BOLUS_STARTED)) == 1


@settings(max_examples=25, deadline=None)
@given(position=st.integers(0, 10_000), bit=st.integers(0, 7))
def test_a_forged_command_frame_is_never_applied(position: int, bit: int) -> None:
    with bench() as b:
        c = b.client()
        assert c.channel.cipher is not None
        body = codec.encode(m.ClinicianBolus(c.new_txn(), 0.05, 3600.0))
        frame = c.channel.cipher.seal(
            Frame(Flags.DATA | Flags.ACK, 0, 0, 0, 0, m.SPECS[m.ClinicianBolus].code, body)
        )
        forged = bytearray(frame.header() + frame.payload)
        forged[position % len(forged)] ^= 1 << bit
        # A CRC recomputed to match the flipped bit, so that only the tag can object.
        raw = bytes(forged)
        b.programmer_port.write(cobs.encode(raw + crc16(raw).to_bytes(2, "big")) + b"\x00")
        b.advance(1.0)  # virtual time for the pump to read it: it has had every chance to act
        assert b.firmware.pump.log.of_kind(LogKind.BOLUS_STARTED) == ()
        assert b.firmware.pump.status().active_bolus is None


def test_an_idle_session_times_out_and_the_programmer_reconnects() -> None:
    with bench(idle_timeout_s=0.3) as b:
        c = b.client()
        assert c.session is not None
        assert c.session.idle_timeout_s == pytest.approx(0.3)
        c.read_status()
        b.advance(0.6)
        with pytest.raises(LinkLostError):
            c.read_status()
        c.reconnect()
        assert c.read_status().refill_in_progress


def test_the_clock_runs_accelerated() -> None:
    with bench(paused=False) as b:
        c = b.client(Role.SIMULATOR)
        c.sim_set_speed(1_000_000.0)
        t0 = c.ping()
        b.advance(0.2)
        t1 = c.ping()
        assert 0.2 * 1e6 < t1 - t0 < 0.3 * 1e6  # 0.2 s, plus the pings' own line time
        c.sim_set_speed(1.0, paused=True)
        t2 = c.ping()
        b.advance(0.1)
        assert c.ping() == pytest.approx(t2)
        with pytest.raises(DeviceError) as err:
            c.sim_set_speed(5e6)
        assert err.value.code == m.WireError.MALFORMED_MESSAGE


def test_pumpsim_serve_on_a_pty(tmp_path: Path) -> None:
    with pumpsim_serve("--keys", str(tmp_path / "k")) as served:
        port = serial.Serial(served.address, 115200, timeout=0.01)
        c = PumpClient(port, DeviceKey.load(tmp_path / "k" / "clinician.key"))
        c.connect()
        assert c.interrogate().pump_id == PumpKeys.load(tmp_path / "k" / "pump.keys").pump_id
        c.close()
        port.close()


def test_a_programmer_that_vanishes_from_a_pty_frees_the_pump_for_the_next(tmp_path: Path) -> None:
    """One pump across reopenings of its pty, one programmer at a time: a programmer that closes
    the port without a Bye leaves nothing the next one has to wait for."""
    key = tmp_path / "k" / "clinician.key"
    with pumpsim_serve("--keys", str(tmp_path / "k"), "--log-level", "info") as served:
        ids = []
        for goodbye in (False, True):
            port = serial.Serial(served.address, 115200, timeout=0.01)
            c = PumpClient(port, DeviceKey.load(key))
            ids.append(c.connect().session)
            assert c.read_status().pump_id == PumpKeys.load(tmp_path / "k" / "pump.keys").pump_id
            if goodbye:
                c.close()
            port.close()
        deadline = time.monotonic() + 5
        while "said goodbye" not in served.text and time.monotonic() < deadline:
            time.sleep(0.02)
        assert f"session {ids[0]:08x} ended: replaced by a new handshake" in served.text
        assert f"session {ids[1]:08x} ended: the programmer said goodbye" in served.text


def test_async_client() -> None:
    with bench() as b:

        async def session() -> tuple[str, int]:
            client = AsyncPumpClient(b.client(connect=False))
            await client.connect()
            status, log = await asyncio.gather(client.interrogate(), client.read_log())
            await client.close()
            return status.pump_id, len(log.records)

        pump_id, records = asyncio.run(session())
        assert pump_id == b.pump_keys.pump_id
        assert records >= 1


def test_pumpsim_serve_offers_a_bad_line_on_purpose(tmp_path: Path) -> None:
    """Every other frame the pump sends is lost: a programmer that retries still gets through."""
    options = ("--no-pacing", "--line-lose-reply-every", "2", "--line-seed", "3")
    with pumpsim_serve("--keys", str(tmp_path / "k"), *options) as served:
        assert "a bad line on purpose" in served.text
        port = serial.Serial(served.address, 115200, timeout=0.01)
        c = PumpClient(port, DeviceKey.load(tmp_path / "k" / "clinician.key"))
        c.connect()
        for _ in range(3):
            assert c.interrogate().pump_id == PumpKeys.load(tmp_path / "k" / "pump.keys").pump_id
        stats = c.link_stats
        assert stats is not None
        assert stats.retransmitted >= 1  # lost replies were asked for again, and answered
        port.close()


def test_pumpsim_serve_refuses_a_line_fault_out_of_range(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pumpsim_cli.main",
            "serve",
            "--line-drop",
            "1.5",
            "--keys",
            str(tmp_path / "k"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "--line-drop must be a fraction" in done.stderr
    assert not (tmp_path / "k").exists()  # nothing paired for a refused start
