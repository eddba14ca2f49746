"""Suppliers, courses (one row per price period) and sessions, and their catalogue files.

Catalogue files are month-end exports that upsert: a course row appears when its price
period is announced (a month ahead) and again with valid_to once the next period is
announced; a session appears when it is planned (as `scheduled`) and again with its
final status (held / cancelled_by_supplier) in the export of the month it happens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from leerdata.contract import COURSES, DELIVERY_MODES, SESSIONS, SUPPLIERS
from leerdata.generate.frames import cents_to_text, text
from leerdata.generate.org import Organisation, seed_categories
from leerdata.generate.pools import COMMON_CITIES, NamePools
from leerdata.generate.scales import SHARED_DEPARTMENTS, Calendar, ScaleSpec

INTERNAL_SUPPLIER_ID = "SUP000"
ENROLMENTS_PER_EMPLOYEE_YEAR = 2.0
MEAN_PARTICIPANTS = 8.0
SUPPLIER_CANCEL_SHARE = 0.03
FUTURE_DAYS = 92  # sessions are planned up to three months beyond AS_OF

TITLES = {
    "LEID": (
        "Coachend leidinggeven",
        "Leidinggeven aan verandering",
        "Startend leidinggevende",
        "Situationeel leiderschap",
        "Leiderschap in de publieke sector",
    ),
    "COMM": (
        "Effectief communiceren",
        "Onderhandelen",
        "Samenwerken in netwerken",
        "Presenteren met impact",
        "Omgaan met weerstand",
    ),
    "DIGI": (
        "Werken met Microsoft 365",
        "Excel voor gevorderden",
        "Digitale vaardigheden",
        "Informatiebeveiliging in de praktijk",
        "Werken met AI-assistenten",
    ),
    "DATA": (
        "Data-analyse met Python",
        "Datagedreven beleid",
        "Basis SQL",
        "Dashboards bouwen",
        "Statistiek voor beleidsmakers",
    ),
    "BELEID": (
        "Beleidsanalyse",
        "Wetgevingstechniek",
        "Het politiek-bestuurlijk speelveld",
        "Beleid en uitvoering",
        "Europese besluitvorming",
    ),
    "FIN": (
        "Rijksbegroting in de praktijk",
        "Financieel management",
        "Inkoop en aanbesteden",
        "Control en risicomanagement",
        "Kosten-batenanalyse",
    ),
    "PROJ": (
        "Projectmatig werken",
        "Prince2 Foundation",
        "Agile werken",
        "Programmamanagement",
        "Scrum in de overheid",
    ),
    "INTEG": (
        "Integriteit en ambtelijk vakmanschap",
        "Security awareness",
        "Omgaan met agressie",
        "Privacy en de AVG",
        "Morele oordeelsvorming",
    ),
    "TAAL": (
        "Helder schrijven",
        "Schrijven voor de Kamer",
        "Engels voor beleidsmedewerkers",
        "Taalniveau B1",
        "Adviezen schrijven",
    ),
    "VITAAL": (
        "Loopbaanoriëntatie",
        "Veerkracht en werkplezier",
        "Omgaan met werkdruk",
        "Mindfulness op het werk",
        "Regie op je loopbaan",
    ),
}
TITLE_SUFFIXES = ("", "", " (basis)", " (verdieping)", " masterclass", " voor leidinggevenden")
SUPPLIER_SUFFIXES = (
    "Opleidingen",
    "Academie",
    "Training & Advies",
    "Instituut",
    "Leergroep",
    "Learning B.V.",
    "Coaching B.V.",
)


@dataclass
class Catalogue:
    suppliers: pl.DataFrame  # contract columns + iban, supplier_idx
    courses: pl.DataFrame  # one row per course: course_idx, course_id, title, ... (base attributes)
    periods: pl.DataFrame  # course_idx, valid_from, valid_to, price_cents
    sessions: pl.DataFrame  # session_idx, session_id, course_idx, start_date, end_date, ...
    files: dict[str, pl.DataFrame]  # emitted rows per source with a `_file` export index


def _round_to(values: np.ndarray, step: int) -> np.ndarray:
    return (np.round(values / step) * step).astype(np.int64)


def _iban(bank: str, account: int) -> str:
    # NL IBAN with a valid mod-97 check: NLkk BANK 0123456789.
    digits = "".join(str(ord(ch) - 55) for ch in bank) + f"{account:010d}" + "2321" + "00"
    check = 98 - int(digits) % 97
    return f"NL{check:02d}{bank}{account:010d}"


def build_suppliers(spec: ScaleSpec, pools: NamePools, rng: np.random.Generator) -> pl.DataFrame:
    n = spec.external_suppliers
    kvk = rng.choice(np.arange(10_000_000, 100_000_000, 7919), size=n, replace=False)
    base = pools.companies[rng.choice(len(pools.companies), size=n, replace=False)]
    suffix = np.array(SUPPLIER_SUFFIXES, dtype=object)[rng.integers(0, len(SUPPLIER_SUFFIXES), n)]
    banks = np.array(["ABNA", "INGB", "RABO", "TRIO", "SNSB"])[rng.integers(0, 5, n)]
    accounts = rng.integers(100_000_000, 9_999_999_999, n)
    return pl.DataFrame(
        {
            "supplier_idx": np.arange(n + 1),
            "supplier_id": [INTERNAL_SUPPLIER_ID] + [f"SUP{i:03d}" for i in range(1, n + 1)],
            "name": ["Leer- en Ontwikkelplein (interne trainers)"]
            + [f"{b} {s}" for b, s in zip(base, suffix, strict=True)],
            "kvk_number": [None] + [f"{k:08d}" for k in kvk],
            "vat_number": [None]
            + [f"NL{v:09d}B01" for v in rng.integers(1_000_000, 999_999_999, n)],
            "is_internal": [True] + [False] * n,
            "iban": [None] + [_iban(b, int(a)) for b, a in zip(banks, accounts, strict=True)],
        }
    )


def build_courses(
    spec: ScaleSpec,
    cal: Calendar,
    org: Organisation,
    pools: NamePools,
    n_external: int,
    rng: np.random.Generator,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = spec.courses
    categories = np.array(seed_categories(), dtype=object)
    category = categories[rng.integers(0, len(categories), n)]
    base_title = np.array(
        [TITLES.get(c, TITLES["COMM"])[rng.integers(0, 5)] for c in category], dtype=object
    )
    suffix = np.array(TITLE_SUFFIXES, dtype=object)[rng.integers(0, len(TITLE_SUFFIXES), n)]
    internal = rng.random(n) < 0.25
    supplier_weights = 1.0 / np.arange(1, n_external + 1) ** 0.7
    supplier_idx = np.where(
        internal, 0, rng.choice(n_external, size=n, p=supplier_weights / supplier_weights.sum()) + 1
    )
    # Guarantee every external supplier has at least one course.
    ext_positions = np.nonzero(~internal)[0]
    supplier_idx[ext_positions[: min(n_external, len(ext_positions))]] = np.arange(
        1, min(n_external, len(ext_positions)) + 1
    )
    shared = np.array([c for c in org.codes if c in SHARED_DEPARTMENTS], dtype=object)
    codes = np.array(org.codes, dtype=object)
    owner = np.where(
        internal | (rng.random(n) < 0.5),
        shared[rng.integers(0, len(shared), n)],
        codes[rng.choice(len(codes), size=n, p=org.weights)],
    )
    mode = rng.choice(np.array(DELIVERY_MODES, dtype=object), size=n, p=[0.45, 0.2, 0.2, 0.15])
    days = np.select(
        [mode == "classroom", mode == "blended"],
        [rng.choice([1, 2, 3], size=n, p=[0.6, 0.3, 0.1]), np.full(n, 2)],
        default=1,
    )
    hours = np.select(
        [mode == "classroom", mode == "blended", mode == "webinar"],
        [days * 6.5, days * 6.0 + 4, rng.choice([1.5, 2.0, 3.0], size=n)],
        default=rng.integers(2, 17, n).astype(float),
    )
    per_session = (mode != "e-learning") & (rng.random(n) < 0.2)
    per_participant_price = np.select(
        [mode == "classroom", mode == "blended", mode == "webinar"],
        [days * rng.uniform(250, 650, n), days * rng.uniform(400, 700, n), rng.uniform(75, 250, n)],
        default=rng.uniform(50, 400, n),
    )
    price_eur = np.where(
        per_session,
        _round_to(days * rng.uniform(1800, 4500, n), 50),
        _round_to(per_participant_price, 5),
    )
    price_eur = np.where(internal, _round_to(price_eur * 0.6, 5), price_eur)
    vat_rate = np.where(internal, 0, np.where(rng.random(n) < 0.6, 21, 0))
    introduced = np.where(
        rng.random(n) < 0.7,
        cal.start - rng.integers(30, 1500, n).astype("timedelta64[D]"),
        cal.start + (rng.random(n) * 0.8 * cal.months * 30).astype("timedelta64[D]"),
    )
    trainer = np.array(
        [
            f"{f} {lname}"
            for f, lname in zip(
                np.where(
                    rng.random(n) < 0.5,
                    pools.male_first[rng.integers(0, len(pools.male_first), n)],
                    pools.female_first[rng.integers(0, len(pools.female_first), n)],
                ),
                pools.last[rng.integers(0, len(pools.last), n)],
                strict=True,
            )
        ],
        dtype=object,
    )
    courses = pl.DataFrame(
        [
            pl.Series("course_idx", np.arange(n)),
            pl.Series("course_id", [f"CRS{i:05d}" for i in range(1, n + 1)]),
            text("title", base_title + suffix),
            pl.Series("supplier_idx", supplier_idx),
            text("owner_department_code", owner),
            text("category_code", category),
            text("delivery_mode", mode),
            pl.Series("duration_hours", np.round(hours * 100).astype(np.int64)),  # in 1/100 h
            text("pricing_model", np.where(per_session, "per_session", "per_participant")),
            pl.Series("vat_rate", vat_rate.astype(np.int64)),
            pl.Series("free_cancellation_days", rng.choice([7, 14, 28], size=n, p=[0.3, 0.4, 0.3])),
            pl.Series(
                "late_cancellation_fee_pct", rng.choice([50, 75, 100], size=n, p=[0.5, 0.1, 0.4])
            ),
            pl.Series("has_exam", rng.random(n) < 0.2),
            pl.Series("introduced", introduced.astype("datetime64[D]")),
            pl.Series("days", days.astype(np.int64)),
            pl.Series("is_internal", internal),
            pl.Series("popularity", rng.pareto(1.5, n) + 0.3),
            text("trainer_name", trainer),
            pl.Series("quality", rng.normal(0, 1, n)),
        ]
    )
    # Price periods: a price change on some 1 Januaries (and a few 1 Julies) after introduction.
    course_idx, valid_from, price = [], [], []
    years = range(int(str(cal.start)[:4]), int(str(cal.as_of)[:4]) + 1)
    for i in range(n):
        current = int(price_eur[i]) * 100
        course_idx.append(i)
        valid_from.append(introduced[i])
        price.append(current)
        for year in years:
            for month, chance in ((1, 0.55), (7, 0.08)):
                change = np.datetime64(f"{year}-{month:02d}-01")
                if (
                    introduced[i] + np.timedelta64(60, "D") < change <= cal.as_of
                    and rng.random() < chance
                ):
                    current = (
                        int(_round_to(np.array([current / 100 * rng.uniform(1.02, 1.09)]), 5)[0])
                        * 100
                    )
                    course_idx.append(i)
                    valid_from.append(change)
                    price.append(current)
    periods = pl.DataFrame(
        {
            "course_idx": np.array(course_idx),
            "valid_from": np.array(valid_from, dtype="datetime64[D]"),
            "price_cents": np.array(price, dtype=np.int64),
        }
    ).with_columns(
        (pl.col("valid_from").shift(-1).over("course_idx") - pl.duration(days=1)).alias("valid_to")
    )
    return courses, periods


def _random_business_days(
    first: np.ndarray, days: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A random weekday in the month from `first`, moved so a multi-day session fits a week."""
    n_busdays = np.busday_count(first, (first.astype("datetime64[M]") + 1).astype("datetime64[D]"))
    start = np.busday_offset(
        first, (rng.random(len(first)) * n_busdays).astype(np.int64), roll="forward"
    )
    weekday = (start.astype(np.int64) - 4) % 7  # 0 = Monday
    too_late = weekday + days - 1 > 4
    return np.where(too_late, start - (weekday + days - 5).astype("timedelta64[D]"), start)


