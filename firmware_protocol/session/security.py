"""Keys, mutual authentication and per-frame authenticated encryption.

Why each piece (see ../shared/protocol-notes.md for the advisories behind them):
- One key per paired device, provisioned by a pairing step and stored in files; none in the code.
- Mutual challenge-response with fresh nonces from both sides: each proves it holds the key
  without sending it, and a recorded handshake cannot be replayed into a new session.
- Per-direction session keys from HKDF over the paired key and both nonces.
- ChaCha20-Poly1305 on every frame after the handshake, the frame header as associated data.
- A per-direction counter in every frame and a sliding replay window on the receiver; the window
  is updated only after the tag verifies. There is no unsigned mode to fall back to.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from firmware_protocol.session import log_seal
from firmware_protocol.session.private_files import open_private_for_write, private_dir
from firmware_protocol.wire.frame import HEADER, MAX_PAYLOAD, SECURE, Frame
from firmware_protocol.wire.messages import Role

KEY_BYTES = 32
NONCE_BYTES = 16
TAG_BYTES = 16
MAX_PLAINTEXT = MAX_PAYLOAD - TAG_BYTES
REPLAY_WINDOW = 64


# -------------------------------------------------------------------------- key files


@dataclass(frozen=True)
class DeviceKey:
    """What a programmer or patient device holds: which pump, which role, which key, and the
    pump's public signing key learnt at pairing (to check the logs it signs; empty in key files
    paired before 0.2)."""

    pump_id: str
    device_id: str
    role: Role
    key: bytes
    pump_public_key: bytes = b""

    def save(self, path: Path) -> None:
        _write_private(
            path,
            {
                "pump_id": self.pump_id,
                "device_id": self.device_id,
                "role": str(self.role),
                "key": self.key.hex(),
                "pump_public_key": self.pump_public_key.hex(),
            },
        )

    @classmethod
    def load(cls, path: Path) -> DeviceKey:
        data = json.loads(Path(path).read_text())
        return cls(
            data["pump_id"],
            data["device_id"],
            Role(data["role"]),
            bytes.fromhex(data["key"]),
            bytes.fromhex(data.get("pump_public_key", "")),
        )


@dataclass(frozen=True)
class PumpKeys:
    """What the pump holds: its identity, its signing key (Ed25519 seed: it signs its event log),
    the key of every device paired with it, and the device ids it no longer accepts (revoked, or
    replaced by a rotation), each with the reason."""

    pump_id: str
    devices: dict[str, DeviceKey] = field(default_factory=dict)
    signing_seed: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    retired: dict[str, str] = field(default_factory=dict)  # device id -> "revoked" | "rotated"

    @property
    def public_key(self) -> bytes:
        return log_seal.public_key(self.signing_seed)

    def pair(
        self, device_id: str, role: Role, rng: random.Random | None = None
    ) -> tuple[PumpKeys, DeviceKey]:
        """A new device key for `role` (from `rng` only in simulations that must replay)."""
        key = rng.randbytes(KEY_BYTES) if rng is not None else secrets.token_bytes(KEY_BYTES)
        device = DeviceKey(self.pump_id, device_id, Role(role), key, self.public_key)
        return replace(self, devices={**self.devices, device_id: device}), device

    def revoke(self, device_id: str, reason: str = "revoked") -> PumpKeys:
        """The device's key refused from now on (with KEY_REVOKED, not a bare failure)."""
        if device_id not in self.devices:
            raise KeyError(f"no device {device_id!r} is paired with pump {self.pump_id}")
        devices = {k: v for k, v in self.devices.items() if k != device_id}
        return replace(self, devices=devices, retired={**self.retired, device_id: reason})

    def rotate(self, device_id: str) -> tuple[PumpKeys, DeviceKey]:
        """A new key for the same device and role, under the device's next id (`tablet-2` ->
        `tablet-2#2`), so that the old key is refused as revoked at its first word."""
        device = self.devices.get(device_id)
        if device is None:
            raise KeyError(f"no device {device_id!r} is paired with pump {self.pump_id}")
        base, _, generation = device_id.partition("#")
        new_id = f"{base}#{int(generation or 1) + 1}"
        return self.revoke(device_id, "rotated").pair(new_id, device.role)

    def save(self, path: Path) -> None:
        _write_private(
            path,
            {
                "pump_id": self.pump_id,
                "signing_key": self.signing_seed.hex(),
                "devices": {
                    d.device_id: {"role": str(d.role), "key": d.key.hex()}
                    for d in self.devices.values()
                },
                "retired": self.retired,
            },
        )

    @classmethod
    def load(cls, path: Path) -> PumpKeys:
        """A pump key file; one written before 0.2 gets a signing key (save it back to keep it)."""
        data = json.loads(Path(path).read_text())
        pump_id = data["pump_id"]
        seed = bytes.fromhex(data["signing_key"]) if "signing_key" in data else None
        keys = cls(pump_id, signing_seed=seed) if seed else cls(pump_id)
        devices = {
            device_id: DeviceKey(
                pump_id, device_id, Role(v["role"]), bytes.fromhex(v["key"]), keys.public_key
            )
            for device_id, v in data["devices"].items()
        }
        return replace(keys, devices=devices, retired=dict(data.get("retired", {})))


def new_pump_keys(pump_id: str | None = None) -> PumpKeys:
    return PumpKeys(pump_id or f"SIM-{secrets.token_hex(4).upper()}")


