"""Enrolments (as a timeline of events), attendance, exam results and evaluations.

Every enrolment gets a full timeline (requested → approved → enrolled → outcome). The LMS
exports are month-end deltas: an enrolment appears in every export in whose month one
of its events happened, with its state after the last such event, so most enrolments
are seen first as requested/enrolled and later with their final status. Events after
AS_OF are not exported (future sessions stay requested/approved/enrolled).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from leerdata.contract import ATTENDANCE, ENROLMENTS, EVALUATIONS
from leerdata.generate.catalogue import MEAN_PARTICIPANTS, Catalogue
from leerdata.generate.frames import MISSING, stamps, text
from leerdata.generate.hr import People
from leerdata.generate.scales import Calendar

# Final outcome mix for a session that takes place.
OUTCOMES = (
    "completed",
    "no_show",
    "cancel_in_time",
    "cancel_late",
    "waitlisted",
    "rejected",
    "requested",
    "approved",
)
OUTCOME_WEIGHTS = (0.78, 0.05, 0.055, 0.035, 0.03, 0.03, 0.01, 0.01)
LMS_LAG_DAYS = 12  # outcomes of the last days before AS_OF are often not recorded yet
PAYER_FILLED_SHARE = 0.08
NAT = np.datetime64("NaT", "m")

COMMENT_TEMPLATES = (
    ("Heel goede training, {trainer} legde alles helder uit.", "trainer"),
    ("{trainer} was erg betrokken en gaf praktische voorbeelden.", "trainer"),
    ("Samen met mijn collega {colleague} gevolgd; we gaan dit direct toepassen.", "colleague"),
    ("Ik zou deze cursus zeker aanraden aan {colleague}.", "colleague"),
    ("De trainer ({trainer}) had weinig tijd voor vragen.", "trainer"),
    ("Te veel theorie, te weinig oefenen.", None),
    ("De locatie was slecht bereikbaar met het ov.", None),
    ("Goede opbouw, maar de dag was te lang.", None),
    ("Nuttig voor mijn werk, de casussen sloten goed aan.", None),
    ("Het geluid viel tijdens de online delen soms weg.", None),
)


@dataclass
class Lms:
    enrolments: pl.DataFrame  # one row per enrolment with its final (AS_OF) state
    files: dict[str, pl.DataFrame]  # emitted rows per source with `_file`


def _minutes(days: np.ndarray) -> np.ndarray:
    return (np.asarray(days) * 24 * 60).astype("timedelta64[m]")


def _at(
    dates: np.ndarray, hour_from: float, hour_to: float, rng: np.random.Generator
) -> np.ndarray:
    minutes = (rng.uniform(hour_from, hour_to, len(dates)) * 60).astype(np.int64)
    return dates.astype("datetime64[m]") + minutes.astype("timedelta64[m]")


def _assign_people(
    session_month: np.ndarray, people: People, cal: Calendar, rng: np.random.Generator
) -> np.ndarray:
    person = np.empty(len(session_month), dtype=np.int64)
    for m in np.unique(session_month).tolist():
        rows = np.nonzero(session_month == m)[0]
        pool = np.nonzero(people.eligible(min(max(m, 0), cal.months - 1)))[0]
        person[rows] = pool[rng.integers(0, len(pool), len(rows))]
    return person


def build_enrolments(
    cat: Catalogue, people: People, cal: Calendar, rng: np.random.Generator
) -> pl.DataFrame:
    sessions = cat.sessions.join(
        cat.courses.select("course_idx", "free_cancellation_days"),
        on="course_idx",
        maintain_order="left",
    ).sort("session_idx")
    cap = sessions["capacity"].to_numpy()
    size = np.clip(rng.poisson(MEAN_PARTICIPANTS, len(cap)), 1, cap + 4)
    s_idx = np.repeat(sessions["session_idx"].to_numpy(), size)
    start = sessions["start_date"].to_numpy().astype("datetime64[D]")[s_idx]
    person = _assign_people(cal.month_of(start), people, cal, rng)
    _, first = np.unique(s_idx * 10_000_000 + person, return_index=True)
    keep = np.sort(first)
    s_idx, person = s_idx[keep], person[keep]
    n = len(s_idx)

    start = sessions["start_date"].to_numpy().astype("datetime64[D]")[s_idx]
    end = sessions["end_date"].to_numpy().astype("datetime64[D]")[s_idx]
    plan = sessions["plan_date"].to_numpy().astype("datetime64[D]")[s_idx]
    status = sessions["status"].to_numpy()[s_idx]
    cancel_date = sessions["cancel_date"].to_numpy().astype("datetime64[D]")[s_idx]
    fcd = sessions["free_cancellation_days"].to_numpy()[s_idx]
    supplier_cancelled = status == "cancelled_by_supplier"
    # A future session whose cancellation is not yet known behaves like any other here.
    outcome = np.array(OUTCOMES, dtype=object)[rng.choice(len(OUTCOMES), size=n, p=OUTCOME_WEIGHTS)]
    outcome = np.where(supplier_cancelled, "cancel_supplier", outcome)
    cancelled = np.isin(outcome, ["cancel_in_time", "cancel_late", "cancel_supplier"])

    lead = np.select(
        [outcome == "cancel_in_time", outcome == "cancel_late", outcome == "cancel_supplier"],
        [
            fcd + rng.integers(0, 31, n),
            (rng.random(n) * fcd).astype(np.int64),
            (start - cancel_date).astype(np.int64),
        ],
        default=0,
    )
    cancel_day = start - lead.astype("timedelta64[D]")
    t_can = np.where(lead == 0, _at(cancel_day, 7, 8.9, rng), _at(cancel_day, 8, 17.5, rng))
    plan_m = plan.astype("datetime64[m]") + np.timedelta64(9 * 60, "m")
    start_m = start.astype("datetime64[m]") + np.timedelta64(9 * 60, "m")

    # Requested: after planning; before the cancellation or at least 14 days ahead.
    room_days = np.maximum(
        (np.where(cancelled, t_can, start_m) - plan_m).astype(np.int64) / 1440.0, 1.0
    )
    ahead = np.where(cancelled, rng.uniform(1, 40, n), rng.uniform(14, 90, n))
    ahead = np.minimum(ahead, room_days * 0.98)
    t_req = np.where(cancelled, t_can, start_m) - _minutes(ahead)
    # Requests are made during office hours, on the day `ahead` points at.
    t_req = _at(t_req.astype("datetime64[D]"), 8, 17.5, rng)
    horizon = np.where(cancelled, t_can, start_m - np.timedelta64(60, "m"))
    t_req = np.minimum(np.maximum(t_req, plan_m), horizon - np.timedelta64(120, "m"))
    span = (horizon - t_req).astype(np.int64)
    t_app = t_req + (span * rng.uniform(0.05, 0.45, n)).astype("timedelta64[m]")
    t_enr = t_app + ((horizon - t_app).astype(np.int64) * rng.uniform(0.05, 0.6, n)).astype(
        "timedelta64[m]"
    )
    t_done = _at(end, 16, 18, rng)
    t_noshow = _at(end, 18, 19.5, rng)
    t_rej = t_req + (rng.uniform(0.2, 6, n) * 1440).astype("timedelta64[m]")
    t_wait = t_req + rng.integers(5, 120, n).astype("timedelta64[m]")

    # LMS lag: outcomes of sessions that just ended are often not recorded yet.
    recent = (end > cal.as_of - np.timedelta64(LMS_LAG_DAYS, "D")) & (end <= cal.as_of)
    lagging = recent & (rng.random(n) < 0.6) & np.isin(outcome, ["completed", "no_show"])

    passes_approval = np.isin(outcome, ["completed", "no_show", "approved"]) | cancelled
    passes_enrol = np.isin(outcome, ["completed", "no_show"]) | cancelled
    outcome_ts = np.select(
        [
            outcome == "completed",
            outcome == "no_show",
            cancelled,
            outcome == "rejected",
            outcome == "waitlisted",
        ],
        [t_done, t_noshow, t_can, t_rej, t_wait],
        default=NAT,
    ).astype("datetime64[m]")
    outcome_ts = np.where(lagging, NAT, outcome_ts)
    outcome_status = np.select(
        [
            outcome == "completed",
            outcome == "no_show",
            cancelled,
            outcome == "rejected",
            outcome == "waitlisted",
        ],
        ["completed", "no_show", "cancelled", "rejected", "waitlisted"],
        default="",
    )
    frame = pl.DataFrame(
        [
            pl.Series("session_idx", s_idx),
            pl.Series("person_idx", person),
            stamps("t_req", t_req),
            stamps("t_app", np.where(passes_approval, t_app, NAT)),
            stamps("t_enr", np.where(passes_enrol, t_enr, NAT)),
            stamps("t_out", outcome_ts),
            text("out_status", outcome_status),
            pl.Series("start_date", start),
        ]
    )
    frame = frame.sort("start_date", "session_idx", "t_req", "person_idx").with_row_index(
        "enrolment_idx"
    )
    frame = frame.with_columns(
        pl.col("enrolment_idx").cast(pl.Int64),
        pl.format("ENR{}", (pl.col("enrolment_idx") + 1).cast(pl.String).str.zfill(8)).alias(
            "enrolment_id"
        ),
    )
    as_of_end = pl.lit(np.datetime64(cal.as_of, "ms") + np.timedelta64(24 * 60 - 1, "m"))
    return frame.filter(pl.col("t_req") <= as_of_end).with_columns(
        *(
            pl.when(pl.col(c) <= as_of_end).then(pl.col(c)).alias(c)
            for c in ("t_app", "t_enr", "t_out")
        )
    )


def _events(enr: pl.DataFrame) -> pl.DataFrame:
    parts = [
        enr.select(
            "enrolment_idx", pl.col("t_req").alias("ts"), pl.lit("requested").alias("status")
        ),
        enr.select(
            "enrolment_idx", pl.col("t_app").alias("ts"), pl.lit("approved").alias("status")
        ),
        enr.select(
            "enrolment_idx", pl.col("t_enr").alias("ts"), pl.lit("enrolled").alias("status")
        ),
        enr.select(
            "enrolment_idx", pl.col("t_out").alias("ts"), pl.col("out_status").alias("status")
        ),
    ]
    return pl.concat(parts).filter(pl.col("ts").is_not_null())


def _export_of(cal: Calendar, ts: pl.Expr) -> pl.Expr:
    first = np.datetime64(cal.first_month, "D").astype(object)
    return pl.max_horizontal(
        (ts.dt.year() - first.year) * 12 + ts.dt.month() - first.month, pl.lit(0)
    ).cast(pl.Int64)


def finalise_enrolments(
    enr: pl.DataFrame, cat: Catalogue, people: People, cal: Calendar, rng: np.random.Generator
) -> pl.DataFrame:
    """Add the AS_OF status and the LMS columns that do not change between exports."""
    events = _events(enr)
    final = events.sort("enrolment_idx", "ts").group_by("enrolment_idx", maintain_order=True).last()
    enr = enr.join(
        final.rename({"ts": "updated_at", "status": "status"}),
        on="enrolment_idx",
        maintain_order="left",
    )
    n = enr.height
    person = enr["person_idx"].to_numpy()
    month = np.clip(
        cal.month_of(enr["start_date"].to_numpy().astype("datetime64[D]")), 0, cal.months - 1
    )
    codes = np.array(people.dept_codes, dtype=object)
    own = np.empty(n, dtype=np.int64)
    for m in np.unique(month).tolist():
        rows = month == m
        own[rows] = people.dept_at(int(m))[person[rows]]
    other = rng.integers(0, len(codes), n)
    payer = np.where(
        rng.random(n) < PAYER_FILLED_SHARE,
        np.where(rng.random(n) < 0.7, codes[own], codes[other]),
        MISSING,
    )
    return enr.with_columns(
        text("payer_department_code", payer),
        pl.when(pl.col("t_app").is_not_null())
        .then(
            pl.format(
                "LOP-{}-{}",
                pl.col("t_app").dt.year(),
                (pl.col("enrolment_idx") + 1).cast(pl.String).str.zfill(7),
            )
        )
        .alias("order_reference"),
        pl.Series("employee_id", people.static["employee_id"].to_numpy()[person]),
    )


def enrolment_rows(enr: pl.DataFrame, cal: Calendar) -> pl.DataFrame:
    """The delta rows: per enrolment and export month, the state after that month's last event."""
    events = _events(enr).with_columns(_export_of(cal, pl.col("ts")).alias("_file"))
    rows = (
        events.sort("enrolment_idx", "ts")
        .group_by("enrolment_idx", "_file", maintain_order=True)
        .last()
    )
    rows = rows.join(
        enr.select(
            "enrolment_idx",
            "enrolment_id",
            "employee_id",
            "session_idx",
            "t_req",
            "t_app",
            "t_out",
            "payer_department_code",
            "order_reference",
        ),
        on="enrolment_idx",
        maintain_order="left",
    )
    return rows.select(
        "enrolment_idx",
        "enrolment_id",
        "employee_id",
        "session_idx",
        "status",
        pl.col("t_req").alias("requested_at"),
        pl.when(pl.col("t_app") <= pl.col("ts")).then(pl.col("t_app")).alias("approved_at"),
        pl.when(pl.col("status") == "cancelled").then(pl.col("t_out")).alias("cancelled_at"),
        pl.when(pl.col("status") == "completed").then(pl.col("t_out")).alias("completed_at"),
        "payer_department_code",
        pl.when(pl.col("t_app") <= pl.col("ts"))
        .then(pl.col("order_reference"))
        .alias("order_reference"),
        pl.col("ts").alias("updated_at"),
        "_file",
    ).sort("_file", "enrolment_id")


