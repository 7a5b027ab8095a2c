"""The chart, the PDF and the CSV open back as valid files with the expected content."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PIL import Image
from pypdf import PdfReader

from bot.diary.advice import load_advice
from bot.diary.chart import render_chart, render_compact_chart
from bot.diary.report import DISCLAIMER, ReportData, render_csv, render_pdf
from bot.diary.stats import EpisodeRecord, TriageRecord, compute
from tests.diary.test_stats import LONDON, NOW, WEEK


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def test_chart_is_a_png_of_the_right_size() -> None:
    stats = compute(WEEK, days=30, now=NOW, tz=LONDON, adherence={NOW.date(): (3, 2)})
    png = render_chart(stats)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.verify()
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (800, 640)
    # Not blank: the bars are drawn in the cramp colour (#3b6ea8).
    colours = {colour for _count, colour in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    assert (0x3B, 0x6E, 0xA8) in colours
    compact = Image.open(io.BytesIO(render_compact_chart(stats)))
    assert compact.format == "PNG" and compact.size[0] > compact.size[1]


def test_chart_without_cramps_still_renders() -> None:
    png = render_chart(compute([], days=7, now=NOW, tz=LONDON))
    assert Image.open(io.BytesIO(png)).format == "PNG"


def report(**overrides) -> ReportData:
    stats = compute(WEEK, days=30, now=NOW, tz=LONDON, adherence={NOW.date(): (3, 2)})
    values = {
        "stats": stats,
        "generated_at": NOW,
        "first_name": "Alex",
        "all_time_total": 8,
        "first_logged": WEEK[-1].started_at,
        "triage": [
            TriageRecord(datetime(2026, 3, 8, 9, 0, tzinfo=UTC), "EMERGENCY", ("RF-E4",),
                         (("A cramp over 10 minutes, or unbearable pain", "yes", ("RF-E4",)),)),
            TriageRecord(datetime(2026, 2, 20, 9, 0, tzinfo=UTC), "ROUTINE", ("RF-R1",),
                         (("Do cramps wake you at night?", "yes", ("RF-R1",)),)),
        ],
        "medicines": ["statins", "diuretics"],
    }
    values.update(overrides)
    return ReportData(**values)


def test_pdf_is_one_page_with_every_section() -> None:
    pages, text = pdf_text(render_pdf(report()))
    assert pages == 1
    assert "Leg cramp diary: summary for a doctor" in text
    assert "Period: 09 Feb 2026 – 10 Mar 2026 (30 days)" in text
    assert "8 in 30 days (1.9 a week)" in text
    assert "Nights with cramps 5 of 30 nights" in text
    assert "calf 4" in text and "back of thigh 1" in text
    assert "average 7.0/10 (range 4–10, 7 rated)" in text  # 2 March counts in 30 days
    assert "typically 1–5 min" in text
    assert "stretching 3 2 2.5 a lot" in text  # remedy, tried, rated, mean, verdict
    assert "EMERGENCY (emergency care now)" in text
    assert "A cramp over 10 minutes, or unbearable pain Answer: yes" in text
    assert "RF-E4 " + load_advice().red_flag_label("RF-E4") in text
    assert "ROUTINE (book a doctor's appointment)" in text
    assert "statins, diuretics" in text
    assert "Stretch reminders marked done: 2 of 3." in text
    assert " ".join(DISCLAIMER.split()) in text


def test_pdf_handles_missing_sections_and_non_latin_names() -> None:
    empty = compute([], days=90, now=NOW, tz=LONDON)
    data = report(stats=empty, triage=[], medicines=None, first_name="Łukasz Ωμέγα Иван")
    pages, text = pdf_text(render_pdf(data))
    assert pages == 1
    assert "Łukasz Ωμέγα Иван" in text
    assert "none logged in these 90 days" in text
    assert "None in this period." in text and "Not available." in text
    assert "Stretch reminders: no data." in text


def test_pdf_stays_on_one_page_with_long_lists() -> None:
    many = [TriageRecord(datetime(2026, 3, d, tzinfo=UTC), "URGENT",
                         ("RF-U1", "RF-U2", "RF-U3"),
                         tuple((f"Question {i}", "yes", (f"RF-U{i % 3 + 1}",)) for i in range(9)))
            for d in range(1, 10)]
    data = report(triage=many, medicines=[f"medicine number {i}" for i in range(40)])
    pages, text = pdf_text(render_pdf(data))
    assert pages == 1
    assert "and 5 earlier checks" in text and "(and 28 more)" in text


def test_csv_has_every_episode_with_readable_labels() -> None:
    data = render_csv(WEEK, LONDON)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == len(WEEK)
    first = rows[0]
    assert first["started_local"] == "2026-03-04 02:00"
    assert first["started_utc"] == "2026-03-04T02:00:00Z"
    assert first["night_of"] == "2026-03-03"
    assert (first["location"], first["side"], first["severity"]) == ("calf", "left", "6")
    assert first["duration"] == "1–5 min" and first["context"] == "woke me from sleep"
    assert first["what_helped"] == "stretching" and first["how_much_it_helped"] == "a lot"
    assert rows[4]["what_helped"] == "nothing" and rows[4]["how_much_it_helped"] == ""
    assert rows[6]["location"] == "" and rows[6]["severity"] == "7"


def test_csv_times_follow_the_zone() -> None:
    record = EpisodeRecord(started_at=datetime(2026, 3, 10, 3, 30, tzinfo=UTC))
    rows = list(csv.DictReader(io.StringIO(
        render_csv([record], ZoneInfo("America/New_York")).decode("utf-8-sig"))))
    assert rows[0]["started_local"] == "2026-03-09 23:30"
    assert rows[0]["night_of"] == "2026-03-09"
