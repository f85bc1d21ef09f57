"""The command line: parse options, call the library, print problems, choose the exit code.

Errors become output here and nowhere else: problems in a case file print as
`FILE:LINE:COL: severity: MESSAGE`, other user errors as `casefile: error: MESSAGE` (exit 1);
anything unexpected is an internal error (exit 3) with a traceback only under `--debug`.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from casefile import __version__, layout_server
from casefile.errors import CasefileError, Problem, ProblemsFound
from casefile.pdf import DEFAULT_PDF_VARIANT, PDF_VARIANTS, prepare_layout

log = logging.getLogger("casefile")


class _Group(click.Group):
    """A click group that turns every exception into the contract's messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except CasefileError as e:
            report_error(e)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("casefile: interrupted", err=True)
            ctx.exit(130)
        except Exception as e:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"casefile: internal error: {type(e).__name__}: {e} (run with --debug for details)", err=True)
            ctx.exit(3)


def report_error(error: CasefileError) -> None:
    """Print a user error: each problem on its own line, or one `casefile: error:` line."""
    if isinstance(error, ProblemsFound):
        for problem in error.problems:
            click.echo(str(problem), err=True)
    else:
        click.echo(f"casefile: error: {error}", err=True)


def _print_problems(problems: list[Problem] | tuple[Problem, ...]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print what each step does.")
@click.version_option(__version__, prog_name="casefile")
@click.pass_context
def cli(ctx: click.Context, debug: bool, quiet: bool, verbose: bool) -> None:
    """Build PDF dossiers for extradition and prosecution requests from YAML case files."""
    ctx.obj = {"debug": debug, "quiet": quiet, "verbose": verbose,
               "layout_server": (ctx.obj or {}).get("layout_server", False)}
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    logging.basicConfig(level=level, format="casefile: %(message)s", stream=sys.stderr)


def _case_paths(cases: tuple[Path, ...]) -> list[Path]:
    """The case files named and those directly inside the folders named; a usage error (exit
    2) when there are none, rather than a command that silently does nothing."""
    from casefile.loader import find_cases

    paths = find_cases(cases)
    if not paths:
        raise click.UsageError("no case files (.yaml, .yml) in the folders given")
    return paths


def _document_options(*, watching: bool) -> Any:
    """The options `build` and `watch` share, as one decorator."""
    options = [
        click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
                     show_default=True, help="Output folder."),
        click.option("--template", "templates", multiple=True, help="Build only this template (repeatable)."),
        click.option("--templates", "template_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
                     help="A folder of templates searched before the built-in ones (repeatable)"
                          + ("; watched too." if watching else ".")),
        click.option("--lang", "languages", multiple=True, help="Build only this language (repeatable)."),
        click.option("--edition", type=click.Choice(["public", "confidential", "both"]),
                     help="Edition to build (default: each document's edition, else the case's classification)."),
        click.option("--strict", is_flag=True, help="Treat warnings as errors."),
        click.option("--allow-warnings", is_flag=True, help="Do not fail on renderer warnings."),
        click.option("--digits", type=click.Choice(["default", "latn", "arab"]), default="default",
                     show_default=True,
                     help="Digits of numbers, dates and page numbers: the language's default, Latin, or Arabic-Indic."),
        click.option("--force", is_flag=True, help="Rebuild every document at the start, even if up to date."
                     if watching else "Rebuild documents that are up to date."),
        click.option("-j", "jobs", type=click.IntRange(min=1), default=None,
                     help="Parallel processes: documents, or the pieces of a lone draft (default: the number "
                          "of cores)."),
        click.option("--pdf-variant", type=click.Choice(["none", *PDF_VARIANTS]), default=DEFAULT_PDF_VARIANT,
                     show_default=True, help="The PDF standard to write (an archival PDF/A by default), or none."),
        click.option("--draft/--filing", "draft", default=watching, show_default=True,
                     help="A marked draft (<name>.draft.pdf) laid out in pieces and rebuilt piece by piece, "
                          "or a filing copy laid out whole."),
    ]

    def apply(function: Any) -> Any:
        for option in reversed(options):
            function = option(function)
        return function
    return apply


