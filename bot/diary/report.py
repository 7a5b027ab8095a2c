"""The export: every episode as CSV, and a one-page PDF summary for a doctor (fpdf2).

The PDF shows the period, frequency, time-of-day pattern, muscles, severity, duration,
what was tried and how it helped, the symptom checks with the answers that raised red
flags, the medicines flagged in the causes explorer, and the disclaimer. Lists are capped
so the summary always fits on one A4 page. Text uses DejaVu Sans (shipped with matplotlib)
so names and medicines in Latin, Greek or Cyrillic script print (a glyph DejaVu lacks,
e.g. CJK, is left blank with a warning, never an error).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bot.diary.advice import DiaryAdvice, load_advice
from bot.diary.chart import render_compact_chart
from bot.diary.stats import DAY_PARTS, EpisodeRecord, Stats, TriageRecord, summary_lines
from bot.diary.vocab import (
    CONTEXTS,
    DURATIONS,
    LOCATIONS,
    RATINGS,
    REMEDIES,
    SIDES,
    SOURCES,
    night_of,
)

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"
DISCLAIMER = (
    "Made by Cramp Companion from what the user logged. Information only, not a diagnosis: "
    "it does not replace a doctor's assessment."
)
MAX_TRIAGE = 4
MAX_FLAGS_PER_CHECK = 4
MAX_MEDICINES = 12
CSV_COLUMNS = (
    "id", "started_local", "started_utc", "night_of", "location", "side", "severity",
    "duration", "context", "what_helped", "how_much_it_helped", "logged_via", "logged_utc",
)


@dataclass
class ReportData:
    """What the doctor's summary needs besides the statistics."""

    stats: Stats
    generated_at: datetime
    first_name: str | None = None
    all_time_total: int = 0
    first_logged: datetime | None = None
    triage: list[TriageRecord] = field(default_factory=list)  # newest first
    medicines: list[str] | None = None  # None: the causes explorer is not available
    advice: DiaryAdvice | None = None


