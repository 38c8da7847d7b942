"""A finished run as a reader sees it: tables, charts, summary sentences, headline
figures beside their targets and the methods, for the report page, its print layout
and the PDF.

Every figure goes through ``evaluation.display`` and every chart through
``evaluation.charts``, so the page, the summary sentence, the PDF and the report's data
files show the same text for the same stored figure. ``present`` takes the period
objects to show (by default the run's own): the exports pass the objects suppressed for
their audience, so what they hide the PDF hides too.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from participants.models import Participant
from surveys.instruments import score_note
from surveys.models import Instrument

from . import charts, display, stored
from .models import EvaluationRun

GROUP_TITLES = {
    "gender_identity": gettext_lazy("By gender identity"),
    "indigenous_identity": gettext_lazy("By Indigenous identity"),
    "racialised": gettext_lazy("By racialised / visible minority"),
}

PARTICIPATION_COLUMNS = (
    "participants",
    "enrollments",
    "sessions_offered_mean",
    "sessions_attended_mean",
    "attendance_rate",
    "completion_rate",
)
INSTRUMENT_COLUMNS = (
    "pre_n",
    "post_n",
    "matched_n",
    "pre_mean",
    "post_mean",
    "mean_change",
    "p_value",
    "wilcoxon_p",
    "effect_size_dz",
    "post_meeting_target_pct",
    "target_pct",
)
MODULE_COLUMNS = ("sessions_offered", "sessions_attended", "attendance_rate")


def figure_labels() -> dict[str, str]:
    """Each figure's name in the reader's language (tables, the report CSV/XLSX)."""
    return {
        "participants": _("Participants"),
        "enrollments": _("Enrollments"),
        "sessions_offered": _("Sessions offered"),
        "sessions_attended": _("Sessions attended"),
        "sessions_offered_mean": _("Sessions offered (mean)"),
        "sessions_attended_mean": _("Sessions attended (mean)"),
        "attendance_rate": _("Attendance"),
        "completion_rate": _("Completion"),
        "pre_n": _("Pre n"),
        "post_n": _("Post n"),
        "matched_n": _("Matched n"),
        "incomplete_n": _("Incomplete surveys"),
        "pre_mean": _("Pre mean"),
        "post_mean": _("Post mean"),
        "mean_change": _("Change"),
        "sd_change": _("SD of the change"),
        "t": _("t (paired t-test)"),
        "p_value": _("p (t-test)"),
        "wilcoxon_p": _("p (Wilcoxon)"),
        "wilcoxon_method": _("Wilcoxon method"),
        "effect_size_dz": _("Effect size d"),
        "target_score": _("Target score"),
        "post_meeting_target_n": _("Meeting the target at post-test (n)"),
        "post_meeting_target_pct": _("% meeting target"),
        "target_pct": _("Program target"),
    }


def definitions() -> list[tuple[str, str]]:
    """What each figure means (docs/figures.md and docs/definitions.md), in words."""
    return [
        (
            _("Participants"),
            _(
                "Distinct people with at least one enrollment (enrolled, completed or withdrawn) "
                "in a cohort that started in the period."
            ),
        ),
        (
            _("Enrollments"),
            _("Enrollments in those cohorts; one person in two cohorts is two enrollments."),
        ),
        (
            _("Sessions offered"),
            _(
                "The cohort's held sessions on or after the enrollment date; the mean is over "
                "enrollments."
            ),
        ),
        (
            _("Sessions attended"),
            _(
                "Sessions offered at which the person was present or late; the mean is over "
                "enrollments."
            ),
        ),
        (_("Attendance"), _("Sessions attended divided by sessions offered, over the period.")),
        (_("Completion"), _("Enrollments completed divided by all enrollments.")),
        (
            _("Pre n, Post n, Matched n"),
            _(
                "Scored surveys before and after; matched: enrollments with both a scored pre and"
                " a scored post survey."
            ),
        ),
        (
            _("Pre mean, Post mean, Change"),
            _("Means over matched enrollments only; change is post minus pre."),
        ),
        (
            _("p (t-test)"),
            _("Paired t-test on the matched pairs, two-sided."),
        ),
        (
            _("p (Wilcoxon)"),
            _(
                "Wilcoxon signed-rank test on the matched pairs, two-sided, zero changes dropped;"
                " the method used for each figure is listed below."
            ),
        ),
        (
            _("Effect size d"),
            _("Mean change divided by the standard deviation of the change (d_z)."),
        ),
        (
            _("% meeting target"),
            _(
                "Among scored post-test surveys, the share at or above the instrument's target "
                "score (at or below it when lower is better)."
            ),
        ),
        (_("Program target"), _("The share meeting the target that the program aims for.")),
        (
            _("Rounding"),
            _(
                "Figures are stored unrounded and shown rounded half up: means to one decimal, "
                "percentages to whole numbers, p-values to three decimals (<0.001 below that), "
                "effect sizes to two decimals."
            ),
        ),
    ]


def period_label(obj: dict, *, total: bool = False) -> str:
    """ "Year 2", "All years (… to …)" for the total of a year-by-year run, or the dates."""
    if obj.get("year"):
        return _("Year %(year)s") % {"year": obj["year"]}
    if total:
        return _("All years (%(start)s to %(end)s)") % {
            "start": obj["period_start"],
            "end": obj["period_end"],
        }
    return _("%(start)s to %(end)s") % {"start": obj["period_start"], "end": obj["period_end"]}


def _suppressed(obj: dict, key: str) -> bool:
    return key in obj.get("suppressed", [])


def summary(
    obj: dict,
    names: dict[str, str],
    withheld: frozenset[str] = frozenset(),
    min_cell: int = 5,
    *,
    label: str | None = None,
) -> str:
    """One plain-language sentence from a period's figures; suppressed parts and withheld
    instruments are left out."""
    label = label or period_label(obj)
    n = obj.get("participants")
    if not obj.get("enrollments") and n == 0:
        return _("No one took part in %(period)s.") % {"period": label}
    parts = []
    if n is None:
        # Hidden because it is small, or because it would give a small number away.
        parts.append(
            _("The number of participants in %(period)s is not shown, to protect small numbers")
            % {"period": label}
        )
    else:
        parts.append(
            ngettext(
                "%(n)s participant took part in %(period)s",
                "%(n)s participants took part in %(period)s",
                n,
            )
            % {"n": display.number(n, 0), "period": label}
        )
    attended, offered, rate = (
        obj.get("sessions_attended_mean"),
        obj.get("sessions_offered_mean"),
        obj.get("attendance_rate"),
    )
    if attended is not None and offered is not None and rate is not None:
        parts[0] += _(", attending %(mean)s (%(pct)s) of %(offered)s sessions on average") % {
            "mean": display.number(attended),
            "pct": display.percent(rate, fraction=True),
            "offered": display.number(offered, 0 if float(offered).is_integer() else 1),
        }
    for code, inst in obj.get("instruments", {}).items():
        if code in withheld:
            continue
        name = names.get(code, code)
        pct, target = inst.get("post_meeting_target_pct"), inst.get("target_pct")
        if pct is not None and target is not None:
            parts.append(
                _("%(pct)s met the %(name)s target at post-test against a target of %(t)s")
                % {"pct": display.percent(pct), "name": name, "t": display.percent(target)}
            )
        elif pct is not None:
            parts.append(
                _("%(pct)s met the %(name)s target at post-test")
                % {"pct": display.percent(pct), "name": name}
            )
        pre, post = inst.get("pre_mean"), inst.get("post_mean")
        if pre is not None and post is not None:
            shown_pre, shown_post = display.rounded(pre), display.rounded(post)
            values = {"name": name, "pre": display.number(pre), "post": display.number(post)}
            if shown_post > shown_pre:
                parts.append(_("mean %(name)s rose from %(pre)s to %(post)s") % values)
            elif shown_post < shown_pre:
                parts.append(_("mean %(name)s fell from %(pre)s to %(post)s") % values)
            else:
                parts.append(_("mean %(name)s stayed at %(pre)s") % values)
    return "; ".join(parts) + "."


def _row(obj: dict, keys, min_cell: int, label: str, prefix: str = "") -> dict:
    return {
        "label": label,
        "cells": [display.cell(obj, key, prefix=prefix, min_cell=min_cell) for key in keys],
    }


def _and(versions: list[int]) -> str:
    numbers = [str(v) for v in versions]
    if len(numbers) == 1:
        return numbers[0]
    return _("%(list)s and %(last)s") % {"list": ", ".join(numbers[:-1]), "last": numbers[-1]}


def version_note(code: str, details: dict, *, pooled: bool) -> dict:
    """What the page says about the versions an instrument's figures combine (from the
    run's ``details``; nothing for one version, or a run stored before versions were
    recorded), and whether its figures are withheld: versions that score differently are
    only shown pooled when the run asked for it."""
    use = details.get("versions", {}).get(code)
    if not use or len(use["versions"]) < 2:
        return {"text": "", "withheld": False, "differs": False}
    values = {"versions": _and(use["versions"]), "code": code}
    if use["same_scoring"]:
        text = _("Combines versions %(versions)s of %(code)s, which score answers the same way.")
        return {"text": text % values, "withheld": False, "differs": False}
    if pooled:
        text = _(
            "Pools versions %(versions)s of %(code)s, as asked, although they score answers "
            "differently: read these figures with that in mind."
        )
        return {"text": text % values, "withheld": False, "differs": True}
    text = _(
        "The figures for %(code)s are withheld: its surveys in this period were answered on "
        "versions %(versions)s, which score answers differently. To compute them pooled "
        "anyway, tick “Pool instrument versions that score differently” and compute again."
    )
    return {"text": text % values, "withheld": True, "differs": True}


def group_label(field: str, value) -> str:
    if not value:
        return _("Not recorded")
    model_field = Participant._meta.get_field(field)
    choices = dict(getattr(model_field, "flatchoices", None) or ())
    return str(choices.get(value, value))


def _pct(value):
    return None if value is None else 100 * value


def generated_at(when=None) -> str:
    """A time with its time zone, e.g. "2026-11-28 09:15 EST"."""
    when = timezone.localtime(when or timezone.now())
    return when.strftime("%Y-%m-%d %H:%M %Z (UTC%z)")


def period_objects(run: EvaluationRun) -> list[dict]:
    """Each year then the total, or the one period."""
    return stored.period_objects(run.result)


def _headline(obj: dict, codes, names, withheld, min_cell) -> list[dict]:
    """The figures a funder looks for first, each beside its target when there is one."""
    rows = []

    def add(label, key, prefix="", target=None):
        rows.append(
            {
                "label": label,
                "value": display.cell(obj, key, prefix=prefix, min_cell=min_cell),
                "target": target or "",
            }
        )

    add(_("Participants"), "participants")
    add(_("Sessions attended (mean)"), "sessions_attended_mean")
    add(_("Attendance"), "attendance_rate")
    add(_("Completion"), "completion_rate")
    for code in codes:
        if code in withheld:
            continue
        inst = obj["instruments"][code]
        prefix = f"instruments.{code}."
        name = names.get(code, code)
        if inst.get("target_score") is not None:
            target = inst.get("target_pct")
            add(
                _("%(name)s: %% meeting the target at post-test") % {"name": name},
                "post_meeting_target_pct",
                prefix,
                display.percent(target) if target is not None else "",
            )
        if inst.get("pre_mean") is not None or _suppressed(obj, prefix + "pre_mean"):
            pre, post, p = (
                display.cell(obj, key, prefix=prefix, min_cell=min_cell)
                for key in ("pre_mean", "post_mean", "wilcoxon_p")
            )
            text = _("%(pre)s → %(post)s") % {"pre": pre["text"], "post": post["text"]}
            if not p["suppressed"] and p["text"] != display.DASH:
                text = _("%(means)s (Wilcoxon p %(p)s)") % {
                    "means": text,
                    "p": p["text"] if p["text"].startswith("<") else "= " + p["text"],
                }
            rows.append(
                {
                    "label": _("%(name)s: mean before → after") % {"name": name},
                    "value": {"text": text, "suppressed": pre["suppressed"]},
                    "target": "",
                }
            )
    return rows


#: The report page's by-cohort table shows this many cohorts a page (the largest program
#: has thousands; the downloads hold them all).
COHORT_ROWS = 50


def _cohort_page(total: int, asked, rows_between) -> dict:
    """Page ``asked`` (1-based; clamped, anything else is page 1) of the ``total``
    by-cohort rows, read with ``rows_between(start, stop)``; every row on one page when
    ``asked`` is None."""
    if asked is None:
        return {"number": 1, "pages": 1, "total": total, "rows": rows_between(0, None)}
    pages = max(1, -(-total // COHORT_ROWS))
    try:
        number = min(max(1, int(asked)), pages)
    except (TypeError, ValueError):
        number = 1
    first = (number - 1) * COHORT_ROWS
    last = min(first + COHORT_ROWS, total)
    return {
        "number": number,
        "pages": pages,
        "total": total,
        "first": first + 1,
        "last": last,
        "previous": number - 1 if number > 1 else None,
        "next": number + 1 if number < pages else None,
        "rows": rows_between(first, last) if total else [],
    }


def present(
    run: EvaluationRun,
    *,
    objects: list[dict] | None = None,
    details: dict | None = None,
    external: bool = False,
    cohort_page=None,
) -> dict:
    """Tables, charts, summary sentences, headline figures and methods for a finished
    run; by default the run's own as ``external`` (or internal) readers see them, stored
    (``evaluation.stored``), with only the page of the by-cohort table it shows read;
    ``objects`` and ``details`` (with every cohort in ``details["by_cohort"]``) replace
    them (the PDF passes what the downloads show). ``cohort_page``: the page of the
    by-cohort table to show (``COHORT_ROWS`` cohorts); None shows every cohort (the PDF)."""
    min_cell = stored.min_cell_of(run)
    if objects is None or details is None:
        # The report page: evaluators see what the downloads show them.
        objects, details = stored.figures(run, external=external)
        page = _cohort_page(
            stored.cohort_count(run, external=external),
            cohort_page,
            lambda start, stop: stored.cohort_rows(run, external=external, start=start, stop=stop),
        )
    else:
        cohorts = details.get("by_cohort", [])
        page = _cohort_page(len(cohorts), cohort_page, lambda start, stop: cohorts[start:stop])
    years = [o for o in objects if o.get("year")] or objects[:1]
    codes = list(objects[0]["instruments"]) if objects else []
    current = {
        i.code: i
        for i in Instrument.objects.filter(
            organisation_id=run.program.organisation_id, code__in=codes, is_current=True
        )
    }
    names = {code: current[code].name if code in current else code for code in codes}
    pooled = bool((run.parameters or {}).get("pool_versions"))
    versions = {code: version_note(code, details, pooled=pooled) for code in codes}
    withheld = frozenset(code for code, v in versions.items() if v["withheld"])
    last = objects[-1] if objects else {}

    def label(obj: dict) -> str:
        return period_label(obj, total=len(objects) > 1 and obj is last)

    labels = figure_labels()
    instruments = []
    chart_list: list[charts.Chart] = []
    not_drawn: list[str] = []
    attendance = charts.bar_chart(
        _("Attendance rate by year (%)"),
        [(label(o), _pct(o.get("attendance_rate"))) for o in years],
        top=100,
    )
    if attendance.empty:
        not_drawn.append(_("No attendance chart: no attendance rate can be shown for this period."))
    else:
        chart_list.append(attendance)
    for code in codes:
        name = names[code]
        instrument = current.get(code)
        method_of = [
            {
                "label": label(o),
                "text": _("suppressed (fewer than %(min)s matched pairs)") % {"min": min_cell}
                if _suppressed(o, f"instruments.{code}.wilcoxon_method")
                else display.method_name(o["instruments"][code].get("wilcoxon_method"))
                if o["instruments"][code].get("wilcoxon_p") is not None
                else _("no p-value (fewer than two matched pairs, or no change)"),
            }
            for o in objects
        ]
        methods: dict[str, list[str]] = {}
        for m in method_of:
            methods.setdefault(m["text"], []).append(m["label"])
        entry = {
            "code": code,
            "name": name,
            "note": score_note(instrument) if instrument else "",
            "citation": instrument.citation if instrument else "",
            "versions": versions[code],
            "methods": [
                {"text": text, "periods": ", ".join(labels)} for text, labels in methods.items()
            ],
            "rows": []
            if code in withheld
            else [
                _row(o, INSTRUMENT_COLUMNS, min_cell, label(o), f"instruments.{code}.")
                for o in objects
            ],
            "charts": [],
            "not_drawn": [],
        }
        instruments.append(entry)
        if code in withheld:
            continue
        inst_years = [o["instruments"][code] for o in years]
        if not any(i.get("target_score") is not None for i in inst_years):
            entry["not_drawn"].append(
                _("No chart of the share meeting a target: %(name)s has no target score.")
                % {"name": name}
            )
        else:
            target = years[0]["instruments"][code].get("target_pct") if years else None
            chart = charts.bar_chart(
                _("%(name)s: %% meeting the target at post-test") % {"name": name},
                [(label(o), o["instruments"][code].get("post_meeting_target_pct")) for o in years],
                top=100,
                target=target,
                target_text=_("target %(t)s") % {"t": display.percent(target)}
                if target is not None
                else "",
            )
            if chart.empty:
                entry["not_drawn"].append(
                    _(
                        "No chart of the share meeting the target: no post-test figure can be "
                        "shown for this period."
                    )
                )
            else:
                entry["charts"].append(chart)
        inst = last["instruments"][code]
        if inst.get("pre_mean") is None or inst.get("post_mean") is None:
            entry["not_drawn"].append(
                _(
                    "No before-and-after chart: there are no matched pre and post means to show "
                    "for %(name)s."
                )
                % {"name": name}
            )
        else:
            ci = details.get("intervals", {}).get(code, {})
            chart = charts.interval_chart(
                _("%(name)s: mean before and after, %(period)s")
                % {"name": name, "period": label(last)},
                [
                    (_("Pre"), inst["pre_mean"], ci.get("pre_ci")),
                    (_("Post"), inst["post_mean"], ci.get("post_ci")),
                ],
            )
            if chart.ci_drawn:
                chart.title = _("%(title)s (95%% confidence interval)") % {"title": chart.title}
            entry["charts"].append(chart)
        chart_list.extend(entry["charts"])
    return {
        "participation_headers": [labels[k] for k in PARTICIPATION_COLUMNS],
        "instrument_headers": [labels[k] for k in INSTRUMENT_COLUMNS],
        "module_headers": [labels[k] for k in MODULE_COLUMNS],
        "participation_rows": [_row(o, PARTICIPATION_COLUMNS, min_cell, label(o)) for o in objects],
        "instrument_tables": instruments,
        "summary": summary(last, names, withheld, min_cell) if last else "",
        # Years nobody took part in are in the table (zeros), not in sentences.
        "year_summaries": [
            summary(o, names, withheld, min_cell, label=label(o))
            for o in years
            if o.get("enrollments") != 0
        ]
        if len(objects) > 1
        else [],
        "headline": _headline(last, codes, names, withheld, min_cell) if last else [],
        "headline_label": label(last) if last else "",
        "no_records": not last or not last.get("enrollments"),
        "withheld": sorted(withheld),
        "charts": chart_list,
        "attendance_chart": None if attendance.empty else attendance,
        "not_drawn": not_drawn,
        "min_cell": min_cell,
        "below_cell": min_cell - 1,
        "generated_at": generated_at(),
        "external": external,
        "definitions": definitions(),
        "details": details,
        "module_rows": [
            _row(m, MODULE_COLUMNS, min_cell, m.get("module") or _("No module"))
            for m in details.get("by_module", [])
        ],
        "cohort_page": page,
        "cohort_rows": [_row(c, PARTICIPATION_COLUMNS, min_cell, c["group"]) for c in page["rows"]],
        "group_tables": [
            {
                "title": GROUP_TITLES.get(field, field),
                "rows": [
                    _row(g, PARTICIPATION_COLUMNS, min_cell, group_label(field, g["group"]))
                    for g in groups
                ],
                "small": any(
                    k in g.get("suppressed", [])
                    for g in groups
                    for k in ("participants", "enrollments")
                ),
            }
            for field, groups in details.get("by_group", {}).items()
        ],
    }
