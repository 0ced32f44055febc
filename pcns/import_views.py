"""The tenant administrators' bulk import and export pages (/admin-tools/).

Uploads are imported by a Celery task (pcns.dataset.runs); the run page polls a fragment for the
progress and then shows the report. Tenant administrators only: anyone else gets 403, and a run
of another tenant is 404 for everyone.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from config import limits
from config.pages import require
from config.templating import uk_datetime
from pcns import permissions
from pcns.dataset import all_kinds
from pcns.dataset.runs import (
    FINISHED,
    import_run_create,
    import_run_get_for_user,
    import_run_list_for_user,
    import_run_progress,
    tenant_export,
)
from pcns.import_forms import MAX_UPLOAD_TEXT, ImportUploadForm
from pcns.models import ImportRun, ImportStatus
from pcns.presenters import error_list

#: Failing rows shown on the run page; the rest are counted.
MAX_ERRORS_SHOWN = 500
#: Seconds between two looks at a running import (the fragment, or the page without script).
POLL_SECONDS = 1

TAGS = {
    ImportStatus.QUEUED: ("Waiting to start", "nhsuk-tag--grey"),
    ImportStatus.RUNNING: ("Importing", "nhsuk-tag--blue"),
    ImportStatus.SUCCEEDED: ("Imported", "nhsuk-tag--green"),
    ImportStatus.REJECTED: ("Not imported", "nhsuk-tag--red"),
    ImportStatus.FAILED: ("Failed", "nhsuk-tag--red"),
}


# --------------------------------------------------------------------------- presenters


def _totals(report: dict) -> dict[str, int]:
    totals = {"rows": 0, "created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    for counts in (report.get("counts") or {}).values():
        for name in totals:
            totals[name] += int(counts.get(name, 0))
    return totals


def _tag(run: ImportRun) -> dict[str, str]:
    if run.status == ImportStatus.SUCCEEDED and (run.report or {}).get("errors"):
        return {"text": "Imported, failing rows left out", "classes": "nhsuk-tag--yellow"}
    text, classes = TAGS[ImportStatus(run.status)]
    return {"text": text, "classes": classes}


def _counts_text(run: ImportRun) -> str:
    if run.status not in FINISHED or not (run.report or {}).get("counts"):
        return ""
    totals = _totals(run.report)
    parts = [f"{totals['rows']:,} rows"]
    parts += [f"{totals[name]:,} {name}" for name in ("created", "updated", "failed")
              if totals[name]]
    return ", ".join(parts)


def run_row(run: ImportRun) -> dict:
    """One line of the imports page's history table."""
    return {"file_name": run.file_name, "href": reverse("pcns:import-detail", args=[run.pk]),
            "by": run.created_by.get_full_name() or run.created_by.email,
            "at": run.created_at, "tag": _tag(run), "counts": _counts_text(run)}


def _progress(run: ImportRun) -> dict:
    """The bar and its words: checking comes first (half the work), then saving."""
    progress = import_run_progress(run.pk)
    if progress is None or progress.total == 0:
        text = ("Waiting for the import to start" if run.status == ImportStatus.QUEUED
                else "Reading the files")
        return {"value": 0, "max": 1, "text": text}
    rows = progress.total // 2
    if progress.done <= rows:
        text = f"{progress.done:,} of {rows:,} rows checked"
    else:
        text = f"All {rows:,} rows checked, {progress.done - rows:,} of {rows:,} saved"
    return {"value": progress.done, "max": progress.total, "text": text}


def _files(report: dict) -> list[dict]:
    counts = report.get("counts") or {}
    return [{"file": kind.file_name, **{name: f"{int(value):,}" for name, value in
                                          counts[kind.name].items()}}
            for kind in all_kinds() if kind.name in counts]


def _errors(report: dict) -> list[dict]:
    return [{"file": error["file"] or "The whole import",
             "line": str(error["line"]) if error["line"] else "",
             "id": error["id"], "column": error["column"], "reason": error["message"]}
            for error in (report.get("errors") or [])[:MAX_ERRORS_SHOWN]]


