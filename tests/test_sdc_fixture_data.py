"""A small, seeded restricted database written straight into the raw tables.

The evaluation and participation marts are tested on it without waiting for the
generator: a few hundred persons in three departments, courses of two suppliers and
three categories, sessions over five quarters, enrolments with every status, attendance,
exam results and evaluations. Internal suppliers only, so cost allocation needs no
invoices. The one test here checks the builder itself.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from leerdata.ingest.schema import create_raw_tables, raw_table_columns

DEPARTMENTS = {"VWS": ["DIR-A", "DIR-B", "DIR-C"], "OCW": ["DIR-D", "DIR-E"], "SZW": ["DIR-F"]}
CATEGORIES = ["LEID", "DIGI", "TAAL"]
MODES = ["classroom", "e-learning", "blended"]
FIRST_DAY = date(2024, 1, 8)


def _rows(table: str, rows: list[dict], batch: int, file_name: str, file_date: date) -> list:
    columns = [name for name, _ in raw_table_columns()[table]]
    out = []
    for line, row in enumerate(rows, start=2):
        row = {**row, "_batch_id": batch, "_file_name": file_name}
        row |= {"_file_date": file_date, "_line_number": line}
        out.append([row.get(c) for c in columns])
    return out


def write_restricted(db_file: Path, persons: int = 420, seed: int = 3) -> None:
    rng = random.Random(seed)
    people = []
    for i in range(persons):
        dept = rng.choices(list(DEPARTMENTS), weights=[5, 3, 1])[0]
        people.append(
            {
                "employee_id": f"E{i:05d}",
                "department_code": dept,
                "directorate": rng.choice(DEPARTMENTS[dept]),
                "last_name": f"Naam{i}",
                "email": f"p{i}@example.org",
                "gender": rng.choice(["M", "F", "F", "X", None]),
                "birth_date": date(rng.randint(1960, 2001), rng.randint(1, 12), 1),
                "birth_place": "Utrecht",
                "hire_date": date(2015, 1, 1),
                "salary_scale": rng.randint(5, 15),
            }
        )
    suppliers = [
        {"supplier_id": "SUP-IN", "name": "Eigen trainers", "is_internal": True},
        {"supplier_id": "SUP-IN2", "name": "Academie", "is_internal": True},
    ]
    courses, sessions = [], []
    for c in range(12):
        course_id = f"C{c:03d}"
        courses.append(
            {
                "course_id": course_id,
                "title": f"Cursus {c}",
                "supplier_id": suppliers[c % 2]["supplier_id"],
                "owner_department_code": "VWS",
                "category_code": CATEGORIES[c % 3],
                "delivery_mode": MODES[c % 3],
                "duration_hours": 8 + c,
                "pricing_model": "per_participant",
                "price_eur": 100 + 25 * c,
                "vat_rate": 0,
                "free_cancellation_days": 14,
                "late_cancellation_fee_pct": 50,
                "has_exam": c % 2 == 0,
                "valid_from": date(2023, 1, 1),
            }
        )
        for s in range(5):
            start = FIRST_DAY + timedelta(days=91 * s + 7 * c)
            sessions.append(
                {
                    "session_id": f"S{c:03d}-{s}",
                    "course_id": course_id,
                    "start_date": start,
                    "end_date": start + timedelta(days=1),
                    "days": 2,
                    "location": "Den Haag",
                    "capacity": 40,
                    "status": "held",
                }
            )
    # Popular courses get many enrolments, rare ones a handful: small cells on purpose.
    popularity = [40, 30, 25, 18, 14, 12, 9, 7, 5, 4, 3, 2]
    enrolments, attendance, exams, evaluations = [], [], [], []
    statuses = ["completed"] * 14 + ["no_show", "cancelled", "waitlisted", "enrolled"]
    for session in sessions:
        c = int(session["course_id"][1:])
        for p in rng.sample(people, popularity[c]):
            e = len(enrolments)
            status = rng.choice(statuses)
            requested = datetime.combine(session["start_date"], datetime.min.time()) - timedelta(
                days=rng.randint(20, 60)
            )
            enrolments.append(
                {
                    "enrolment_id": f"N{e:06d}",
                    "employee_id": p["employee_id"],
                    "session_id": session["session_id"],
                    "status": status,
                    "requested_at": requested,
                    "approved_at": requested + timedelta(days=rng.randint(1, 9))
                    if status != "waitlisted"
                    else None,
                    "cancelled_at": requested + timedelta(days=15)
                    if status == "cancelled"
                    else None,
                    "updated_at": requested + timedelta(days=30),
                }
            )
            if status in ("completed", "no_show"):
                for d in range(2):
                    attendance.append(
                        {
                            "enrolment_id": f"N{e:06d}",
                            "session_date": session["start_date"] + timedelta(days=d),
                            "present": status == "completed" and rng.random() < 0.95,
                        }
                    )
            if status == "completed" and c % 2 == 0:
                score = rng.randint(40, 100)
                exams.append(
                    {
                        "exam_result_id": f"X{e:06d}",
                        "enrolment_id": f"N{e:06d}",
                        "exam_date": session["end_date"],
                        "attempt": 1,
                        "score": score,
                        "passed": score >= 55,
                    }
                )
            if status == "completed" and rng.random() < 0.6:
                evaluations.append(
                    {
                        "evaluation_id": f"V{e:06d}",
                        "enrolment_id": f"N{e:06d}" if rng.random() < 0.8 else None,
                        "session_id": session["session_id"],
                        "submitted_at": requested + timedelta(days=70),
                        "overall": rng.randint(4, 10),
                        "content": 4,
                        "trainer": 4,
                        "relevance": 3,
                        "recommend": rng.randint(3, 10),
                        "comment": "Jan de Vries was great",
                    }
                )
    snapshot = date(2023, 12, 31)
    tables = {
        "raw_hr": (people, "hr/hr_ALL_20231231.csv"),
        "raw_suppliers": (suppliers, "catalogue/suppliers_20231231.csv"),
        "raw_courses": (courses, "catalogue/courses_20231231.csv"),
        "raw_sessions": (sessions, "catalogue/sessions_20231231.csv"),
        "raw_enrolments": (enrolments, "lms/enrolments_20250601.csv"),
        "raw_attendance": (attendance, "lms/attendance_20250601.csv"),
        "raw_exam_results": (exams, "lms/exam_results_20250601.csv"),
        "raw_evaluations": (evaluations, "lms/evaluations_20250601.csv"),
    }
    db_file.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(db_file)) as con:
        create_raw_tables(con)
        for batch, (table, (rows, file_name)) in enumerate(tables.items(), start=1):
            values = _rows(table, rows, batch, file_name, snapshot)
            placeholders = ", ".join("?" for _ in values[0])
            con.executemany(f"insert into {table} values ({placeholders})", values)
            con.execute(
                "insert into load_manifest (batch_id, source, file_name, rows_read, "
                "rows_loaded, rows_quarantined, is_conserved, status) "
                "values (?, ?, ?, ?, ?, 0, true, 'loaded')",
                [batch, table.removeprefix("raw_"), file_name, len(rows), len(rows)],
            )


def test_builder_writes_every_table(tmp_path: Path) -> None:
    db = tmp_path / "restricted.duckdb"
    write_restricted(db, persons=50)
    with duckdb.connect(str(db), read_only=True) as con:
        for table in ("raw_hr", "raw_enrolments", "raw_evaluations", "load_manifest"):
            (count,) = con.execute(f"select count(*) from {table}").fetchone()
            assert count > 0, table