@cli.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path(path_type=Path))
@_document_options(watching=False)
@click.pass_context
def build(ctx: click.Context, cases: tuple[Path, ...], out: Path, templates: tuple[str, ...],
          template_dirs: tuple[Path, ...], languages: tuple[str, ...], edition: str | None,
          strict: bool, allow_warnings: bool, digits: str, force: bool, jobs: int | None,
          pdf_variant: str, draft: bool) -> None:
    """Build the documents of CASE files (or of every case in a folder) into PDFs.

    Documents whose inputs have not changed since their last build are skipped (--force
    rebuilds them). One failing case does not stop the others.
    """
    # Before the heavy imports below, which WeasyPrint's import then overlaps. Not for drafts:
    # their parallel workers are forked from this process and want WeasyPrint imported in it.
    if ctx.obj["layout_server"] and not draft:
        layout_server.start(prepare_layout)
    from casefile.batch import default_jobs
    from casefile.build import BuildOptions, build_cases

    options = BuildOptions(out=out, templates=templates, template_dirs=template_dirs, languages=languages,
                           edition=edition, strict=strict, allow_warnings=allow_warnings, digits=digits,
                           force=force, jobs=jobs or default_jobs(), pdf_variant=pdf_variant, draft=draft)
    quiet = ctx.obj["quiet"]
    report = build_cases(_case_paths(cases), options, progress=None if quiet else _progress_printer())
    _print_problems(report.warnings)
    for _, error in report.failures:
        report_error(error)
    if not quiet:
        click.echo(f"casefile: {len(report.built)} built, {len(report.skipped)} up to date, "
                   f"{len(report.failures)} failed, in {report.seconds:.1f} s", err=True)
    if report.failures:
        ctx.exit(1)


def _progress_printer() -> Any:
    """On a terminal, a progress bar rewritten in place; otherwise one plain line per event."""
    if not sys.stderr.isatty():
        return lambda message, done, total: click.echo(f"casefile: [{done}/{total}] {message}", err=True)

    def show(message: str, done: int, total: int) -> None:
        filled = int(30 * done / total) if total else 30
        end = "\n" if done >= total else ""
        click.echo(f"\r\033[K[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {message}{end}", err=True, nl=False)
    return show


@cli.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--lang", "languages", multiple=True, help="Also list text fields missing in this language.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.pass_context
def check(ctx: click.Context, cases: tuple[Path, ...], languages: tuple[str, ...], strict: bool) -> None:
    """Run every check on CASE files without rendering."""
    from casefile.checks import check_case

    failed = False
    for path in _case_paths(cases):
        try:
            checked = check_case(path, languages=list(languages), strict=strict)
        except CasefileError as e:
            report_error(e)
            failed = True
            continue
        _print_problems(checked.warnings)
        if not ctx.obj["quiet"]:
            click.echo(f"casefile: {path}: ok ({len(checked.warnings)} warning(s))", err=True)
    if failed:
        ctx.exit(1)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def crimes(fmt: str) -> None:
    """List the built-in legal catalogue: conducts, their elements, and modes of liability."""
    from casefile.catalogue import load_catalogue

    catalogue = load_catalogue()
    if fmt == "json":
        data = {
            "conducts": [{"key": c.key, "category": c.category, "title": c.title, "instrument": c.instrument.title,
                          "article": c.article, "provision": c.provision, "note": c.note,
                          "elements": [{"key": e.key, "text": e.text, "source": e.source} for e in c.elements],
                          "context_elements": [{"key": e.key, "text": e.text, "source": e.source}
                                               for e in c.context_elements]}
                         for c in catalogue.conducts.values()],
            "liability": [{"key": m.key, "title": m.title, "instrument": m.instrument.title, "article": m.article,
                           "elements": [{"key": e.key, "text": e.text, "source": e.source} for e in m.elements]}
                          for m in catalogue.liability.values()],
        }
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    width = max(len(k) for k in [*catalogue.conducts, *catalogue.liability]) + 2
    click.echo("Conduct (crimes[].conduct)")
    for c in catalogue.conducts.values():
        click.echo(f"  {c.key:<{width}}{c.provision}  {c.title}")
        for e in c.elements:
            click.echo(f"  {'':<{width}}  - {e.key}: {e.text}")
        if c.context_elements:
            click.echo(f"  {'':<{width}}  + context: {', '.join(e.key for e in c.context_elements)}")
    click.echo("\nModes of liability (crimes[].liability)")
    for m in catalogue.liability.values():
        click.echo(f"  {m.key:<{width}}{m.provision}  {m.title}")


@cli.command("new")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--type", "request_type", type=click.Choice(["extradition", "prosecution", "surrender", "investigation"]),
              default="extradition", show_default=True,
              help="The kind of request; it sets request.type and so the default documents.")
