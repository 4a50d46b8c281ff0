"""Benchmark of the telemetry link: firmware and client over a pseudo-terminal at 115200 baud.

Both ends pace their writes at the line rate (8N1), so the figures are what a real serial line
would give. Measured: the interrogation round trip against its floor (its bytes on the wire over
the line rate), event-log download efficiency (message payload bytes per second over the line's
bytes per second) on a clean line and with a byte error rate of 1e-4 in both directions, and the
frame decoder's throughput. The last line printed is one JSON object.
Run: python bench/link_bench.py
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import serial

from firmware_protocol.client.pump_client import PumpClient
from firmware_protocol.device.firmware import Firmware
from firmware_protocol.line.transport import FaultyPort, LineFaults, PacedPort, Port, open_pty
from firmware_protocol.session.security import TAG_BYTES, DeviceKey, PumpKeys, provision
from firmware_protocol.wire import codec
from firmware_protocol.wire import messages as m
from firmware_protocol.wire.frame import Flags, Frame, FrameDecoder
from firmware_protocol.wire.messages import Role
from pumpsim import Continuous, Mix, PatientBolusSettings, PumpConfig, TherapyProgram
from pumpsim.units import days

BAUD = 115200
BYTES_PER_S = BAUD / 10
LOG_RECORDS = 6000


def _frame_bytes(msg: object, sealed: bool = True) -> int:
    payload = codec.encode(msg)
    size = len(payload) + (TAG_BYTES if sealed else 0)
    return len(Frame(Flags.DATA | Flags.ACK, 1, 1, 1, 1, 1, bytes(size)).encode())


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="link-bench-") as tmp:  # keys leave with it
        measure(Path(tmp))


def measure(work: Path) -> None:
    pump_file, device_files = provision(work)
    keys = PumpKeys.load(pump_file)
    pty, path = open_pty()
    firmware = Firmware(
        PacedPort(pty, BAUD),
        keys,
        work / "pump.sqlite",
        config=PumpConfig(event_log_capacity=LOG_RECORDS + 100),
        simulator=True,
        paused=True,
    )
    # Fill the log directly in the model before the firmware's thread starts.
    pump = firmware.pump
    program = TherapyProgram(Continuous(0.5), PatientBolusSettings(0.001, 60.0, 60.0, 24))
    pump.fill_reservoir(40.0, Mix.of(morphine=1000.0), program)
    t = pump.now_s
    while pump.log.next_index < LOG_RECORDS:
        t += 61.0
        pump.advance(t)
        pump.request_patient_bolus()
    firmware.start()
    raw = serial.Serial(path, BAUD, timeout=0.01)
    key = DeviceKey.load(device_files[Role.SIMULATOR])
    client = PumpClient(PacedPort(raw, BAUD), key)
    client.connect()

    # Round trip of an interrogation.
    status = client.interrogate()
    rtts = []
    for _ in range(20):
        started = time.perf_counter()
        client.interrogate()
        rtts.append(time.perf_counter() - started)
    rtt_ms = statistics.median(rtts) * 1000
    wire = _frame_bytes(m.Interrogate()) + _frame_bytes(status)
    rtt_floor_ms = wire / BYTES_PER_S * 1000

    def download(c: PumpClient) -> float:
        started = time.perf_counter()
        page = c.read_log()
        elapsed = time.perf_counter() - started
        assert len(page.records) >= LOG_RECORDS, len(page.records)
        payload = sum(
            len(codec.encode(m.LogChunk(0, 0, 0, (r,), False))) - 15 for r in page.records
        )
        return payload / elapsed / BYTES_PER_S

    bulk_efficiency = download(client)
    client.close()

    noisy_port: Port = FaultyPort(
        raw,
        seed=7,
        outbound=LineFaults(bit_flip_rate=1e-4),
        inbound=LineFaults(bit_flip_rate=1e-4),
    )
    noisy = PumpClient(PacedPort(noisy_port, BAUD), key)
    noisy.connect()
    bulk_efficiency_noisy = download(noisy)
    noisy.close()
    firmware.stop()

    frames = b"".join(
        Frame(Flags.DATA | Flags.ACK, 7, i, i, i, 0x0101, bytes(200)).encode() for i in range(2000)
    )
    decoder = FrameDecoder()
    started = time.perf_counter()
    rounds = 5
    for _ in range(rounds):
        decoded = decoder.feed(frames)
    decode_frames_per_s = rounds * len(decoded) / (time.perf_counter() - started)

    result = {
        "baud": BAUD,
        "rtt_ms": round(rtt_ms, 2),
        "rtt_floor_ms": round(rtt_floor_ms, 2),
        "rtt_over_floor": round(rtt_ms / rtt_floor_ms, 2),
        "bulk_efficiency": round(bulk_efficiency, 3),
        "bulk_efficiency_noisy": round(bulk_efficiency_noisy, 3),
        "log_records": LOG_RECORDS,
        "decode_frames_per_s": round(decode_frames_per_s),
        "sim_days": round(pump.now_s / days(1), 1),
    }
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