def attendance_rows(
    enr: pl.DataFrame, sessions: pl.DataFrame, cal: Calendar, rng: np.random.Generator
) -> pl.DataFrame:
    done = enr.filter(pl.col("status").is_in(["completed", "no_show"])).join(
        sessions.select("session_idx", "end_date", "days"), on="session_idx", maintain_order="left"
    )
    days = done["days"].to_numpy()
    row = np.repeat(np.arange(done.height), days)
    day_no = np.arange(len(row)) - np.repeat(np.cumsum(days) - days, days)
    completed = done["status"].to_numpy()[row] == "completed"
    present = completed & ((day_no == 0) | (rng.random(len(row)) < 0.93))
    frame = pl.DataFrame(
        [
            pl.Series("enrolment_id", done["enrolment_id"].to_numpy()[row]),
            pl.Series(
                "session_date",
                done["start_date"].to_numpy().astype("datetime64[D]")[row]
                + day_no.astype("timedelta64[D]"),
            ),
            pl.Series("present", present),
            pl.Series("end_date", done["end_date"].to_numpy()[row]),
        ]
    )
    return (
        frame.with_columns(_export_of(cal, pl.col("end_date")).alias("_file"))
        .select([*ATTENDANCE.column_names, "_file"])
        .sort("_file", "enrolment_id", "session_date")
    )


