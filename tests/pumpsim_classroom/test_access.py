"""Who may take a seat: the class code in the forms people type it, and seats held by browsers."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pumpsim_classroom.access import CODE_ALPHABET, CODE_LENGTH, ClassAccess, SeatClaims


def test_a_fresh_class_has_a_short_code_without_look_alikes_and_a_long_token() -> None:
    a, b = ClassAccess.fresh(), ClassAccess.fresh()
    assert len(a.code) == CODE_LENGTH
    assert set(a.code) <= set(CODE_ALPHABET)
    assert not set("0O1IL") & set(a.code)
    assert len(a.console_token) >= 24
    assert (a.code, a.console_token) != (b.code, b.console_token)


def test_the_code_is_admitted_in_any_case_with_or_without_its_dash() -> None:
    access = ClassAccess("K7MQ4X", "token")
    for typed in ("K7MQ4X", "k7mq4x", "K7M-Q4X", " k7m-q4x ", "K7M Q4X"):
        assert access.admits(typed), typed
    for wrong in ("", None, "K7MQ4", "K7MQ4XX", "K7MQ4Y", "token"):
        assert not access.admits(wrong), wrong
    assert access.code_shown == "K7M-Q4X"


def test_the_console_token_is_not_the_class_code() -> None:
    access = ClassAccess("K7MQ4X", "s3cret-token")
    assert access.is_console("s3cret-token")
    assert not access.is_console("K7MQ4X")
    assert not access.is_console(None)


class SeatsAndBrowsers(RuleBasedStateMachine):
    """Browsers take, retake and leave seats in any order: one holder a seat, a browser always
    gets its own seat back, nobody takes a seat another holds, and a free seat is offered."""

    def __init__(self) -> None:
        super().__init__()
        self.claims = SeatClaims(4)
        self.held: dict[int, int] = {}  # seat -> browser (the model)

    @rule(browser=st.integers(0, 5), seat=st.integers(0, 5))
    def take(self, browser: int, seat: int) -> None:
        took = self.claims.take(seat, f"claim-{browser}")
        expected = 1 <= seat <= 4 and self.held.get(seat, browser) == browser
        assert took == expected
        if took:
            self.held[seat] = browser

    @rule(browser=st.integers(0, 5), seat=st.integers(1, 4))
    def leave(self, browser: int, seat: int) -> None:
        self.claims.release(seat, f"claim-{browser}")
        if self.held.get(seat) == browser:
            del self.held[seat]

    @precondition(lambda self: self.held)
    @rule(data=st.data())
    def reload(self, data: st.DataObject) -> None:
        seat = data.draw(st.sampled_from(sorted(self.held)))
        assert self.claims.take(seat, f"claim-{self.held[seat]}")

    @invariant()
    def one_holder_a_seat(self) -> None:
        assert self.claims.holders == {s: f"claim-{b}" for s, b in self.held.items()}
        free = next((s for s in range(1, 5) if s not in self.held), None)
        assert self.claims.free_seat() == free


TestSeatsAndBrowsers = SeatsAndBrowsers.TestCase
