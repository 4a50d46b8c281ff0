"""A campaign's results as one self-contained HTML page: verdicts, plots, hazard coverage.

Why a page: JUnit and JSON suit a CI dashboard, but a reviewer of a fault campaign wants to see
what each scenario did, to the device and to the virtual patient. The page is a pure function of
the JSON report (so a Dask campaign's saved results can be rendered later), opens offline (plots
are inline SVG from matplotlib, the page is Jinja2, the little script that sorts and filters the
table is inline), and holds no external reference. Jinja2 and matplotlib are the optional
`pumpsim[report]` extra.
"""

from __future__ import annotations

import importlib.metadata
import io
import platform
import re
from collections.abc import Sequence
from typing import Any

from pumpsim_scenarios.campaigns.hazards import HAZARDS

PLOTS = ("reservoir", "dose", "battery")
_MARK_STYLE = {
    "fault": {"color": "#c0392b", "linestyle": "--"},
    "alarm": {"color": "#e67e22", "linestyle": ":"},
    "refill": {"color": "#2471a3", "linestyle": "-"},
}


class ReportUnavailableError(RuntimeError):
    """The report extra is not installed."""


def _libraries() -> tuple[Any, Any]:
    try:
        import jinja2
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError as e:
        raise ReportUnavailableError(
            f"the HTML report needs {e.name}: pip install 'pumpsim[report]'"
        ) from None
    return jinja2, pyplot


def _svg(figure: Any, pyplot: Any) -> str:
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    pyplot.close(figure)
    text = out.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    # Inline SVG in HTML needs no namespace declarations; without them no URL is left at all.
    return re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)


def _finished(figure: Any, ax: Any, pyplot: Any) -> str:
    """Every plot's last strokes: a light grid, the legend if anything is labelled, the SVG."""
    ax.grid(alpha=0.25)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper right", ncols=3)
    figure.tight_layout()
    return _svg(figure, pyplot)


def _plots(result: dict[str, Any], pyplot: Any) -> dict[str, str]:
    series = result.get("series") or {}
    t = series.get("t_days", [])
    moments = result.get("moments", [])
    out: dict[str, str] = {}
    for name in PLOTS:
        figure, ax = pyplot.subplots(figsize=(7.0, 2.1), dpi=72)
        if name == "reservoir":
            ax.plot(t, series.get("reservoir_ml", []), label="actual", linewidth=1.4)
            ax.plot(t, series.get("expected_ml", []), label="pump's reckoning", linewidth=1.0)
            ax.set_ylabel("reservoir (mL)")
        elif name == "dose":
            for drug, values in sorted(series.get("dose", {}).items()):
                ax.plot(t, values, label=drug, linewidth=1.0)
            ax.set_ylabel("dose (mcg/h)")
        else:
            ax.plot(t, series.get("battery_mah", []), label="battery", linewidth=1.2)
            ax.set_ylabel("battery (mAh)")
        seen: set[str] = set()
        for m in moments:
            kind = m["kind"]
            label = kind if kind not in seen else None
            seen.add(kind)
            if kind == "mri":
                ax.axvspan(
                    m["day"], m.get("until_day", m["day"]), color="#aab7b8", alpha=0.4, label=label
                )
            else:
                ax.axvline(m["day"], linewidth=0.8, label=label, **_MARK_STYLE[kind])
        ax.set_xlabel("simulated day")
        out[name] = _finished(figure, ax, pyplot)
    return out


_SIGN_COLOURS = {"mild": "#f1c40f", "serious": "#e67e22", "life-threatening": "#c0392b"}


