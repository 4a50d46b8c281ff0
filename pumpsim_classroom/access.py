"""Who may take a seat and who may run the class: a class code, a console token, seat claims.

Why a code and a token and not accounts: a class lasts an afternoon. The code is made fresh at
start and said aloud or written on the board (short, no look-alike characters, any case); the
console's token is long and stays with the instructor. A seat is held by the browser that took
it (a claim kept in a cookie), so the same browser reloading gets its seat back and another
browser is told the seat is taken.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 6
CLAIM_COOKIE = "pumpsim-seat-claim"


def _normal(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


@dataclass(frozen=True)
class ClassAccess:
    code: str
    console_token: str

    @classmethod
    def fresh(cls) -> ClassAccess:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        return cls(code, secrets.token_urlsafe(18))

    @property
    def code_shown(self) -> str:
        half = CODE_LENGTH // 2
        return f"{self.code[:half]}-{self.code[half:]}"

    def admits(self, code: str | None) -> bool:
        """The class code, in any case, with or without its dash."""
        given = _normal(code or "").encode()
        return hmac.compare_digest(given, self.code.encode())

    def is_console(self, token: str | None) -> bool:
        return hmac.compare_digest((token or "").encode(), self.console_token.encode())


@dataclass
class SeatClaims:
    """Which browser holds which seat (by the claim it was given), and which are live now."""

    seats: int
    holders: dict[int, str] = field(default_factory=dict)  # seat -> claim

    @staticmethod
    def new_claim() -> str:
        return secrets.token_urlsafe(18)

    def valid(self, seat: int) -> bool:
        return 1 <= seat <= self.seats

    def free_seat(self) -> int | None:
        return next((n for n in range(1, self.seats + 1) if n not in self.holders), None)

    def may_take(self, seat: int, claim: str | None) -> bool:
        """A free seat, or one this browser already holds (a reload, a second tab of its own)."""
        holder = self.holders.get(seat)
        return holder is None or (claim is not None and hmac.compare_digest(holder, claim))

    def take(self, seat: int, claim: str) -> bool:
        if not self.valid(seat) or not self.may_take(seat, claim):
            return False
        self.holders[seat] = claim
        return True

    def release(self, seat: int, claim: str) -> None:
        if self.holders.get(seat) == claim:
            del self.holders[seat]
