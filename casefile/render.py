"""Render a document's HTML from its template and the resolved data.

Templates run in Jinja2's immutable sandbox with autoescape on for every file and
StrictUndefined, from a search path where the first match wins: the user's `--templates`
folders, then the built-in ones. The loader refuses files that resolve outside its folders.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError as JinjaTemplateError
from jinja2 import TemplateNotFound, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from casefile.errors import Problem, TemplateError
from casefile.i18n import translator

ENTRY_POINTS = ("document.html", "document.html.j2")


def builtin_template_dir() -> Path:
    """The built-in templates: inside the installed package, or `templates/` of a source tree."""
    packaged = Path(str(files("casefile") / "templates"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class TemplateRef:
    """A document template: its name (used in output file names), entry file and search path."""

    name: str
    entry: str
    search_path: tuple[Path, ...]


def find_template(name: str, user_dirs: Sequence[Path] = ()) -> TemplateRef:
    """Resolve a template name (built-in or in a `--templates` folder) or a template folder path."""
    search = [*(Path(d).resolve() for d in user_dirs), builtin_template_dir()]
    candidate = Path(name)
    if os.sep in name or candidate.is_absolute() or name.startswith("."):
        folder = candidate.resolve()
        entry = next((e for e in ENTRY_POINTS if (folder / e).is_file()), None)
        if entry is None:
            raise TemplateError([Problem(name, 1, None, "error",
                                         "a template folder must hold document.html (or document.html.j2)")])
        return TemplateRef(folder.name, entry, (folder, *search))
    for folder in search:
        for entry in ENTRY_POINTS:
            if (folder / name / entry).is_file():
                return TemplateRef(name, f"{name}/{entry}", tuple(search))
    known = sorted({p.name for d in search if d.is_dir() for p in d.iterdir()
                    if any((p / e).is_file() for e in ENTRY_POINTS)})
    from casefile.errors import did_you_mean
    raise TemplateError([Problem(name, 1, None, "error",
                                 f"unknown template '{name}'{did_you_mean(name, known)}; known: {', '.join(known)}")])


class _ConfinedLoader(FileSystemLoader):
    """A FileSystemLoader that refuses files whose real path leaves its folders (symlinks)."""

    def get_source(self, environment: Any, template: str) -> Any:
        source, filename, uptodate = super().get_source(environment, template)
        real = os.path.realpath(filename)
        roots = [os.path.realpath(p) for p in self.searchpath]
        if not any(os.path.commonpath([root, real]) == root for root in roots):
            raise TemplateNotFound(template)
        return source, filename, uptodate


def _environment(ref: TemplateRef, lang: str) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        loader=_ConfinedLoader([str(p) for p in ref.search_path]),
        autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"])
    tr = translator(lang)
    env.install_gettext_callables(tr.gettext, tr.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["asset"] = lambda name: _asset(ref.search_path, name)
    return env


def _asset(search_path: Sequence[Path], name: str) -> str:
    for folder in search_path:
        path = folder / name
        if path.is_file():
            return path.resolve().as_uri()
    raise JinjaTemplateError(f"asset '{name}' not found in the template folders")


def render_html(ref: TemplateRef, data: dict[str, Any]) -> str:
    """The HTML of one document; TemplateError with `TEMPLATE:LINE` on any template fault."""
    env = _environment(ref, data["lang"])
    try:
        return env.get_template(ref.entry).render(**data)
    except TemplateSyntaxError as e:
        raise TemplateError([Problem(e.filename or e.name or ref.entry, e.lineno, None, "error", e.message or str(e))]) \
            from None
    except JinjaTemplateError as e:
        file, line = _template_frame(ref, e)
        raise TemplateError([Problem(file, line, None, "error", str(e))]) from None


def _template_frame(ref: TemplateRef, error: BaseException) -> tuple[str, int]:
    """The innermost template file and line in the traceback of a render error."""
    roots = [str(p) for p in ref.search_path]
    found = (ref.entry, 1)
    tb = error.__traceback__ or sys.exc_info()[2]
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if any(filename.startswith(r) for r in roots):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found