def exam_rows(
    enr: pl.DataFrame, cat: Catalogue, cal: Calendar, rng: np.random.Generator
) -> pl.DataFrame:
    done = (
        enr.filter(pl.col("status") == "completed")
        .join(
            cat.sessions.select("session_idx", "course_idx", "end_date"),
            on="session_idx",
            maintain_order="left",
        )
        .join(cat.courses.select("course_idx", "has_exam"), on="course_idx", maintain_order="left")
        .filter(pl.col("has_exam"))
    )
    n = done.height
    end = done["end_date"].to_numpy().astype("datetime64[D]")
    date1 = end + rng.integers(0, 15, n).astype("timedelta64[D]")
    score1 = np.clip(np.round(rng.normal(70, 14, n), 1), 0, 100)
    failed = score1 < 55
    retake = failed & (rng.random(n) < 0.7)
    date2 = date1 + rng.integers(14, 43, n).astype("timedelta64[D]")
    score2 = np.clip(np.round(rng.normal(72, 11, n), 1), 0, 100)
    ids = done["enrolment_id"].to_numpy()
    frame = pl.DataFrame(
        {
            "enrolment_id": np.concatenate([ids, ids[retake]]),
            "exam_date": np.concatenate([date1, date2[retake]]),
            "attempt": np.concatenate([np.ones(n, np.int64), np.full(int(retake.sum()), 2)]),
            "score_tenths": np.round(np.concatenate([score1, score2[retake]]) * 10).astype(
                np.int64
            ),
        }
    ).filter(pl.col("exam_date") <= cal.as_of)
    frame = frame.sort("exam_date", "enrolment_id", "attempt").with_row_index("i")
    return frame.select(
        pl.format("EXR{}", (pl.col("i") + 1).cast(pl.String).str.zfill(8)).alias("exam_result_id"),
        "enrolment_id",
        "exam_date",
        "attempt",
        pl.format("{}.{}", pl.col("score_tenths") // 10, pl.col("score_tenths") % 10).alias(
            "score"
        ),
        (pl.col("score_tenths") >= 550).alias("passed"),
        _export_of(cal, pl.col("exam_date")).alias("_file"),
    ).sort("_file", "exam_result_id")


