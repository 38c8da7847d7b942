"""Pages for instruments (coordinators and evaluators) and a program's instruments
(coordinators)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from peersupport.forms import add_errors
from peersupport.permissions import COORDINATOR, REPORT_ROLES, current_membership
from programs.access import get_program_for_user
from programs.models import Program

from .catalog import CATALOG, catalog_add_to_program
from .forms import CatalogAddForm, InstrumentForm, ItemFormSet, ProgramInstrumentForm, item_initial
from .instruments import (
    INSTRUMENT_FIELDS,
    get_instrument_for_user,
    instrument_create,
    instrument_update,
    instrument_versions,
    instruments_of,
    program_instrument_remove,
    program_instrument_set,
    program_instruments,
)
from .models import Instrument, ProgramInstrument


@login_required
def instrument_list(request):
    membership = current_membership(request, roles=REPORT_ROLES)
    instruments = (
        Instrument.objects.filter(organisation=membership.organisation, is_current=True)
        .annotate(n_items=Count("items", distinct=True))
        .order_by("code")
    )
    context = {"instruments": instruments, "programs": None}
    if membership.role == COORDINATOR:
        # Each program's page for attaching instruments, so the list is no dead end.
        context["programs"] = Program.objects.filter(organisation=membership.organisation).order_by(
            "name"
        )
    return render(request, "surveys/instruments/list.html", context)


@login_required
def instrument_create_view(request):
    # Evaluators read instruments; only coordinators create and change them.
    membership = current_membership(request, roles=[COORDINATOR])
    form = InstrumentForm(request.POST or None)
    formset = ItemFormSet(request.POST or None, prefix="items")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            instrument = instrument_create(
                organisation=membership.organisation,
                code=form.cleaned_data["code"],
                fields={
                    k: form.cleaned_data[k] for k in INSTRUMENT_FIELDS if k in form.cleaned_data
                },
                items=formset.items(),
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Instrument created."))
            return redirect("surveys:instrument_detail", pk=instrument.pk)
    return render(
        request,
        "surveys/instruments/form.html",
        {"form": form, "formset": formset, "instrument": None},
    )


@login_required
def instrument_detail(request, pk):
    instrument, role = get_instrument_for_user(request, pk)
    versions = instrument_versions(instrument=instrument).annotate(
        n_administrations=Count("administrations")
    )
    return render(
        request,
        "surveys/instruments/detail.html",
        {
            "instrument": instrument,
            "items": instrument.items.all(),
            "versions": versions,
            "can_manage": role == COORDINATOR,
        },
    )


@login_required
def instrument_edit(request, pk):
    instrument, _role = get_instrument_for_user(request, pk, roles=[COORDINATOR])
    if not instrument.is_current:
        messages.info(request, _("Older versions cannot be changed; this is the current one."))
        current = instrument_versions(instrument=instrument).filter(is_current=True).first()
        return redirect("surveys:instrument_edit", pk=current.pk)
    form = InstrumentForm(request.POST or None, instance=instrument, editing=True)
    formset = ItemFormSet(
        request.POST or None,
        prefix="items",
        initial=None if request.POST else item_initial(instrument),
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            result = instrument_update(
                instrument=instrument,
                fields={
                    k: form.cleaned_data[k] for k in INSTRUMENT_FIELDS if k in form.cleaned_data
                },
                items=formset.items(),
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            if result.pk != instrument.pk:
                messages.success(
                    request,
                    _("Saved as version %(v)s: surveys already answered keep version %(old)s.")
                    % {"v": result.version, "old": instrument.version},
                )
            else:
                messages.success(request, _("Instrument saved."))
            return redirect("surveys:instrument_detail", pk=result.pk)
    return render(
        request,
        "surveys/instruments/form.html",
        {"form": form, "formset": formset, "instrument": instrument},
    )


@login_required
def program_instrument_list(request, program_pk):
    program, _role = get_program_for_user(request, program_pk, roles=[COORDINATOR])
    instruments = list(instruments_of(organisation=program.organisation).order_by("code"))
    form = ProgramInstrumentForm(request.POST or None, instruments=instruments)
    if request.method == "POST" and form.is_valid():
        try:
            program_instrument_set(
                program=program,
                instrument_code=form.cleaned_data["instrument_code"],
                target_pct=form.cleaned_data["target_pct"],
                timepoints=form.cleaned_data["timepoints"],
                by=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The program's instruments are saved."))
            return redirect("surveys:program_instruments", program_pk=program.pk)
    used = program_instruments(program=program)
    used_codes = {link.instrument_code for link, _i in used}
    catalog = [
        {
            "entry": entry,
            "used": entry.code in used_codes,
            "form": CatalogAddForm(
                prefix=entry.key, initial={"target_pct": entry.suggested_target_pct}
            ),
        }
        for entry in CATALOG.values()
    ]
    return render(
        request,
        "surveys/instruments/program.html",
        {"program": program, "used": used, "form": form, "catalog": catalog},
    )


@login_required
@require_POST
def program_instrument_catalog_add(request, program_pk, key):
    program, _role = get_program_for_user(request, program_pk, roles=[COORDINATOR])
    if key not in CATALOG:
        messages.error(request, _("Unknown ready-made instrument."))
        return redirect("surveys:program_instruments", program_pk=program.pk)
    form = CatalogAddForm(request.POST, prefix=key)
    if not form.is_valid():
        messages.error(request, _("The target must be a percentage between 0 and 100."))
        return redirect("surveys:program_instruments", program_pk=program.pk)
    catalog_add_to_program(
        program=program,
        key=key,
        target_pct=form.cleaned_data["target_pct"],
        by=request.user,
        request=request,
    )
    messages.success(request, _("%(name)s added to the program.") % {"name": CATALOG[key].name})
    return redirect("surveys:program_instruments", program_pk=program.pk)


@login_required
@require_POST
def program_instrument_remove_view(request, program_pk, pk):
    program, _role = get_program_for_user(request, program_pk, roles=[COORDINATOR])
    link = get_object_or_404(ProgramInstrument, pk=pk, program=program)
    program_instrument_remove(link=link, by=request.user, request=request)
    messages.success(request, _("Removed; surveys already recorded are kept."))
    return redirect("surveys:program_instruments", program_pk=program.pk)
