"""Build the national-scale benchmark data set in PostgreSQL, in a few minutes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peersupport_bench \\
        .venv/bin/python bench/build_dataset.py [--fresh] [--scale 0.1|1|3]

Creates the database if it is missing (``--fresh`` drops and recreates it), migrates it,
then fills it: 5 organisations, 7 programs, 100,000 participants, 5,000 cohorts,
100,000 sessions, 105,000 enrollments, about 2,000,000 attendance rows, about 400,000
survey administrations with 10 item answers each; ``--scale`` multiplies participants
and cohorts (and so every table under them) by its value. Running it again on a built database
changes nothing.

Speed comes from PostgreSQL doing the work: the small reference rows (organisations,
logins, programs, instruments, volunteers, partners) go through the ORM; the big tables
are filled by ``INSERT … SELECT generate_series`` with their foreign keys, unique
constraints and secondary indexes dropped first and put back afterwards, which checks
every row against them in one pass (a violated constraint fails the build).

Column semantics follow the models: ``cohort.organisation`` is its program's,
``administration.instrument_code`` its instrument's, cohorts' sessions are weekly from
the start date, attendance exists only for held sessions on or after ``enrolled_on``,
and every score is computed from its answers by the spec's rule (reverse items, up to
``max_missing`` missing items pro-rated, more missing leaves no score). Encrypted
participant names are a handful of Fernet tokens made with ``peersupport.fields.encrypt``
under the ``FIELD_ENCRYPTION_KEY`` of this run: pages decrypt them only when served
with the same key. Random values come from PostgreSQL's ``random()`` after
``setseed()``, with parallel query off, so a rebuild gives the same data.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common  # noqa: E402

#: Tables filled in bulk: their constraints and secondary indexes are rebuilt after loading.
BULK_MODELS = [
    "participants.Participant",
    "participants.Consent",
    "programs.Cohort",
    "participants.Enrollment",
    "groupsessions.Session",
    "groupsessions.Attendance",
    "surveys.Administration",
    "surveys.Answer",
    "participants.Referral",
]
BULK_M2M = [("programs.Cohort", "facilitators"), ("groupsessions.Session", "facilitators")]


def ensure_database(url: str, *, fresh: bool) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    conninfo = {
        "host": parts.hostname,
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
        "dbname": "postgres",
    }
    if parts.password:
        conninfo["password"] = parts.password
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            print(f"Dropping database {name}")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            print(f"Creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


# --- Inserting with INSERT … SELECT while honouring columns added by later migrations ---


def _column_defaults(model, provided: set[str]):
    """SQL and parameters for every concrete column not in ``provided``, from the field."""
    from django.db import connection
    from django.db.models.fields import NOT_PROVIDED
    from django.utils import timezone

    columns, exprs, params = [], [], []
    for field in model._meta.concrete_fields:
        column = field.column
        if column in provided or field.primary_key:
            continue
        if getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            expr, value = "now()", None
        elif field.has_default():
            default = field.default
            if default is timezone.now:
                expr, value = "now()", None
            else:
                value = default() if callable(default) else default
                expr = "%s"
                value = field.get_db_prep_save(value, connection)
        elif field.null:
            expr, value = "NULL", None
        elif field.empty_strings_allowed:
            expr, value = "''", None
        else:
            raise SystemExit(f"{model._meta.label}.{field.name}: no value and no default")
        columns.append(column)
        exprs.append(expr)
        if expr == "%s":
            params.append(value)
    return columns, exprs, params


def insert_select(
    cursor, model, values: dict[str, str], from_sql: str, params=(), from_params=()
) -> int:
    """``INSERT INTO <model> (<columns>) SELECT <values> FROM …``; other columns get defaults.

    ``params`` fill the placeholders of ``values`` (in order), ``from_params`` those of
    ``from_sql``. Always executed with a parameter list, so ``%%`` stands for ``%``.
    """
    extra_cols, extra_exprs, extra_params = _column_defaults(model, set(values))
    columns = list(values) + extra_cols
    select = list(values.values()) + extra_exprs
    quoted = ", ".join(f'"{c}"' for c in columns)
    statement = (
        f"INSERT INTO {model._meta.db_table} ({quoted}) SELECT {', '.join(select)} {from_sql}"
    )
    cursor.execute(statement, [*params, *extra_params, *from_params])
    return cursor.rowcount


# --- Dropping and restoring constraints and indexes around the bulk load ---


def _tables():
    from django.apps import apps

    tables = [apps.get_model(label)._meta.db_table for label in BULK_MODELS]
    for label, name in BULK_M2M:
        tables.append(apps.get_model(label)._meta.get_field(name).m2m_db_table())
    return tables


def drop_constraints(cursor, tables: list[str]) -> tuple[list[tuple[str, str, str]], list[str]]:
    constraints, indexes = [], []
    for table in tables:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype <> 'p' ORDER BY contype, conname",
            [table],
        )
        constraints += [(table, name, definition) for name, definition in cursor.fetchall()]
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes += [definition for _name, definition in cursor.fetchall()]
    for table, name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT IF EXISTS "{name}"')
    for table in tables:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
    return constraints, indexes


def restore_constraints(cursor, constraints, indexes, watch: common.Stopwatch) -> None:
    for definition in indexes:
        cursor.execute(definition)
    watch.step(f"{len(indexes)} indexes rebuilt")
    # Unique and check constraints first, then foreign keys (which need the unique ones).
    ordered = sorted(constraints, key=lambda c: c[2].startswith("FOREIGN KEY"))
    for table, name, definition in ordered:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    watch.step(f"{len(constraints)} constraints re-added and checked against every row")


# --- The reference rows, through the ORM ---


def build_reference(today: date) -> dict:
    """Organisations, logins, programs, modules, topics, instruments, volunteers, partners."""
    from django.contrib.auth.hashers import make_password

    from participants.models import Partner
    from peersupport.models import Membership, Organisation, Role, User
    from programs.models import CurriculumTopic, Module, Program, Volunteer
    from surveys.models import Instrument, InstrumentItem, ProgramInstrument

    password = make_password(common.BENCH_PASSWORD)
    orgs = [
        Organisation.objects.create(name=o.name, slug=o.slug, participant_code_prefix=o.prefix)
        for o in common.ORGS
    ]
    national = orgs[0]
    logins = [
        (common.COORDINATOR_EMAIL, "Bench Coordinator", Role.COORDINATOR),
        (common.FACILITATOR_EMAIL, "Bench Facilitator", Role.FACILITATOR),
        (common.EVALUATOR_EMAIL, "Bench Evaluator", Role.EVALUATOR),
    ] + [
        (common.load_facilitator_email(n), f"Bench Facilitator {n:02d}", Role.FACILITATOR)
        for n in range(1, common.LOAD_FACILITATORS + 1)
    ]
    users = User.objects.bulk_create(
        User(email=email, name=name, password=password) for email, name, _role in logins
    )
    Membership.objects.bulk_create(
        Membership(user=user, organisation=national, role=role)
        for user, (_e, _n, role) in zip(users, logins, strict=True)
    )
    facilitator_users = [
        u for u, (_e, _n, r) in zip(users, logins, strict=True) if r == "facilitator"
    ]
    linked = Volunteer.objects.bulk_create(
        Volunteer(organisation=national, user=user, name=user.name, stage=Volunteer.Stage.ACTIVE)
        for user in facilitator_users
    )

    org_rows = []
    first_participant = 1
    for org, plan in zip(orgs, common.ORGS, strict=True):
        pool = 400 if org is national else 20
        volunteers = Volunteer.objects.bulk_create(
            Volunteer(
                organisation=org,
                name=f"Volunteer {org.participant_code_prefix}{n:03d}",
                stage=Volunteer.Stage.ACTIVE,
                interview_date=date(2021, 1, 15),
                police_check_date=date(2021, 2, 1),
            )
            for n in range(1, pool + 1)
        )
        partners = Partner.objects.bulk_create(
            Partner(organisation=org, name=f"{label} partner ({plan.prefix})", type=value)
            for value, label in Partner.Type.choices
        )
        gse = Instrument.objects.create(
            organisation=org,
            code="GSE",
            name="General Self-Efficacy (bench)",
            max_missing=1,
            target_score=29,
        )
        wellbeing = Instrument.objects.create(
            organisation=org, code="WB", name="Wellbeing (bench)", max_missing=1
        )
        InstrumentItem.objects.bulk_create(
            [
                InstrumentItem(
                    instrument=gse, number=n, text=f"GSE item {n}", min_value=1, max_value=4
                )
                for n in range(1, common.ITEMS_PER_INSTRUMENT + 1)
            ]
            + [
                InstrumentItem(
                    instrument=wellbeing,
                    number=n,
                    text=f"Wellbeing item {n}",
                    min_value=1,
                    max_value=5,
                    reverse=n in (4, 8),
                )
                for n in range(1, common.ITEMS_PER_INSTRUMENT + 1)
            ]
        )
        org_rows.append(
            {
                "org_id": org.pk,
                "first_participant": first_participant,
                "n_participants": plan.participants,
                "prefix": plan.prefix,
                "first_partner": partners[0].pk,
                "n_partners": len(partners),
                "first_volunteer": volunteers[0].pk,
                "n_volunteers": len(volunteers),
            }
        )
        first_participant += plan.participants

    program_rows = []
    first_cohort = 1
    for plan in common.PROGRAMS:
        org = orgs[plan.org]
        program = Program.objects.create(
            organisation=org,
            code=plan.code,
            name=plan.name,
            start_date=plan.start_date,
            status=Program.Status.ACTIVE,
            target_population="Women (synthetic benchmark data)",
        )
        first, second = Module.objects.bulk_create(
            [
                Module(program=program, order=1, name="Finding our Voices", weeks=6),
                Module(program=program, order=2, name="Growth circle", weeks=14),
            ]
        )
        CurriculumTopic.objects.bulk_create(
            CurriculumTopic(program=program, week=week, title=f"Week {week} topic")
            for week in range(1, common.SESSIONS_PER_COHORT + 1)
        )
        ProgramInstrument.objects.bulk_create(
            [
                ProgramInstrument(program=program, instrument_code="GSE", target_pct=75.0),
                ProgramInstrument(program=program, instrument_code="WB"),
            ]
        )
        # The last cohort started 30 days ago, so a few hundred cohorts are running now.
        span = (today - timedelta(days=30) - plan.start_date).days
        program_rows.append(
            {
                "program_id": program.pk,
                "org_id": org.pk,
                "code": plan.code.lower(),
                "name": plan.name,
                "first_cohort": first_cohort,
                "n_cohorts": plan.cohorts,
                "start_date": plan.start_date,
                "span_days": span,
                "module1": first.pk,
                "module2": second.pk,
            }
        )
        first_cohort += plan.cohorts
    for row in org_rows:
        cohorts = [p for p in program_rows if p["org_id"] == row["org_id"]]
        row["first_cohort"] = min(p["first_cohort"] for p in cohorts)
        row["first_program"] = min(p["program_id"] for p in cohorts)
    return {
        "orgs": org_rows,
        "programs": program_rows,
        "facilitator_volunteer": linked[0].pk,
        "load_volunteers": [v.pk for v in linked[1:]],
    }


# --- The big tables, in SQL ---


def _temp_table(cursor, name: str, rows: list[dict], types: dict[str, str]) -> None:
    cols = ", ".join(f"{c} {t}" for c, t in types.items())
    cursor.execute(f"CREATE TEMP TABLE {name} ({cols}) ON COMMIT DROP")
    placeholders = ", ".join(["%s"] * len(types))
    cursor.executemany(
        f"INSERT INTO {name} ({', '.join(types)}) VALUES ({placeholders})",
        [[row[c] for c in types] for row in rows],
    )


def build_bulk(cursor, ref: dict, today: date, watch: common.Stopwatch) -> None:
    from django.apps import apps

    from peersupport.fields import encrypt

    model = apps.get_model
    Participant = model("participants.Participant")
    Consent = model("participants.Consent")
    Cohort = model("programs.Cohort")
    Enrollment = model("participants.Enrollment")
    Session = model("groupsessions.Session")
    Attendance = model("groupsessions.Attendance")
    Administration = model("surveys.Administration")
    Answer = model("surveys.Answer")
    Referral = model("participants.Referral")
    cohort_facilitators = Cohort._meta.get_field("facilitators").m2m_db_table()
    session_facilitators = Session._meta.get_field("facilitators").m2m_db_table()

    _temp_table(
        cursor,
        "b_org",
        ref["orgs"],
        {
            "org_id": "bigint",
            "first_participant": "bigint",
            "n_participants": "int",
            "prefix": "text",
            "first_partner": "bigint",
            "n_partners": "int",
            "first_volunteer": "bigint",
            "n_volunteers": "int",
            "first_cohort": "bigint",
            "first_program": "bigint",
        },
    )
    _temp_table(
        cursor,
        "b_program",
        ref["programs"],
        {
            "program_id": "bigint",
            "org_id": "bigint",
            "code": "text",
            "name": "text",
            "first_cohort": "bigint",
            "n_cohorts": "int",
            "start_date": "date",
            "span_days": "int",
            "module1": "bigint",
            "module2": "bigint",
        },
    )
    # One seed and a serial plan: the same data on every build.
    cursor.execute("SET max_parallel_workers_per_gather = 0")
    cursor.execute("SELECT setseed(0.2026)")
    tokens = [encrypt(f"Bench person {n}") for n in range(8)]

    n = insert_select(
        cursor,
        Participant,
        {
            "id": "o.first_participant + i - 1",
            "organisation_id": "o.org_id",
            "code": "o.prefix || '-' || lpad(i::text, 6, '0')",
            "preferred_name": "(%s::text[])[1 + (i %% 8)]",
            "birth_year": "1955 + (i * 7) %% 50",
            "gender_identity": "CASE WHEN i %% 50 = 0 THEN 'non_binary' "
            "WHEN i %% 97 = 0 THEN 'prefer_not' ELSE 'woman' END",
            "indigenous_identity": "CASE WHEN i %% 9 = 0 THEN 'yes' WHEN i %% 31 = 0 "
            "THEN 'prefer_not' ELSE 'no' END",
            "racialised": "CASE WHEN i %% 4 = 0 THEN 'yes' WHEN i %% 29 = 0 "
            "THEN 'prefer_not' ELSE 'no' END",
            "referral_source": f"(ARRAY['{encrypt('Self')}','{encrypt('Shelter')}',"
            f"'{encrypt('Health centre')}','{encrypt('Friend')}'])[1 + i %% 4]",
            "evaluation_consent": "CASE WHEN i %% 20 = 3 THEN 'no' "
            "WHEN i %% 20 = 11 THEN 'unknown' ELSE 'yes' END",
        },
        "FROM b_org o CROSS JOIN LATERAL generate_series(1, o.n_participants) i",
        [tokens],
    )
    watch.step("participants", f"{n:,}")

    n = insert_select(
        cursor,
        Consent,
        {
            "participant_id": "p.id",
            "kind": "k.kind",
            "given": "k.kind = 'participation' OR p.evaluation_consent = 'yes'",
            "date": "DATE '2021-03-15' + (p.id %% 1800)::int",
            "text_version": "'2021-1'",
        },
        f"FROM {Participant._meta.db_table} p "
        "CROSS JOIN (VALUES ('participation'), ('evaluation')) k(kind) "
        "WHERE k.kind = 'participation' OR p.evaluation_consent <> 'unknown'",
    )
    watch.step("consents", f"{n:,}")

    last_session = 7 * (common.SESSIONS_PER_COHORT - 1)
    cohort_start = "(g.start_date + (i * g.span_days / g.n_cohorts))"
    n = insert_select(
        cursor,
        Cohort,
        {
            "id": "g.first_cohort + i",
            "organisation_id": "g.org_id",
            "program_id": "g.program_id",
            "code": "g.code || '-' || lpad((i + 1)::text, 4, '0')",
            "name": "g.name || ' ' || (i + 1)",
            "start_date": cohort_start,
            "weekday": f"extract(isodow FROM {cohort_start})::int - 1",
            "start_time": "TIME '18:00'",
            "session_minutes": "180",
            "location": "'Site ' || (i %% 40 + 1)",
            "capacity": "24",
            "status": f"CASE WHEN {cohort_start} + {last_session} < %s THEN 'completed' "
            "ELSE 'running' END",
        },
        "FROM b_program g CROSS JOIN LATERAL generate_series(0, g.n_cohorts - 1) i",
        [today],
    )
    watch.step("cohorts", f"{n:,}")

    cursor.execute(
        f"INSERT INTO {cohort_facilitators} (cohort_id, volunteer_id) "
        "SELECT c.id, o.first_volunteer + ((c.id + k) %% o.n_volunteers) "
        f"FROM {Cohort._meta.db_table} c JOIN b_org o ON o.org_id = c.organisation_id "
        "CROSS JOIN (VALUES (0), (1)) f(k)",
        [],
    )
    # The bench facilitator runs ten recent cohorts of the large program; each of the
    # load-test facilitators runs one running cohort of it.
    large = next(p for p in ref["programs"] if p["code"] == common.LARGE_PROGRAM.lower())
    cursor.execute(
        f"SELECT id FROM {Cohort._meta.db_table} WHERE program_id = %s AND status = 'running' "
        "ORDER BY start_date DESC, id LIMIT %s",
        [large["program_id"], 10 + len(ref["load_volunteers"])],
    )
    running = [row[0] for row in cursor.fetchall()]
    pairs = [(cohort, ref["facilitator_volunteer"]) for cohort in running[:10]]
    pairs += list(zip(running[10:], ref["load_volunteers"], strict=False))
    cursor.executemany(
        f"INSERT INTO {cohort_facilitators} (cohort_id, volunteer_id) VALUES (%s, %s)", pairs
    )
    watch.step("cohort facilitators")

    session_date = "(c.start_date + 7 * (n - 1))"
    n = insert_select(
        cursor,
        Session,
        {
            "id": f"(c.id - 1) * {common.SESSIONS_PER_COHORT} + n",
            "cohort_id": "c.id",
            "number": "n",
            "date": session_date,
            "start_time": "TIME '18:00'",
            "end_time": "TIME '21:00'",
            # Future sessions are scheduled; a third of the cohorts have not yet logged
            # this week's session; about 1% of sessions were cancelled.
            "status": f"CASE WHEN {session_date} >= %s THEN 'scheduled' "
            f"WHEN {session_date} >= %s AND c.id %% 3 = 0 THEN 'scheduled' "
            "WHEN (c.id * 31 + n) %% 97 = 0 THEN 'cancelled' ELSE 'held' END",
            "module_id": "CASE WHEN n <= 6 THEN g.module1 ELSE g.module2 END",
            "topic": "'Week ' || n || ' topic'",
            "duration_minutes": f"CASE WHEN {session_date} < %s THEN 180 END",
            # Free text is encrypted (EncryptedTextField): one token each, made here.
            "topics_covered": f"CASE WHEN {session_date} < %s THEN '{encrypt('Week topic')}' "
            "ELSE '' END",
            "cancel_reason": "CASE WHEN (c.id * 31 + n) %% 97 = 0 THEN "
            f"'{encrypt('Facilitator ill')}' ELSE '' END",
        },
        f"FROM {Cohort._meta.db_table} c JOIN b_program g ON g.program_id = c.program_id "
        f"CROSS JOIN generate_series(1, {common.SESSIONS_PER_COHORT}) n",
        [today, today - timedelta(days=6), today, today],
    )
    watch.step("sessions", f"{n:,}")
    cursor.execute(
        f"UPDATE {Session._meta.db_table} SET duration_minutes = NULL, topics_covered = '' "
        "WHERE status <> 'held'"
    )

    seats = common.SEATS_PER_COHORT
    enrollment_from = (
        f"FROM generate_series(1, (SELECT count(*)::int FROM {Cohort._meta.db_table}) * {seats}) e "
        f"JOIN {Cohort._meta.db_table} c ON c.id = (e - 1) / {seats} + 1 "
        "JOIN b_org o ON o.org_id = c.organisation_id "
        "CROSS JOIN LATERAL (SELECT CASE WHEN c.status = 'running' THEN 'enrolled' "
        "WHEN abs(hashint8(e::bigint)) %% 100 < 9 THEN 'withdrawn' ELSE 'completed' END AS status, "
        "c.start_date + CASE WHEN e %% 20 = 7 THEN 7 ELSE 0 END AS enrolled_on) x"
    )
    n = insert_select(
        cursor,
        Enrollment,
        {
            "id": "e",
            "participant_id": f"o.first_participant + (e - 1 - (o.first_cohort - 1) * {seats}) "
            "%% o.n_participants",
            "cohort_id": "c.id",
            "status": "x.status",
            "applied_on": "c.start_date - 21",
            "enrolled_on": "x.enrolled_on",
            "exit_date": "CASE x.status WHEN 'withdrawn' THEN x.enrolled_on + 7 * (2 + e %% 10) "
            f"WHEN 'completed' THEN c.start_date + {last_session} END",
            "exit_reason": "CASE x.status WHEN 'withdrawn' THEN "
            f"(ARRAY['{encrypt('Moved away')}','{encrypt('Work schedule')}',"
            f"'{encrypt('Health')}','{encrypt('No reason given')}'])[1 + e %% 4] "
            f"WHEN 'completed' THEN '{encrypt('Completed the program')}' ELSE '' END",
        },
        enrollment_from,
    )
    watch.step("enrollments", f"{n:,}")

    # Attendance: a per-enrollment propensity (about 0.8 on average, rising a little each
    # program year), one random draw per row; absent after a withdrawal.
    n = insert_select(
        cursor,
        Attendance,
        {
            "session_id": "t.session_id",
            "enrollment_id": "t.enrollment_id",
            "status": "CASE WHEN t.gone THEN 'absent' WHEN t.r < t.p * 0.93 THEN 'present' "
            "WHEN t.r < t.p THEN 'late' WHEN t.r < t.p + (1 - t.p) * 0.7 THEN 'absent' "
            "ELSE 'excused' END",
        },
        "FROM (SELECT s.id AS session_id, en.id AS enrollment_id, random() AS r, "
        "least(0.97, 0.67 + 0.31 * (abs(hashint8(en.id)) %% 1000) / 1000.0 "
        "+ 0.012 * ((c.start_date - g.start_date) / 365)) AS p, "
        "(en.exit_date IS NOT NULL AND en.status = 'withdrawn' AND s.date > en.exit_date) AS gone "
        f"FROM {Enrollment._meta.db_table} en "
        f"JOIN {Cohort._meta.db_table} c ON c.id = en.cohort_id "
        "JOIN b_program g ON g.program_id = c.program_id "
        f"JOIN {Session._meta.db_table} s ON s.cohort_id = en.cohort_id "
        "WHERE s.status = 'held' AND s.date >= en.enrolled_on OFFSET 0) t",
    )
    watch.step("attendance", f"{n:,}")

    cursor.execute(
        f"INSERT INTO {session_facilitators} (session_id, volunteer_id) "
        f"SELECT s.id, min(cf.volunteer_id) FROM {Session._meta.db_table} s "
        f"JOIN {cohort_facilitators} cf ON cf.cohort_id = s.cohort_id "
        "WHERE s.status = 'held' GROUP BY s.id"
    )
    watch.step("session facilitators", f"{cursor.rowcount:,}")

    # Survey plan, two instruments: pre for every enrollment, post for completed ones,
    # a three-month follow-up for one completer in twenty.
    # ``mu`` is the expected keyed item value: a person-level level plus a gain at post
    # that grows a little each program year.
    cursor.execute(
        "CREATE TEMP TABLE b_adm ON COMMIT DROP AS "
        "SELECT row_number() OVER (ORDER BY en.id, ins.code, tp.t) AS id, en.id AS enrollment_id, "
        "ins.id AS instrument_id, ins.code AS instrument_code, tp.t AS timepoint, "
        f"CASE tp.t WHEN 'pre' THEN en.enrolled_on WHEN 'post' THEN c.start_date + {last_session} "
        f"ELSE c.start_date + {last_session + 91} END AS date, "
        "CASE WHEN ins.code = 'GSE' THEN 2.35 ELSE 2.4 END "
        "+ 0.9 * ((abs(hashint8(en.participant_id)) %% 1000) / 1000.0 - 0.5) "
        "+ CASE WHEN tp.t <> 'pre' THEN CASE WHEN ins.code = 'GSE' THEN 0.78 ELSE 0.6 END "
        "+ 0.03 * ((c.start_date - g.start_date) / 365) ELSE 0 END AS mu "
        f"FROM {Enrollment._meta.db_table} en "
        f"JOIN {Cohort._meta.db_table} c ON c.id = en.cohort_id "
        "JOIN b_program g ON g.program_id = c.program_id "
        "JOIN surveys_instrument ins ON ins.organisation_id = c.organisation_id "
        "CROSS JOIN (VALUES ('pre'), ('post'), ('followup')) tp(t) "
        "WHERE tp.t = 'pre' OR (tp.t = 'post' AND en.status = 'completed') "
        f"OR (tp.t = 'followup' AND en.status = 'completed' AND en.id %% 20 = 0 "
        f"AND c.start_date + {last_session + 91} < %s)",
        [today],
    )
    watch.step("survey plan", f"{cursor.rowcount:,}")

    keyed = "greatest(it.min_value, least(it.max_value, round(a.mu + (random() - 0.5) * 1.8)::int))"
    n = insert_select(
        cursor,
        Answer,
        {
            "administration_id": "a.id",
            "item_id": "it.id",
            # About 1.5% of answers are missing; the rest scatter around ``mu``.
            "value": f"CASE WHEN random() < 0.015 THEN NULL "
            f"WHEN it.reverse THEN it.min_value + it.max_value - {keyed} ELSE {keyed} END",
        },
        "FROM b_adm a JOIN surveys_instrumentitem it ON it.instrument_id = a.instrument_id",
    )
    watch.step("answers", f"{n:,}")

    n = insert_select(
        cursor,
        Administration,
        {
            "id": "a.id",
            "enrollment_id": "a.enrollment_id",
            "instrument_id": "a.instrument_id",
            "instrument_code": "a.instrument_code",
            "timepoint": "a.timepoint",
            "date": "a.date",
            "mode": "CASE WHEN a.id %% 10 = 0 THEN 'self' ELSE 'staff' END",
            "score": "s.score",
            "answered_n": "s.answered",
            "missing_n": "s.n - s.answered",
            "is_complete": "s.score IS NOT NULL",
        },
        # The spec's score: keyed sum; with 1..max_missing missing, mean × items.
        "FROM b_adm a JOIN (SELECT an.administration_id, count(an.value) AS answered, "
        "count(*) AS n, ins.max_missing, "
        "CASE WHEN count(*) - count(an.value) > ins.max_missing OR count(an.value) = 0 THEN NULL "
        "WHEN count(an.value) = count(*) THEN sum(CASE WHEN it.reverse "
        "THEN it.min_value + it.max_value - an.value ELSE an.value END)::float8 "
        "ELSE sum(CASE WHEN it.reverse THEN it.min_value + it.max_value - an.value "
        "ELSE an.value END)::float8 / count(an.value) * count(*) END AS score "
        f"FROM {Answer._meta.db_table} an JOIN surveys_instrumentitem it ON it.id = an.item_id "
        "JOIN surveys_instrument ins ON ins.id = it.instrument_id "
        "GROUP BY an.administration_id, ins.max_missing) s ON s.administration_id = a.id",
    )
    watch.step("administrations (scored from their answers)", f"{n:,}")

    n = insert_select(
        cursor,
        Referral,
        {
            "participant_id": "p.id",
            "partner_id": "o.first_partner + (p.id %% o.n_partners)",
            "program_id": "o.first_program",
            "date": "DATE '2021-06-01' + (p.id %% 1900)::int",
            "reason": f"'{encrypt('Referred during group')}'",
            "status": "(ARRAY['made','accepted','completed','declined'])[1 + p.id %% 4]",
        },
        f"FROM {Participant._meta.db_table} p JOIN b_org o ON o.org_id = p.organisation_id "
        "WHERE p.id %% 5 = 0",
    )
    watch.step("referrals", f"{n:,}")

    for table in (
        Participant._meta.db_table,
        Cohort._meta.db_table,
        Session._meta.db_table,
        Enrollment._meta.db_table,
        Administration._meta.db_table,
    ):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    cursor.execute("RESET max_parallel_workers_per_gather")


def report_counts() -> None:
    from django.apps import apps
    from django.db import connection

    with connection.cursor() as cursor:
        for label in BULK_MODELS:
            table = apps.get_model(label)._meta.db_table
            cursor.execute(f"SELECT count(*) FROM {table}")
            print(f"  {label:<28} {cursor.fetchone()[0]:>12,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="size against the national set: 0.1, 1 (the default) or 3 (300,000 participants)",
    )
    args = parser.parse_args()
    common.set_scale(args.scale)

    url = common.bench_database_url()
    watch = common.Stopwatch()
    ensure_database(url, fresh=args.fresh)
    common.setup_django()

    from django.core.management import call_command
    from django.db import connection, transaction

    from participants.models import Participant
    from peersupport.models import Organisation

    call_command("migrate", interactive=False, verbosity=0)
    watch.step("migrated")
    if Organisation.objects.filter(slug=common.ORGS[0].slug).exists():
        print("The benchmark data set is already built; nothing changed (use --fresh to rebuild).")
        report_counts()
        return
    if Participant.objects.exists():
        sys.exit("The database holds other data; use --fresh to rebuild it from scratch.")

    today = date.today()
    with transaction.atomic():
        ref = build_reference(today)
        watch.step("reference rows (organisations, logins, programs, instruments, volunteers)")
        with connection.cursor() as cursor:
            # Check the reference rows' deferred foreign keys now: a table with pending
            # trigger events cannot be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute("SET LOCAL work_mem = '128MB'")
            constraints, indexes = drop_constraints(cursor, _tables())
            watch.step(f"dropped {len(constraints)} constraints and {len(indexes)} indexes")
            build_bulk(cursor, ref, today, watch)
            restore_constraints(cursor, constraints, indexes, watch)
    watch.step("committed")
    from programs.models import Cohort
    from sessions import outreach

    outreach.recount(Cohort.objects.values_list("pk", flat=True))
    watch.step("runs of missed sessions (outreach list)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    watch.step("vacuum analyze")
    report_counts()
    print(f"Built in {watch.total():.1f} s.")


if __name__ == "__main__":
    main()
