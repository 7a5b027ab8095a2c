"""The /stats chart: cramps week by week beside reminder adherence, time of day, muscles.

Rendered with matplotlib's object API on the Agg canvas (headless, no pyplot state, safe to
run in a worker thread via ``asyncio.to_thread``) to PNG bytes.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.diary.stats import Stats
from bot.diary.vocab import LOCATIONS, NIGHT_END_HOUR, NIGHT_START_HOUR

CRAMP_COLOUR = "#3b6ea8"
NIGHT_COLOUR = "#1f3b5c"
ADHERENCE_COLOUR = "#d98b2b"
DPI = 100


def render_chart(stats: Stats, *, width: float = 8.0, height: float = 6.4) -> bytes:
    """Draw the statistics as one PNG image and return its bytes."""
    # Fixed margins instead of a layout engine: constrained layout would double the time.
    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(2, 2, height_ratios=(1.1, 1), left=0.08, right=0.92,
                               top=0.89, bottom=0.08, hspace=0.48, wspace=0.45)
    _weeks(figure.add_subplot(grid[0, :]), stats)
    _hours(figure.add_subplot(grid[1, 0]), stats)
    _muscles(figure.add_subplot(grid[1, 1]), stats)
    figure.suptitle(
        f"Your cramps, last {stats.days} days "
        f"({stats.start:%d %b} – {stats.end:%d %b %Y}): {stats.total} logged",
        fontsize=12,
    )
    return _png(figure)


def render_compact_chart(stats: Stats, *, width: float = 8.0, height: float = 2.5) -> bytes:
    """A one-row version (weeks beside time of day) for the doctor's summary."""
    figure = Figure(figsize=(width, height), dpi=DPI * 2)
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(1, 2, width_ratios=(1.5, 1), left=0.08, right=0.98, top=0.88,
                               bottom=0.26, wspace=0.32)
    _weeks(figure.add_subplot(grid[0, 0]), stats)
    _hours(figure.add_subplot(grid[0, 1]), stats)
    return _png(figure)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _weeks(axes, stats: Stats) -> None:
    labels = [f"{row.start:%d %b}" for row in stats.weeks]
    counts = [row.cramps for row in stats.weeks]
    positions = list(range(len(labels)))
    axes.bar(positions, counts, color=CRAMP_COLOUR, label="cramps")
    axes.set_xticks(positions, labels, fontsize=8, rotation=0 if len(labels) <= 6 else 45)
    axes.set_ylabel("cramps per week")
    axes.set_title("Week by week (week starting)", fontsize=10)
    axes.set_ylim(0, max([*counts, 1]) * 1.2)
    axes.yaxis.get_major_locator().set_params(integer=True)
    if stats.has_adherence and stats.reminders_sent:
        twin = axes.twinx()
        shares = [
            row.adherence * 100 if row.adherence is not None else float("nan")
            for row in stats.weeks
        ]
        twin.plot(positions, shares, color=ADHERENCE_COLOUR, marker="o")
        twin.set_ylim(0, 105)
        twin.set_ylabel("stretch reminders done (%)", color=ADHERENCE_COLOUR)
        axes.set_title("Cramps per week (bars) and stretch reminders done (line)", fontsize=10)


def _hours(axes, stats: Stats) -> None:
    hours = list(range(24))
    colours = [
        NIGHT_COLOUR if (h >= NIGHT_START_HOUR or h < NIGHT_END_HOUR) else CRAMP_COLOUR
        for h in hours
    ]
    axes.bar(hours, stats.hours, color=colours, width=0.85)
    axes.set_xticks([0, 3, 6, 9, 12, 15, 18, 21], ["0", "3", "6", "9", "12", "15", "18", "21"])
    axes.set_xlim(-0.6, 23.6)
    axes.set_xlabel(f"hour of the day ({stats.tz_name})", fontsize=8)
    axes.set_title("Time of day (dark = night)", fontsize=10)
    axes.yaxis.get_major_locator().set_params(integer=True)


def _muscles(axes, stats: Stats) -> None:
    axes.set_title("Where", fontsize=10)
    if not stats.muscles:
        axes.text(0.5, 0.5, "no place recorded", ha="center", va="center",
                  transform=axes.transAxes, fontsize=9, color="grey")
        axes.set_axis_off()
        return
    names = [LOCATIONS[code] for code, _n in stats.muscles][::-1]
    counts = [n for _code, n in stats.muscles][::-1]
    axes.barh(names, counts, color=CRAMP_COLOUR)
    axes.tick_params(axis="y", labelsize=8)
    axes.xaxis.get_major_locator().set_params(integer=True)