def build_sessions(
    spec: ScaleSpec,
    cal: Calendar,
    courses: pl.DataFrame,
    pools: NamePools,
    rng: np.random.Generator,
) -> pl.DataFrame:
    months = cal.months + 3
    per_month = spec.headcount * ENROLMENTS_PER_EMPLOYEE_YEAR / 12 / MEAN_PARTICIPANTS
    weight = courses["popularity"].to_numpy()
    lam = per_month * weight / weight.sum()
    counts = rng.poisson(np.broadcast_to(lam, (months, len(lam))))  # month x course
    month_idx, course_idx = np.nonzero(counts)
    reps = counts[month_idx, course_idx]
    month_idx = np.repeat(month_idx, reps)
    course_idx = np.repeat(course_idx, reps)
    days = courses["days"].to_numpy()[course_idx]
    start = _random_business_days(cal.month_start(month_idx), days, rng)
    start = np.maximum(start, cal.start)
    start = np.busday_offset(start, 0, roll="forward")
    introduced = courses["introduced"].to_numpy().astype("datetime64[D]")[course_idx]
    keep = (start >= introduced) & (start <= cal.as_of + np.timedelta64(FUTURE_DAYS, "D"))
    start, course_idx, days = start[keep], course_idx[keep], days[keep]
    # Multi-day sessions must not run into a weekend after the clamping above.
    start = np.where(
        ((start.astype(np.int64) - 4) % 7) + days - 1 > 4,
        np.busday_offset(start, 0, roll="forward", weekmask="1000000"),
        start,
    )
    order = np.lexsort((course_idx, start))
    start, course_idx, days = start[order], course_idx[order], days[order]
    n = len(start)
    mode = courses["delivery_mode"].to_numpy()[course_idx]
    online = (mode == "e-learning") | (mode == "webinar")
    city = np.where(
        rng.random(n) < 0.85,
        np.array(COMMON_CITIES, dtype=object)[
            rng.choice(
                len(COMMON_CITIES), size=n, p=np.array([30, 20, 12, 10, 6, 6, 5, 5, 3, 3]) / 100
            )
        ],
        pools.places[rng.integers(0, len(pools.places), n)],
    )
    capacity = np.select(
        [mode == "classroom", mode == "blended", mode == "webinar"],
        [rng.integers(12, 25, n), rng.integers(12, 21, n), rng.integers(30, 151, n)],
        default=rng.integers(50, 301, n),
    )
    plan = start - rng.integers(60, 150, n).astype("timedelta64[D]")
    cancel_lead = rng.integers(3, 31, n).astype("timedelta64[D]")
    cancelled = rng.random(n) < SUPPLIER_CANCEL_SHARE
    # Every scale needs a few supplier cancellations to exercise SESSION_CANCELLED.
    pricing = courses["pricing_model"].to_numpy()[course_idx]
    external = ~courses["is_internal"].to_numpy()[course_idx]
    past = start <= cal.as_of - np.timedelta64(45, "D")
    for need, mask in ((4, pricing == "per_participant"), (2, pricing == "per_session")):
        pool = np.nonzero(external & past & mask & ~cancelled)[0]
        missing = need - int((cancelled & external & past & mask).sum())
        if missing > 0 and len(pool):
            cancelled[rng.choice(pool, size=min(missing, len(pool)), replace=False)] = True
    cancel_date = np.where(cancelled, start - cancel_lead, np.datetime64("NaT"))
    status = np.where(
        cancelled, "cancelled_by_supplier", np.where(start <= cal.as_of, "held", "scheduled")
    )
    # A future cancellation not yet decided on AS_OF is still 'scheduled'.
    status = np.where(cancelled & (cancel_date > cal.as_of), "scheduled", status)
    cancel_date = np.where(status == "cancelled_by_supplier", cancel_date, np.datetime64("NaT"))
    emitted = plan <= cal.as_of
    frame = pl.DataFrame(
        [
            pl.Series("course_idx", course_idx),
            pl.Series("start_date", start.astype("datetime64[D]")),
            pl.Series(
                "end_date", (start + (days - 1).astype("timedelta64[D]")).astype("datetime64[D]")
            ),
            pl.Series("days", days.astype(np.int64)),
            text("location", np.where(online, "Online", city)),
            pl.Series("capacity", capacity.astype(np.int64)),
            text("status", status),
            pl.Series("plan_date", plan.astype("datetime64[D]")),
            pl.Series("cancel_date", cancel_date.astype("datetime64[D]")),
        ]
    ).filter(pl.Series(emitted))
    return frame.with_row_index("session_idx").with_columns(
        pl.format("SES{}", (pl.col("session_idx") + 1).cast(pl.String).str.zfill(7)).alias(
            "session_id"
        ),
        pl.col("session_idx").cast(pl.Int64),
    )