def run_view(run: ImportRun) -> dict:
    """What the run page's live part shows: the status, then the progress or the report."""
    report = run.report or {}
    in_progress = run.status not in FINISHED
    errors = report.get("errors") or []
    count = int(report.get("error_count", len(errors)))  # reports keep the first 1,000 rows
    return {
        "tag": _tag(run),
        "finished": uk_datetime(run.finished_at) if run.finished_at else "",
        "in_progress": in_progress,
        "poll_url": reverse("pcns:import-progress", args=[run.pk]),
        "page_url": reverse("pcns:import-detail", args=[run.pk]),
        "poll_every": f"{POLL_SECONDS}s",
        "poll_ms": POLL_SECONDS * 1000,
        "progress": _progress(run) if in_progress else None,
        "message": report.get("message", "") if run.status == ImportStatus.FAILED else "",
        "nothing_imported": run.status in (ImportStatus.REJECTED, ImportStatus.FAILED),
        "partly_imported": run.status == ImportStatus.SUCCEEDED and bool(errors),
        "files": _files(report) if run.status in FINISHED else [],
        "errors": _errors(report),
        "error_count": f"{count:,}",
        "problems": "1 problem was found." if count == 1 else f"{count:,} problems were found.",
        "errors_hidden": f"{max(0, count - MAX_ERRORS_SHOWN):,}"
        if count > MAX_ERRORS_SHOWN else "",
    }


def _run_summary(run: ImportRun) -> list[tuple[str, str]]:
    return [
        ("Uploaded by", run.created_by.get_full_name() or run.created_by.email),
        ("Uploaded", uk_datetime(run.created_at)),
        ("If a row fails", "Import the rows that pass and leave out the failing ones"
         if run.partial else "Import nothing"),
    ]


# --------------------------------------------------------------------------- pages


def import_list(request: HttpRequest) -> HttpResponse:
    require(permissions.can_administer_tenant(request.user))
    form = (ImportUploadForm(request.POST, request.FILES) if request.method == "POST"
            else ImportUploadForm())
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = import_run_create(actor=request.user, file_name=upload.name,
                                payload=form.cleaned_data["payload"],
                                partial=form.cleaned_data["partial"])
        return redirect("pcns:import-detail", run.pk)
    page = Paginator(import_run_list_for_user(request.user), 25).get_page(request.GET.get("page"))
    return render(
        request, "pcns/imports/list.jinja",
        {"form": form, "error_list": error_list(form, "file"), "max_upload": MAX_UPLOAD_TEXT,
         "limits": {"expanded": f"{limits.IMPORT_MAX_EXPANDED_BYTES // (1024 * 1024)} MB",
                    "rows": f"{limits.IMPORT_MAX_ROWS:,}"},
         "partial_checked": form.is_bound and bool(form.data.get("partial")),
         "file_names": [kind.file_name for kind in all_kinds()],
         "page": page, "runs": [run_row(run) for run in page]},
        status=400 if form.errors else 200,
    )


def import_detail(request: HttpRequest, run_id) -> HttpResponse:
    run = import_run_get_for_user(request.user, run_id)
    require(permissions.can_administer_tenant(request.user))
    return render(request, "pcns/imports/detail.jinja",
                  {"run": run, "summary": _run_summary(run), "live": run_view(run),
                   "refresh_seconds": POLL_SECONDS * 2})


def import_progress(request: HttpRequest, run_id) -> HttpResponse:
    """The live part of the run page alone, for the page to poll."""
    run = import_run_get_for_user(request.user, run_id)
    require(permissions.can_administer_tenant(request.user))
    response = render(request, "pcns/imports/_live.jinja", {"live": run_view(run)})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def export(request: HttpRequest) -> HttpResponse:
    require(permissions.can_administer_tenant(request.user))
    data = tenant_export(actor=request.user)
    name = f"{request.tenant.slug}-records-{timezone.localdate():%Y-%m-%d}.zip"
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