def paired_in_memory(
    pump_id: str,
    rng: random.Random,
    roles: tuple[Role, ...] = (Role.CLINICIAN, Role.PATIENT, Role.SIMULATOR),
) -> tuple[PumpKeys, dict[Role, DeviceKey]]:
    """Keys for a simulated pump that never touch a disk: nothing to leave behind."""
    keys = PumpKeys(pump_id, signing_seed=rng.randbytes(32))
    devices: dict[Role, DeviceKey] = {}
    for role in roles:
        keys, devices[role] = keys.pair(f"{role}-1", role, rng)
    return keys, devices


def provision(
    directory: Path,
    roles: tuple[Role, ...] = (Role.CLINICIAN, Role.PATIENT, Role.SIMULATOR),
    pump_id: str | None = None,
) -> tuple[Path, dict[Role, Path]]:
    """The pairing step: a pump key file and one device key file per role, in `directory`."""
    private_dir(directory)
    keys = new_pump_keys(pump_id)
    device_files: dict[Role, Path] = {}
    for role in roles:
        keys, device = keys.pair(f"{role}-1", role)
        path = directory / f"{role}.key"
        device.save(path)
        device_files[role] = path
    pump_file = directory / "pump.keys"
    keys.save(pump_file)
    return pump_file, device_files


def _write_private(path: Path, data: object) -> None:
    fd = open_private_for_write(Path(path))
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)


# ---------------------------------------------------------------------------- handshake


def _transcript(label: bytes, session: int, programmer_nonce: bytes, pump_nonce: bytes) -> bytes:
    return (
        b"pumpsim-v1|" + label + b"|" + session.to_bytes(4, "big") + programmer_nonce + pump_nonce
    )


def proof(
    key: bytes, label: str, session: int, programmer_nonce: bytes, pump_nonce: bytes
) -> bytes:
    """HMAC-SHA256 over the handshake transcript; `label` is "pump" or "programmer"."""
    data = _transcript(label.encode(), session, programmer_nonce, pump_nonce)
    return hmac.new(key, data, hashlib.sha256).digest()


def proofs_equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def fresh_nonce() -> bytes:
    return secrets.token_bytes(NONCE_BYTES)


def session_keys(
    key: bytes, session: int, programmer_nonce: bytes, pump_nonce: bytes
) -> tuple[bytes, bytes]:
    """(programmer-to-pump key, pump-to-programmer key)."""
    material = HKDF(
        algorithm=hashes.SHA256(),
        length=2 * KEY_BYTES,
        salt=programmer_nonce + pump_nonce,
        info=b"pumpsim-v1 session keys " + session.to_bytes(4, "big"),
    ).derive(key)
    return material[:KEY_BYTES], material[KEY_BYTES:]


# ------------------------------------------------------------------------ frame protection


class ReplayWindow:
    """Accepts each counter once, within `size` of the highest seen (IPsec-style bitmap)."""

    def __init__(self, size: int = REPLAY_WINDOW) -> None:
        self.size = size
        self.highest = 0
        self._bits = 0

    def fresh(self, counter: int) -> bool:
        if counter <= 0:
            return False
        if counter > self.highest:
            return True
        offset = self.highest - counter
        return offset < self.size and not (self._bits >> offset) & 1

    def accept(self, counter: int) -> None:
        if counter > self.highest:
            shift = counter - self.highest
            self._bits = ((self._bits << shift) | 1) & ((1 << self.size) - 1)
            self.highest = counter
        else:
            self._bits |= 1 << (self.highest - counter)


@dataclass
class SecurityStats:
    forged: int = 0  # a tag that did not verify: tampering, or a frame from another session
    replayed: int = 0
    wrong_session: int = 0


class SessionCipher:
    """Seals outgoing and opens incoming frames of one session, one direction each."""

    def __init__(self, session: int, send_key: bytes, receive_key: bytes) -> None:
        self.session = session
        self._send = ChaCha20Poly1305(send_key)
        self._receive = ChaCha20Poly1305(receive_key)
        self._counter = 0
        self._window = ReplayWindow()
        self.stats = SecurityStats()

    @staticmethod
    def _nonce(counter: int) -> bytes:
        return bytes(8) + counter.to_bytes(4, "big")

    def seal(self, frame: Frame) -> Frame:
        """A new counter and ciphertext for every transmission, retransmissions included."""
        self._counter += 1
        flags = frame.flags | SECURE
        header = HEADER.pack(
            frame.version,
            int(flags),
            self.session,
            self._counter,
            frame.seq,
            frame.ack,
            frame.msg_type,
            len(frame.payload) + TAG_BYTES,  # the header states the sealed length
        )
        ciphertext = self._send.encrypt(self._nonce(self._counter), frame.payload, header)
        return Frame(
            flags,
            self.session,
            self._counter,
            frame.seq,
            frame.ack,
            frame.msg_type,
            ciphertext,
            frame.version,
        )

    def open(self, frame: Frame) -> Frame | None:
        """The frame with its plaintext payload, or None (counted) if it must be ignored."""
        if not frame.flags & SECURE or frame.session != self.session:
            self.stats.wrong_session += 1
            return None
        if not self._window.fresh(frame.counter):
            self.stats.replayed += 1
            return None
        try:
            plain = self._receive.decrypt(self._nonce(frame.counter), frame.payload, frame.header())
        except InvalidTag:
            self.stats.forged += 1
            return None
        self._window.accept(frame.counter)  # only after the tag verified
        return Frame(
            frame.flags,
            frame.session,
            frame.counter,
            frame.seq,
            frame.ack,
            frame.msg_type,
            plain,
            frame.version,
        )