@click.option("--schema", "schema_ref", metavar="PATH_OR_URL",
              help="Point the editor modeline at this schema instead of writing case.schema.json beside the case "
                   "(e.g. ../docs/case.schema.json).")
@click.pass_context
def new(ctx: click.Context, path: Path, request_type: str, schema_ref: str | None) -> None:
    """Write a commented starting case at PATH, with a placeholder exhibit in evidence/.

    Every field is explained in a comment and every name is an invented placeholder; the case
    checks and builds as written. Its first line points editors at the JSON Schema of the case
    format, for completion and inline errors. Refuses to overwrite anything.
    """
    from casefile.scaffold import new_case

    written = new_case(path, request_type, schema_ref=schema_ref)
    if not ctx.obj["quiet"]:
        click.echo(f"casefile: wrote {written.case} and {written.exhibit}", err=True)
        if written.schema:
            click.echo(f"casefile: wrote {written.schema} (the JSON Schema the editor modeline points at)", err=True)
        click.echo(f"casefile: next: edit it, then `casefile check {written.case}`", err=True)


@cli.command("schema")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the schema to this file instead of standard output.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of the case format, generated from the case model.

    Point an editor at it for completion and inline validation of case files, e.g. with the
    first line `# yaml-language-server: $schema=case.schema.json`.
    """
    from casefile.errors import OutputError
    from casefile.schema import schema_json

    text = schema_json()
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise OutputError(f"cannot write '{output}': {e.strerror}") from None


@cli.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path(path_type=Path))
@_document_options(watching=True)
@click.pass_context
def watch(ctx: click.Context, cases: tuple[Path, ...], out: Path, templates: tuple[str, ...],
          template_dirs: tuple[Path, ...], languages: tuple[str, ...], edition: str | None,
          strict: bool, allow_warnings: bool, digits: str, force: bool, jobs: int | None, pdf_variant: str,
          draft: bool) -> None:
    """Build CASE files, then rebuild their documents whenever the case, an exhibit or a template changes.

    It writes marked drafts (<name>.draft.pdf, "DRAFT" on every page) laid out in pieces, so a
    save lays out again only the pieces it changed; --filing writes filing copies instead.
    Problems print in the usual FILE:LINE:COL form and the watch goes on; while a case is
    broken its last good PDFs stay in place. Ctrl-C stops it (exit 0).
    """
    from casefile.batch import default_jobs
    from casefile.build import BuildOptions
    from casefile.watch import Watcher

    quiet = ctx.obj["quiet"]
    options = BuildOptions(out=out, templates=templates, template_dirs=template_dirs, languages=languages,
                           edition=edition, strict=strict, allow_warnings=allow_warnings, digits=digits,
                           force=force, jobs=jobs or default_jobs(), pdf_variant=pdf_variant, draft=draft)
    paths = _case_paths(cases)

    def on_build(path: Path, report: Any) -> None:
        _print_problems(report.warnings)
        for _, error in report.failures:
            report_error(error)
        if not quiet:
            state = "failed" if report.failures else "ok"
            click.echo(f"casefile: {path}: {state}: {len(report.built)} built, {len(report.skipped)} up to date",
                       err=True)

    def on_ready(roots: list[Path]) -> None:
        if not quiet:
            click.echo(f"casefile: watching {len(watcher.cases)} case(s) in {len(roots)} folder(s); Ctrl-C stops",
                       err=True)

    progress = None if quiet else (lambda message, done, total: click.echo(f"casefile: {message}", err=True))
    # Later builds in the same run only rebuild what changed.
    watcher = Watcher(paths, options, on_build=on_build, progress=progress,
                      case_folders=[c for c in cases if c.is_dir()])
    try:
        watcher.run(on_ready=on_ready)
    except KeyboardInterrupt:
        if not quiet:
            click.echo("casefile: stopped watching", err=True)


@cli.command("diff")
@click.argument("files", nargs=-1, required=True, metavar="OLD NEW | CASE",
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--git", "revision", metavar="REV",
              help="Compare CASE as it was in git revision REV (a commit, tag or branch) with the file as it is now.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Text for reading, JSON for other tools.")
@click.option("--lang", help="Language to format figures in (default: the case language).")
def diff(files: tuple[Path, ...], revision: str | None, fmt: str, lang: str | None) -> None:
    """Show what changed between two versions of a case: `diff OLD NEW` or `diff --git REV CASE`.

    Not a text diff: figures whose value, qualifier or sources changed; crimes, accused, sources
    and exhibits added or removed; exhibit hashes that changed; every other field that changed;
    prose changed word by word ([-removed-]{+added+}). Exits 0 whether or not there are
    differences, 1 if either version has errors.
    """
    from casefile.diff import diff_versions, load_git_version, load_version, render_json, render_text

    if revision is not None:
        if len(files) != 1:
            raise click.UsageError("with --git REV, give exactly one CASE file")
        old, new = load_git_version(revision, files[0]), load_version(files[0])
    else:
        if len(files) != 2:
            raise click.UsageError("give two case files, OLD and NEW (or --git REV CASE)")
        old, new = load_version(files[0]), load_version(files[1])
    changes = diff_versions(old, new, lang)
    if fmt == "json":
        click.echo(json.dumps(render_json(old, new, changes), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(old, new, changes), nl=False)


@cli.command("hash")
@click.argument("case", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--update", is_flag=True, help="Replace a hash that differs from its file (shows old and new).")
@click.pass_context
def hash_command(ctx: click.Context, case: Path, update: bool) -> None:
    """Fill in the missing sha256 of each exhibit in CASE, editing only those lines.

    Comments, key order and every other line of the case file stay as they are. A hash that
    differs from its file is an error unless --update is given.
    """
    from casefile.hashing import hash_case

    report = hash_case(case, update=update)
    for change in report.changes:
        click.echo(f"{change.describe(str(case))}", err=True)
    if not ctx.obj["quiet"]:
        click.echo(f"casefile: {case}: {len(report.changes)} hash(es) written" if report.written
                   else f"casefile: {case}: every exhibit hash is up to date", err=True)


@cli.command("matrix")
@click.argument("case", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="Terminal table, CSV (one row per element) or JSON (shape in docs/matrix.schema.json).")
@click.option("--lang", "lang", help="Language of titles and element texts (default: the case language).")
def matrix_command(case: Path, fmt: str, lang: str | None) -> None:
    """Print the evidence matrix of CASE: each crime's elements against the sources that support them."""
    import shutil

    from casefile.checks import check_case
    from casefile.matrix import matrix_csv, matrix_data, matrix_table

    checked = check_case(case)
    _print_problems(checked.warnings)
    data = matrix_data(checked, lang or checked.case.language)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(matrix_csv(data), nl=False)
    else:
        click.echo(matrix_table(data, width=shutil.get_terminal_size((100, 24)).columns), nl=False)