def render_csv(records: Iterable[EpisodeRecord], tz: ZoneInfo) -> bytes:
    """Every episode, one row each, with labels a spreadsheet user can read (UTF-8 BOM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        local = record.started_at.astimezone(tz)
        helped = [REMEDIES.get(code, code) for code in record.helped]
        writer.writerow([
            record.id,
            local.strftime("%Y-%m-%d %H:%M"),
            record.started_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            night_of(local).isoformat(),
            LOCATIONS.get(record.location or "", ""),
            SIDES.get(record.side or "", ""),
            record.severity if record.severity is not None else "",
            DURATIONS.get(record.duration or "", ""),
            CONTEXTS.get(record.context or "", ""),
            "; ".join(helped),
            RATINGS.get(record.helped_rating, "") if record.helped_rating is not None else "",
            SOURCES.get(record.source, record.source),
            record.logged_at.strftime("%Y-%m-%dT%H:%M:%SZ") if record.logged_at else "",
        ])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


class _Summary(FPDF):
    """An A4 page with a heading style and labelled lines."""

    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.add_font(FONT, "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
        self.set_margins(16, 14, 16)
        self.set_auto_page_break(auto=False)
        self.set_title("Leg cramp diary: summary for a doctor")
        self.set_creator("Cramp Companion")
        self.add_page()

    def heading(self, text: str) -> None:
        self.ln(1.5)
        self.set_font(FONT, "B", 10.5)
        self.set_text_color(31, 59, 92)
        self.cell(0, 6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(190, 200, 215)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(0.8)
        self.set_text_color(0, 0, 0)

    def labelled(self, label: str, text: str) -> None:
        self.set_font(FONT, "B", 9)
        self.cell(42, 4.8, label)
        self.set_font(FONT, "", 9)
        self.multi_cell(0, 4.8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def plain(self, text: str, *, size: float = 9, style: str = "") -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(0, 4.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_pdf(data: ReportData) -> bytes:
    """The one-page summary for a doctor, as PDF bytes."""
    stats = data.stats
    advice = data.advice or load_advice()
    pdf = _Summary()
    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 8, "Leg cramp diary: summary for a doctor", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    who = f"{data.first_name} · " if data.first_name else ""
    pdf.plain(
        f"{who}Period: {stats.start:%d %b %Y} – {stats.end:%d %b %Y} ({stats.days} days) · "
        f"times in {stats.tz_name} · made {data.generated_at:%d %b %Y}",
        size=9,
    )
    if data.all_time_total:
        since = f" since {data.first_logged:%d %b %Y}" if data.first_logged else ""
        pdf.plain(f"All cramps ever logged: {data.all_time_total}{since} "
                  "(every one is in the CSV file).", size=8.5, style="I")

    pdf.heading("Frequency and pattern")
    _summary_block(pdf, stats)
    pdf.heading("Week by week")
    _weeks_table(pdf, stats)
    pdf.heading("What was tried and how it helped (the user's own ratings, 0–3)")
    _remedies_table(pdf, stats)
    pdf.heading("Symptom checks")
    _triage_block(pdf, data.triage, advice)
    pdf.heading("Medicines flagged in the causes explorer")
    _medicines_block(pdf, data.medicines)

    _chart(pdf, stats)

    pdf.set_y(pdf.h - 24)
    pdf.set_draw_color(190, 200, 215)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(1.5)
    pdf.plain(DISCLAIMER, size=8.5, style="I")
    return bytes(pdf.output())


def _chart(pdf: _Summary, stats: Stats) -> None:
    """The compact chart, if there are cramps and room left above the disclaimer."""
    width = pdf.w - pdf.l_margin - pdf.r_margin
    height = width * 2.5 / 8.0
    room = pdf.h - 27 - pdf.get_y()
    if not stats.total or room < 40:
        return
    if height > room - 3:
        width, height = (room - 3) * 8.0 / 2.5, room - 3
    pdf.ln(2)
    pdf.image(io.BytesIO(render_compact_chart(stats)), x=pdf.l_margin, w=width, h=height)


def _summary_block(pdf: _Summary, stats: Stats) -> None:
    lines = dict(summary_lines(stats))
    if not stats.total:
        pdf.labelled("Cramps", lines["Cramps"])
        return
    pdf.labelled("Cramps", lines["Cramps"])
    pdf.labelled("Nights with cramps", f"{stats.nights_with_cramps} of {stats.days} nights "
                                       f"({stats.night_cramps} cramps at night or from sleep)")
    parts = ", ".join(f"{label} {stats.day_parts.get(key, 0)}"
                      for key, label, _lo, _hi in DAY_PARTS)
    pdf.labelled("Time of day", parts)
    if "Context" in lines:
        pdf.labelled("Context", lines["Context"])
    if stats.muscles:
        sides = ", ".join(f"{SIDES[s]} {n}" for s, n in sorted(stats.sides.items()))
        pdf.labelled("Muscles", lines["Where"] + (f" (side: {sides})" if sides else ""))
    pdf.labelled("Severity", lines.get("Severity", "not rated"))
    if stats.durations:
        spread = ", ".join(f"{DURATIONS[c]} {n}" for c, n in stats.durations.items())
        pdf.labelled("Duration", f"{lines['Duration']}; {spread}")
    else:
        pdf.labelled("Duration", "not recorded")
    if stats.alarming:
        pdf.labelled("Long or unbearable", lines["Long or unbearable"])


def _weeks_table(pdf: _Summary, stats: Stats) -> None:
    rows: list[tuple[str, Sequence[str]]] = [
        ("Week from", [f"{w.start:%d %b}" for w in stats.weeks]),
        ("Cramps", [str(w.cramps) for w in stats.weeks]),
    ]
    if stats.has_adherence:
        rows.append(("Stretches done", [
            f"{w.reminders_done}/{w.reminders_sent}" if w.reminders_sent else "–"
            for w in stats.weeks
        ]))
    width = (pdf.w - pdf.l_margin - pdf.r_margin - 28) / max(1, len(stats.weeks))
    for label, cells in rows:
        pdf.set_font(FONT, "B", 8)
        pdf.cell(28, 4.6, label, border=1)
        pdf.set_font(FONT, "B" if label == "Week from" else "", 7.5)
        for text in cells:
            pdf.cell(width, 4.6, text, border=1, align="C")
        pdf.ln(4.6)
    if stats.has_adherence and stats.reminders_sent:
        pdf.plain(f"Stretch reminders marked done: {stats.reminders_done} of "
                  f"{stats.reminders_sent}.", size=8.5)
    elif not stats.has_adherence:
        pdf.plain("Stretch reminders: no data.", size=8.5)


def _remedies_table(pdf: _Summary, stats: Stats) -> None:
    if not stats.remedies:
        pdf.plain("Nothing recorded.")
        return
    widths = (52, 22, 22, 30, 40)
    header = ("Remedy", "Tried", "Rated", "Mean rating", "Verdict")
    pdf.set_font(FONT, "B", 8.5)
    for width, text in zip(widths, header, strict=True):
        pdf.cell(width, 4.8, text, border="B")
    pdf.ln(4.8)
    pdf.set_font(FONT, "", 8.5)
    for row in stats.remedies[: len(REMEDIES)]:
        mean = f"{row.mean_rating:.1f}" if row.mean_rating is not None else "–"
        cells = (row.label, str(row.tried), str(row.rated), mean, row.verdict)
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 4.6, text)
        pdf.ln(4.6)


def _triage_block(pdf: _Summary, results: list[TriageRecord], advice: DiaryAdvice) -> None:
    if not results:
        pdf.plain("None in this period.")
        return
    for result in results[:MAX_TRIAGE]:
        pdf.labelled(f"{result.finished_at:%d %b %Y}",
                     f"{result.level} ({result.level_label})")
        flags = list(result.flagged_answers)[:MAX_FLAGS_PER_CHECK]
        for question, answer, rf_ids in flags:
            labels = "; ".join(f"{rf} {advice.red_flag_label(rf)}" for rf in rf_ids)
            pdf.plain(f"      • {question} Answer: {answer} → {labels}", size=8.5)
        unexplained = [rf for rf in result.red_flags
                       if not any(rf in ids for _q, _a, ids in result.flagged_answers)]
        if unexplained:
            pdf.plain("      • red flags: " + "; ".join(
                f"{rf} {advice.red_flag_label(rf)}" for rf in unexplained[:MAX_FLAGS_PER_CHECK]),
                size=8.5)
        if not result.red_flags and not flags:
            pdf.plain("      • no red-flag answers", size=8.5)
    if len(results) > MAX_TRIAGE:
        pdf.plain(f"…and {len(results) - MAX_TRIAGE} earlier checks.", size=8.5, style="I")


def _medicines_block(pdf: _Summary, medicines: list[str] | None) -> None:
    if medicines is None:
        pdf.plain("Not available.")
    elif not medicines:
        pdf.plain("None flagged.")
    else:
        shown = medicines[:MAX_MEDICINES]
        more = f" (and {len(medicines) - MAX_MEDICINES} more)" if len(medicines) > len(shown) else ""
        pdf.plain(", ".join(shown) + more)
