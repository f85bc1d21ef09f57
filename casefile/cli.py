"""The command line: parse options, call the library, print problems, choose the exit code.

Errors become output here and nowhere else: problems in a case file print as
`FILE:LINE:COL: severity: MESSAGE`, other user errors as `casefile: error: MESSAGE` (exit 1);
anything unexpected is an internal error (exit 3) with a traceback only under `--debug`.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from casefile import __version__
from casefile.errors import CasefileError, Problem, ProblemsFound

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
    ctx.obj = {"debug": debug, "quiet": quiet, "verbose": verbose}
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    logging.basicConfig(level=level, format="casefile: %(message)s", stream=sys.stderr)


@cli.command()
@click.argument("cases", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output"), show_default=True,
              help="Output folder.")
@click.option("--template", "templates", multiple=True, help="Build only this template (repeatable).")
@click.option("--templates", "template_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              help="A folder of templates searched before the built-in ones (repeatable).")
@click.option("--lang", "languages", multiple=True, help="Build only this language (repeatable).")
@click.option("--edition", type=click.Choice(["public", "confidential", "both"]),
              help="Edition to build (default: each document's edition, else the case's classification).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--allow-warnings", is_flag=True, help="Do not fail on renderer warnings.")
@click.option("--digits", type=click.Choice(["default", "latn", "arab"]), default="default", show_default=True,
              help="Digits of numbers, dates and page numbers: the language's default, Latin, or Arabic-Indic.")
@click.option("--force", is_flag=True, help="Rebuild documents that are up to date.")
@click.option("-j", "jobs", type=click.IntRange(min=1), default=None,
              help="Parallel processes (default: the number of cores).")
@click.pass_context
def build(ctx: click.Context, cases: tuple[Path, ...], out: Path, templates: tuple[str, ...],
          template_dirs: tuple[Path, ...], languages: tuple[str, ...], edition: str | None,
          strict: bool, allow_warnings: bool, digits: str, force: bool, jobs: int | None) -> None:
    """Build the documents of CASE files (or of every case in a folder) into PDFs.

    Documents whose inputs have not changed since their last build are skipped (--force
    rebuilds them). One failing case does not stop the others.
    """
    from casefile.batch import default_jobs
    from casefile.build import BuildOptions, build_cases

    options = BuildOptions(out=out, templates=templates, template_dirs=template_dirs, languages=languages,
                           edition=edition, strict=strict, allow_warnings=allow_warnings, digits=digits,
                           force=force, jobs=jobs or default_jobs())
    quiet = ctx.obj["quiet"]
    report = build_cases(list(cases), options, progress=None if quiet else _progress_printer())
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
    from casefile.build import find_cases
    from casefile.checks import check_case

    failed = False
    for path in find_cases(cases):
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


def main() -> None:
    """Run the command line (console entry point)."""
    cli(prog_name=os.path.basename(sys.argv[0]) or "casefile")