@cli.command("verify")
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def verify_command(ctx: click.Context, pdf: Path) -> None:
    """Check a built PDF against its manifest and the current inputs, and say what differs.

    Compares the PDF's sha256 with the one its manifest (<name>.manifest.json beside it)
    records, and the case file, template files, fonts and exhibits listed there with the
    files as they are now. Exit 1 when anything differs.
    """
    from casefile.manifest import verify

    differences = verify(pdf)
    for line in differences:
        click.echo(f"differs: {line}")
    if differences:
        if not ctx.obj["quiet"]:
            click.echo(f"casefile: {pdf}: {len(differences)} difference(s) from its manifest", err=True)
        ctx.exit(1)
    if not ctx.obj["quiet"]:
        click.echo(f"casefile: {pdf}: matches its manifest and the current inputs", err=True)


@cli.command("extract")
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the case data to this file (default: standard output).")
@click.pass_context
def extract_command(ctx: click.Context, pdf: Path, output: Path | None) -> None:
    """Write out the case data embedded in a PDF dossier.

    A confidential edition carries the case file itself; a public edition carries the
    redacted case data, without protected names or confidential sources.
    """
    from casefile.casedata import extract_case_data
    from casefile.pdf import write_atomically

    name, data = extract_case_data(pdf)
    if output is None:
        click.echo(data, nl=False)  # bytes go to the binary stream unchanged
        return
    write_atomically(output, data)
    if not ctx.obj["quiet"]:
        click.echo(f"casefile: wrote {output} ({name}, {len(data):,} bytes)", err=True)


def main(prog_name: str | None = None) -> None:
    """Run the command line (console entry point). A process of its own, so `build` may start a
    layout server (layout_server.py), which a caller running `cli` in its own process does not
    get: the server's layouts would not see what that process changes after it starts."""
    try:
        cli(prog_name=prog_name or os.path.basename(sys.argv[0]) or "casefile", obj={"layout_server": True})
    finally:
        # The process is about to end: Python's last garbage collections would walk every
        # object it holds, about 0.07 s of a no-op build (docs/benchmarks.md). Exit handlers
        # and finalizers still run.
        gc.freeze()
