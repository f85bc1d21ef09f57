"""The library entry point: check cases, plan their documents, render each to PDF.

load -> validate -> resolve -> render HTML -> write PDF, one document at a time. Everything
the command line does is a call into this module.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from datetime import date, datetime, timezone
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from casefile.annex import append_annexes
from casefile.batch import (STAMP_DIR, PendingDocument, input_digest, is_up_to_date, layout_digest, record_build,
                            run_parallel)
from casefile.casedata import carries_case_data, case_attachment
from casefile.checks import CheckedCase, check_case, untranslated_fields
from casefile.loader import find_cases
from casefile.editions import edition_css
from casefile.errors import CasefileError, Problem
from casefile.fonts import font_files
from casefile.leaks import check_no_leaks
from casefile.manifest import write_manifest
from casefile.pdf import DEFAULT_PDF_VARIANT, FetchPolicy, render_pdf, write_atomically
from casefile.render import TemplateRef, find_template, render_html
from casefile.resolve import resolve_document

log = logging.getLogger(__name__)

DEFAULT_TEMPLATES = {
    "extradition": ("extradition-request", "brief"),
    "prosecution": ("prosecution-referral", "brief"),
    "surrender": ("prosecution-referral", "brief"),
    "investigation": ("prosecution-referral", "brief"),
}


@dataclass(frozen=True)
class BuildOptions:
    """What to build and how (the `build` command's options)."""

    out: Path = Path("output")
    templates: tuple[str, ...] = ()
    template_dirs: tuple[Path, ...] = ()
    languages: tuple[str, ...] = ()
    edition: str | None = None
    strict: bool = False
    allow_warnings: bool = False
    digits: str = "default"
    force: bool = False
    jobs: int = 1
    pdf_variant: str = DEFAULT_PDF_VARIANT
    """A PDF variant WeasyPrint writes (pdf.PDF_VARIANTS), or "none" for a plain PDF."""
    draft: bool = False
    """Build marked drafts laid out in pieces (draft.py) instead of filing copies."""


@dataclass(frozen=True)
class DocumentJob:
    """One PDF to build: a template in a language and edition."""

    template: TemplateRef
    lang: str
    edition: str
    output: Path


@dataclass
class BuildReport:
    """What a build did: the files written, the warnings, the cases that failed."""

    built: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    failures: list[tuple[str, CasefileError]] = field(default_factory=list)
    seconds: float = 0.0


def output_name(case_id: str, template: str, lang: str, edition: str, draft: bool = False) -> str:
    """`<id>.<template>.<lang>.pdf`, with `.confidential` before `.pdf` for that edition and
    `.draft` for a draft."""
    return (f"{case_id}.{template}.{lang}{'.confidential' if edition == 'confidential' else ''}"
            f"{'.draft' if draft else ''}.pdf")



def plan_documents(checked: CheckedCase, options: BuildOptions) -> list[DocumentJob]:
    """Every document to build for a case under the options."""
    case = checked.case
    specs = [(d.template, d.languages, d.edition) for d in case.documents] or \
        [(t, None, None) for t in DEFAULT_TEMPLATES[case.request.type]]
    if options.templates:
        wanted = set(options.templates)
        chosen = [s for s in specs if s[0] in wanted or Path(s[0]).name in wanted]
        chosen += [(t, None, None) for t in options.templates if t not in {s[0] for s in chosen}]
        specs = chosen
    jobs = []
    for template_name, languages, edition in specs:
        ref = find_template(template_name, options.template_dirs)
        langs = list(options.languages) or list(languages or case.languages)
        for edition_name in _editions(options.edition, edition, case.classification):
            for lang in langs:
                name = output_name(case.id, ref.name, lang, edition_name, options.draft)
                jobs.append(DocumentJob(ref, lang, edition_name, options.out / name))
    return jobs


def _editions(option: str | None, document: str | None, classification: str) -> list[str]:
    if option == "both":
        return ["public", "confidential"]
    return [option or document or classification]


def build_document(checked: CheckedCase, job: DocumentJob, options: BuildOptions) -> Path:
    """Render one document and write it atomically; return its path."""
    data = resolve_document(checked, job.lang, edition=job.edition, numbering=options.digits)
    html = render_html(job.template, data)
    roots = [checked.folder, *job.template.search_path, *sorted({f.parent for f in font_files()})]
    policy = FetchPolicy(roots)
    epoch = _epoch(checked.case.date.as_date())
    base_url = str(job.template.search_path[0]) + "/"
    furniture = None
    if options.draft:
        pdf, furniture = _draft_body(checked, html, job, options, policy, base_url, epoch)
        attachment = None
    else:
        attachment = case_attachment(checked, job.edition) if carries_case_data(options.pdf_variant) else None
        pdf = render_pdf(html, base_url=base_url,
                         policy=policy, allow_warnings=options.allow_warnings,
                         source_date_epoch=epoch,
                         pdf_variant=options.pdf_variant, pdf_tags=True, attachments=[attachment] if attachment else [],
                         extra_css=edition_css(job.edition, job.lang))
    # Exhibits: each annex's placeholder pages replaced by the exhibit's own, every annex page stamped (annex.py).
    pdf = append_annexes(pdf, checked, lang=job.lang, edition=job.edition, numbering=options.digits,
                         allow_warnings=options.allow_warnings, epoch=epoch)
    if furniture is not None:
        from casefile.draft import add_furniture

        pdf = add_furniture(pdf, furniture)
    # Public editions: the final bytes are searched for every protected string before they
    # reach the disk; a hit raises LeakFound and nothing is written.
    check_no_leaks(pdf, checked, job.edition, job.output)
    write_atomically(job.output, pdf)
    if not options.draft:  # a draft is not for filing: no manifest vouches for it
        write_manifest(job.output, checked, job.template, job.lang, job.edition, pdf, fetched=policy.fetched,
                       attachment=attachment, pdf_variant=options.pdf_variant, tagged=True)
    return job.output


def _draft_body(checked: CheckedCase, html: str, job: DocumentJob, options: BuildOptions, policy: FetchPolicy,
                base_url: str, epoch: int) -> tuple[bytes, bytes]:
    """The joined pages of a document's draft, laid out in pieces kept under
    OUT/.casefile/drafts/ (draft.py), and the furniture to draw on them."""
    from casefile.draft import RenderContext, build_draft

    context = RenderContext(base_url, policy, allow_warnings=options.allow_warnings,
                            extra_css=edition_css(job.edition, job.lang), epoch=epoch, jobs=options.jobs,
                            numbering=options.digits,
                            layout_key=layout_digest([s.sha256 or "" for s in checked.case.sources if s.file],
                                                     job, options))
    result = build_draft(html, context, options.out / STAMP_DIR / "drafts" / job.output.name)
    log.info("draft %s: %d of %d pages laid out, %d of %d pieces kept", job.output.name,
             result.pages_laid_out, result.pages_total, result.pieces_reused, result.pieces_total)
    return result.pdf, result.furniture


def _epoch(day: date) -> int:
    """Seconds since 1970 at midnight UTC of `day`: the document date stands in for the clock."""
    return int(datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc).timestamp())


