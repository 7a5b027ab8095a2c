"""Write docs/images/stats-chart.png and docs/images/doctor-summary.png (diary examples).

    .venv/bin/python docs/images/make_diary_images.py

A made-up but plausible diary (about 50 cramps in 90 days, mostly at night, a stretch
routine that gets followed more over time) goes through the same pure code /stats and
/export use: ``bot.diary.stats.compute``, ``bot.diary.chart.render_chart`` and
``bot.diary.report.render_pdf``. The PDF page is rasterised with poppler's ``pdftoppm``
(``apt-get install poppler-utils``); the PDF itself is written to a temporary file only.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.diary.chart import render_chart  # noqa: E402
from bot.diary.report import ReportData, render_pdf  # noqa: E402
from bot.diary.stats import EpisodeRecord, TriageRecord, compute  # noqa: E402

HERE = Path(__file__).parent
TZ = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def diary() -> tuple[list[EpisodeRecord], dict]:
    rng = random.Random(11)
    records: list[EpisodeRecord] = []
    adherence = {}
    for back in range(90):
        day = (NOW - timedelta(days=back)).astimezone(TZ).date()
        routine = min(1.0, 0.35 + (90 - back) / 120)  # stretching more as weeks go by
        done = sum(rng.random() < routine for _ in range(3))
        adherence[day] = (3, done)
        chance = 0.9 - 0.55 * routine
        if rng.random() < chance:
            hour = rng.choice([1, 2, 3, 3, 4, 5, 6, 23, 22, 15])
            started = datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=TZ)
            if started.astimezone(UTC) > NOW:
                continue
            helped = tuple(rng.sample(["stretch", "stretch", "massage", "walk", "heat"], 2))
            records.append(EpisodeRecord(
                started_at=started.astimezone(UTC),
                location=rng.choice(["calf", "calf", "calf", "foot", "back_thigh"]),
                side=rng.choice(["left", "left", "right", "both"]),
                severity=rng.randint(3, 9),
                duration=rng.choice(["lt1", "1to5", "1to5", "1to5", "5to10"]),
                context="sleep" if hour < 7 or hour > 21 else rng.choice(["rest", "exercise"]),
                helped=tuple(dict.fromkeys(helped)),
                helped_rating=3 if "stretch" in helped else rng.randint(0, 2),
            ))
    return sorted(records, key=lambda r: r.started_at), adherence


def main() -> None:
    records, adherence = diary()
    triage = [
        TriageRecord(datetime(2026, 3, 2, 9, 30, tzinfo=UTC), "ROUTINE", ("RF-R1",),
                     (("Do the cramps wake you up at night?", "yes", ("RF-R1",)),)),
        TriageRecord(datetime(2026, 1, 20, 21, 5, tzinfo=UTC), "SELF_CARE", ()),
    ]
    stats_30 = compute(records, days=30, now=NOW, tz=TZ, adherence=adherence,
                       last_triage=triage[0])
    (HERE / "stats-chart.png").write_bytes(render_chart(stats_30))
    stats_90 = compute(records, days=90, now=NOW, tz=TZ, adherence=adherence,
                       last_triage=triage[0])
    pdf = render_pdf(ReportData(
        stats=stats_90, generated_at=NOW.astimezone(TZ), first_name="Alex",
        all_time_total=len(records), first_logged=records[0].started_at.astimezone(TZ),
        triage=triage, medicines=["statins (e.g. simvastatin)", "diuretics"],
    ))
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise SystemExit("pdftoppm not found: apt-get install -y poppler-utils")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "summary.pdf"
        source.write_bytes(pdf)
        subprocess.run([tool, "-png", "-r", "110", "-singlefile", str(source),
                        str(HERE / "doctor-summary")], check=True)
    print(f"{len(records)} cramps; wrote stats-chart.png and doctor-summary.png in {HERE}")


if __name__ == "__main__":
    main()