def _exposure_plot(result: dict[str, Any], pyplot: Any) -> str:
    """The worst (and, in a cohort, the median) patient's exposure against the therapy band,
    with the moments a sign began or grew marked by its severity."""
    patients = [o for o in result.get("patients", []) if o.get("series")]
    if not patients:
        return ""
    figure, ax = pyplot.subplots(figsize=(7.0, 2.3), dpi=72)
    band_drawn = False
    seen: set[str] = set()
    for o in patients:
        for drug, series in sorted(o["series"].items()):
            label = f"{drug} ({o['label']})" if len(patients) > 1 else drug
            ax.plot(series["t_days"], series["exposure"], label=label, linewidth=1.2)
            low, high = o["band"].get(drug, [None, None])
            if low is not None and not band_drawn:
                ax.axhspan(low, high, color="#d5f5e3", alpha=0.6, label="therapy band")
                band_drawn = True
        for sign in o["signs"]:
            colour = _SIGN_COLOURS.get(sign["severity"])
            if colour is None:
                continue
            label = sign["severity"] if sign["severity"] not in seen else None
            seen.add(sign["severity"])
            ax.axvline(sign["day"], color=colour, linewidth=0.9, linestyle="--", label=label)
    ax.set_ylabel("exposure (x baseline)")
    ax.set_xlabel("simulated day")
    return _finished(figure, ax, pyplot)


def _trumpet_plot(result: dict[str, Any], pyplot: Any) -> str:
    """IEC 60601-2-24's trumpet: the largest and smallest flow error per window, around the mean."""
    curves = result.get("trumpet")
    if not curves or not curves.get("windows"):
        return ""
    windows = curves["windows"]
    hours = [w["hours"] for w in windows]
    figure, ax = pyplot.subplots(figsize=(7.0, 2.3), dpi=72)
    ax.plot(hours, [w["max_error_percent"] for w in windows], marker="o", label="largest error")
    ax.plot(hours, [w["min_error_percent"] for w in windows], marker="o", label="smallest error")
    ax.axhline(curves["mean_error_percent"], color="#555", linestyle="--", label="mean error")
    ax.set_xlabel("observation window (h)")
    ax.set_ylabel("flow error (%)")
    return _finished(figure, ax, pyplot)


def _observed(results: Sequence[dict[str, Any]]) -> dict[str, str]:
    """For each hazard, the worst harm its scenarios did to a virtual patient in this campaign."""
    out = {}
    for h in HAZARDS:
        hits = [r for r in results if r["name"] in h.scenarios and r.get("cohort")]
        if hits:
            worst = max(hits, key=lambda r: _RANK.get(r["cohort"]["worst"]["severity"], 0))
            out[h.id] = f"{worst['cohort']['worst']['severity']} ({worst['id']})"
    return out


_RANK = {"none": 0, "mild": 1, "serious": 2, "life-threatening": 3}


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for package in ("pumpsim", "numpy", "matplotlib", "jinja2"):
        try:
            out[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out


def render(report: dict[str, Any], *, wall_s: float | None = None) -> str:
    """The page for a JSON report (as `campaign.json_report` writes it)."""
    jinja2, pyplot = _libraries()
    pyplot.rcParams.update(
        {"svg.fonttype": "none", "svg.hashsalt": "pumpsim", "path.simplify": True}
    )
    results: Sequence[dict[str, Any]] = report.get("results", [])
    ordered = sorted(results, key=lambda r: (r["passed"], r["path"], r["id"], r["mode"]))
    names = sorted({r["name"] for r in results})
    covered_by = {h.id: [s for s in h.scenarios if s in names] for h in HAZARDS}
    hazards_of = {n: [h.id for h in HAZARDS if n in h.scenarios] for n in names}
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("pumpsim_scenarios.campaigns", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    page = environment.get_template("report.html.j2")
    return str(
        page.render(
            summary=report.get("summary", {}),
            results=ordered,
            plots={
                r["id"] + "/" + r["mode"]: {
                    **_plots(r, pyplot),
                    "exposure": _exposure_plot(r, pyplot),
                    "trumpet": _trumpet_plot(r, pyplot),
                }
                for r in ordered
            },
            observed=_observed(results),
            hazards=HAZARDS,
            names=names,
            covered_by=covered_by,
            hazards_of=hazards_of,
            seeds=sorted({int(r["seed"]) for r in results if r.get("seed") is not None}),
            versions=_versions(),
            wall_s=wall_s,
        )
    )