Progress = Callable[[str, int, int], None]
"""Called with a message, the number of documents done and the number planned."""


def build_case(path: Path, options: BuildOptions, progress: Progress | None = None) -> BuildReport:
    """Check one case and build its documents that are not up to date."""
    return build_cases([path], options, progress)


def _translation_warnings(checked: CheckedCase, languages: set[str]) -> list[Problem]:
    """One warning per case and language: how many fields fall back to the case language."""
    warnings = []
    for lang in sorted(languages):
        count = len(untranslated_fields(checked.loaded, checked.case, lang))
        if count:
            warnings.append(Problem(checked.loaded.display, 1, 1, "warning",
                                    f"{count} text field(s) have no '{lang}' text and use the "
                                    f"'{checked.case.language}' text (`casefile check --lang {lang}` lists them)"))
    return warnings


# Cases checked in this process, so that forked workers build without checking again.
_CHECKED: dict[Path, CheckedCase] = {}


def _build_pending(options: BuildOptions, item: PendingDocument) -> Path:
    output = build_document(_CHECKED[item.case_path], item.job, options)
    record_build(output, item.digest)
    return output


def build_cases(paths: Sequence[Path], options: BuildOptions, progress: Progress | None = None) -> BuildReport:
    """Build every document of every case, skipping those that are up to date.

    One failing case or document does not stop the others; with `options.jobs` > 1 the
    documents are rendered in parallel processes.
    """
    started = time.perf_counter()
    report = BuildReport()
    pending: list[PendingDocument] = []
    planned = [0]

    def say(message: str) -> None:
        if progress:
            progress(message, len(report.built) + len(report.skipped) + len(report.failures), planned[0])

    for path in find_cases(paths):
        try:
            checked = check_case(path, strict=options.strict)
            jobs = plan_documents(checked, options)
        except CasefileError as e:
            report.failures.append((str(path), e))
            continue
        _CHECKED[path] = checked
        report.warnings += [*checked.warnings, *_translation_warnings(checked, {job.lang for job in jobs})]
        exhibits = [s.sha256 or "" for s in checked.case.sources if s.file]
        planned[0] += len(jobs)
        for job in jobs:
            digest = input_digest(checked.loaded.sha256, exhibits, job, options)
            if not options.force and is_up_to_date(job.output, digest):
                report.skipped.append(job.output)
                say(f"up to date: {job.output}")
            else:
                pending.append(PendingDocument(path, job, digest))

    def done(item: PendingDocument, output: Path | None, error: CasefileError | None) -> None:
        if error is not None:
            report.failures.append((str(item.case_path), error))
            say(f"failed: {item.job.output}")
        else:
            assert output is not None
            report.built.append(output)
            say(f"built: {output}")

    # Documents in parallel, or the pieces of a lone draft in parallel: never both at once.
    per_document = dataclasses.replace(options, jobs=1) if len(pending) > 1 else options
    run_parallel(pending, functools.partial(_build_pending, per_document), options.jobs, done)
    report.seconds = time.perf_counter() - started
    return report
