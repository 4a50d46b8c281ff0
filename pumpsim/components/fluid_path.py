"""Pump tubing and catheter as a first-in, first-out column of fluid.

Whatever enters from the reservoir pushes the same volume out of the catheter tip, so after a
concentration change the old drug comes out first. That is why a bridge bolus exists and why a
priming bolus after implant delivers no drug until the catheter is full.

Concentrations travel as `Conc`: (library column, mcg/mL) pairs for the drugs present, which keeps
the integrator's inner loop to the drugs that matter.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

Conc = tuple[tuple[int, float], ...]


@dataclass(slots=True)
class _Segment:
    volume_ml: float
    conc: Conc


class FluidPath:
    __slots__ = ("_segments", "volume_ml")

    def __init__(self, volume_ml: float, initial: Conc = ()) -> None:
        self.volume_ml = volume_ml
        # Front (index 0) is at the catheter tip.
        self._segments: deque[_Segment] = deque([_Segment(volume_ml, initial)])

    @property
    def front(self) -> Conc:
        return self._segments[0].conc

    @property
    def front_volume_ml(self) -> float:
        return self._segments[0].volume_ml

    @property
    def is_uniform(self) -> bool:
        return len(self._segments) == 1

    def contents(self) -> tuple[tuple[float, Conc], ...]:
        """(volume, concentration) from tip to pump, for display and tests."""
        return tuple((seg.volume_ml, seg.conc) for seg in self._segments)

    def flow(self, volume_ml: float, inlet: Conc, out: dict[int, float]) -> None:
        """Push `volume_ml` of `inlet` in; add the mass leaving the tip to `out` (mcg by column)."""
        segments = self._segments
        if segments[-1].conc == inlet:
            segments[-1].volume_ml += volume_ml
        else:
            segments.append(_Segment(volume_ml, inlet))
        remaining = volume_ml
        while remaining > 0.0 and len(segments) > 1:
            seg = segments[0]
            take = seg.volume_ml if seg.volume_ml < remaining else remaining
            for column, mcg_per_ml in seg.conc:
                out[column] = out.get(column, 0.0) + take * mcg_per_ml
            remaining -= take
            if take >= seg.volume_ml:
                segments.popleft()
            else:
                seg.volume_ml -= take
        if remaining > 0.0:
            for column, mcg_per_ml in segments[0].conc:
                out[column] = out.get(column, 0.0) + remaining * mcg_per_ml
        if len(segments) == 1:
            segments[0].volume_ml = self.volume_ml  # no drift in the column's total

    def merge_front_below(self, volume_ml: float) -> None:
        """Fold a front segment thinner than `volume_ml` (a float residue) into the next one."""
        segments = self._segments
        while len(segments) > 1 and segments[0].volume_ml <= volume_ml:
            residue = segments.popleft().volume_ml
            segments[0].volume_ml += residue

    def mass_exiting(self, volume_ml: float, inlet: Conc) -> dict[int, float]:
        """Mass that pushing `volume_ml` would deliver, without changing anything."""
        out: dict[int, float] = {}
        remaining = volume_ml
        for seg in self._segments:
            take = min(seg.volume_ml, remaining)
            for column, mcg_per_ml in seg.conc:
                out[column] = out.get(column, 0.0) + take * mcg_per_ml
            remaining -= take
            if remaining <= 0:
                return out
        for column, mcg_per_ml in inlet:
            out[column] = out.get(column, 0.0) + remaining * mcg_per_ml
        return out