def _export_index(cal: Calendar, dates: pl.Expr) -> pl.Expr:
    """Month-end export that first carries something dated `dates` (before the window: 0)."""
    first = np.datetime64(cal.first_month, "D").astype(object)
    months = (dates.dt.year() - first.year) * 12 + dates.dt.month() - first.month
    # max_horizontal would turn a null (no date) into 0: keep it null.
    return pl.when(dates.is_not_null()).then(pl.max_horizontal(months, pl.lit(0))).cast(pl.Int64)


def catalogue_files(cat: Catalogue, cal: Calendar) -> dict[str, pl.DataFrame]:
    last = cal.months - 1
    sup = cat.suppliers
    suppliers = pl.concat(
        [sup.with_columns(pl.lit(k, dtype=pl.Int64).alias("_file")) for k in range(cal.months)]
    )
    periods = cat.periods.with_columns(
        _export_index(cal, pl.col("valid_from") - pl.duration(days=31)).alias("announce"),
        _export_index(cal, pl.col("valid_to") + pl.duration(days=1 - 31)).alias("closed"),
    )
    opened = periods.with_columns(
        pl.col("announce").alias("_file"), pl.lit(None, dtype=pl.Date).alias("valid_to")
    )
    opened = opened.filter(pl.col("closed").is_null() | (pl.col("closed") != pl.col("announce")))
    closed = periods.filter(pl.col("valid_to").is_not_null()).with_columns(
        pl.col("closed").alias("_file")
    )
    course_rows = (
        pl.concat([opened, closed], how="diagonal_relaxed")
        .filter(pl.col("_file") <= last)
        .join(cat.courses, on="course_idx", maintain_order="left")
        .join(sup.select("supplier_idx", "supplier_id"), on="supplier_idx", maintain_order="left")
        .with_columns(
            cents_to_text(pl.col("duration_hours")).alias("duration_hours"),
            cents_to_text(pl.col("price_cents")).alias("price_eur"),
        )
        .sort("_file", "course_id", "valid_from")
    )
    sessions = cat.sessions.join(
        cat.courses.select("course_idx", "course_id"), on="course_idx", maintain_order="left"
    )
    planned = sessions.with_columns(
        _export_index(cal, pl.col("plan_date")).alias("_file"),
        pl.lit("scheduled").alias("status_row"),
    )
    status_date = (
        pl.when(pl.col("status") == "cancelled_by_supplier")
        .then(pl.col("cancel_date"))
        .otherwise(pl.col("start_date"))
    )
    final = sessions.filter(pl.col("status") != "scheduled").with_columns(
        _export_index(cal, status_date).alias("_file"), pl.col("status").alias("status_row")
    )
    session_rows = (
        pl.concat([planned, final])
        .unique(["session_id", "_file"], keep="last", maintain_order=True)
        .filter(pl.col("_file") <= last)
        .with_columns(pl.col("status_row").alias("status"))
        .sort("_file", "session_id")
    )
    return {
        "suppliers": suppliers.select([*SUPPLIERS.column_names, "_file"]),
        "courses": course_rows.select([*COURSES.column_names, "_file"]),
        "sessions": session_rows.select([*SESSIONS.column_names, "_file"]),
    }


def build_catalogue(
    spec: ScaleSpec, cal: Calendar, org: Organisation, pools: NamePools, rng: np.random.Generator
) -> Catalogue:
    suppliers = build_suppliers(spec, pools, rng)
    courses, periods = build_courses(spec, cal, org, pools, spec.external_suppliers, rng)
    sessions = build_sessions(spec, cal, courses, pools, rng)
    cat = Catalogue(suppliers, courses, periods, sessions, {})
    cat.files = catalogue_files(cat, cal)
    return cat