def evaluation_rows(
    enr: pl.DataFrame, cat: Catalogue, people: People, cal: Calendar, rng: np.random.Generator
) -> pl.DataFrame:
    done = (
        enr.filter(pl.col("status") == "completed")
        .join(
            cat.sessions.select("session_idx", "session_id", "course_idx", "end_date"),
            on="session_idx",
            maintain_order="left",
        )
        .join(
            cat.courses.select("course_idx", "quality", "trainer_name"),
            on="course_idx",
            maintain_order="left",
        )
    )
    done = done.filter(pl.Series(rng.random(done.height) < 0.45))
    n = done.height
    submitted = _at(
        done["end_date"].to_numpy().astype("datetime64[D]")
        + rng.integers(0, 11, n).astype("timedelta64[D]"),
        8,
        22,
        rng,
    )
    q = done["quality"].to_numpy()
    overall = np.clip(np.round(7.3 + 0.6 * q + rng.normal(0, 1.1, n)), 1, 10).astype(np.int64)

    def five() -> np.ndarray:
        return np.clip(np.round(3.8 + 0.4 * q + rng.normal(0, 0.8, n)), 1, 5).astype(np.int64)

    # Colleagues named in comments are real people from HR: free text is identifying.
    colleague_idx = rng.integers(0, people.static.height, n)
    static = people.static
    colleague = (
        static.select(
            pl.concat_str(
                [
                    pl.col("first_names").str.split(" ").list.first(),
                    pl.col("name_prefix"),
                    pl.col("last_name"),
                ],
                separator=" ",
                ignore_nulls=True,
            )
        )
        .to_series()
        .to_numpy()[colleague_idx]
    )
    template = rng.integers(0, len(COMMENT_TEMPLATES), n)
    texts = np.array([t for t, _ in COMMENT_TEMPLATES], dtype=object)[template]
    has_comment = rng.random(n) < 0.3
    comment = (
        pl.DataFrame(
            {"t": texts, "trainer": done["trainer_name"].to_numpy(), "colleague": colleague}
        )
        .select(
            pl.col("t")
            .str.replace("{trainer}", pl.col("trainer"), literal=True)
            .str.replace("{colleague}", pl.col("colleague"), literal=True)
        )
        .to_series()
        .to_numpy()
    )
    frame = pl.DataFrame(
        [
            text(
                "enrolment_id",
                np.where(rng.random(n) < 0.25, MISSING, done["enrolment_id"].to_numpy()),
            ),
            pl.Series("session_id", done["session_id"].to_numpy()),
            stamps("submitted_at", submitted),
            pl.Series("overall", overall),
            pl.Series("content", five()),
            pl.Series("trainer", five()),
            pl.Series("relevance", five()),
            pl.Series(
                "recommend",
                np.clip(overall + np.round(rng.normal(0, 1.2, n)).astype(np.int64), 0, 10),
            ),
            text("comment", np.where(has_comment, comment, MISSING)),
        ]
    ).filter(
        pl.col("submitted_at") <= pl.lit(np.datetime64(cal.as_of, "ms") + np.timedelta64(1439, "m"))
    )
    frame = frame.sort("submitted_at", "session_id").with_row_index("i")
    return (
        frame.with_columns(
            pl.format("EVL{}", (pl.col("i") + 1).cast(pl.String).str.zfill(8)).alias(
                "evaluation_id"
            ),
            _export_of(cal, pl.col("submitted_at")).alias("_file"),
        )
        .select([*EVALUATIONS.column_names, "_file"])
        .sort("_file", "evaluation_id")
    )


def build_lms(cat: Catalogue, people: People, cal: Calendar, rng: np.random.Generator) -> Lms:
    enr = build_enrolments(cat, people, cal, rng)
    enr = finalise_enrolments(enr, cat, people, cal, rng)
    rows = enrolment_rows(enr, cal).join(
        cat.sessions.select("session_idx", "session_id"), on="session_idx", maintain_order="left"
    )
    files = {
        "enrolments": rows.select([*ENROLMENTS.column_names, "_file"]).sort(
            "_file", "enrolment_id", "updated_at"
        ),
        "attendance": attendance_rows(enr, cat.sessions, cal, rng),
        "exam_results": exam_rows(enr, cat, cal, rng),
        "evaluations": evaluation_rows(enr, cat, people, cal, rng),
    }
    return Lms(enr, files)
