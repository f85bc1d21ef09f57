"""Render a document's HTML from its template and the resolved data.

Templates run in Jinja2's immutable sandbox with autoescape on for every file and
StrictUndefined, from a search path where the first match wins: the user's `--templates`
folders, then the built-in ones. The loader refuses files that resolve outside its folders.

Compiling the templates takes most of a render (about 50 of 55 ms for the seed's request), so
compiled templates are kept in the cache folder (fonts.cache_folder), keyed by each template's
file and source: an edited template is compiled again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, TemplateNotFound, TemplateSyntaxError
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from casefile import __version__
from casefile.errors import Problem, TemplateError
from casefile.fonts import private_cache_folder
from casefile.i18n import translator
from casefile.limits import RenderLimits, run_limited

ENTRY_POINTS = ("document.html", "document.html.j2")
# A dossier's HTML is well under a megabyte; a template that writes this much is looping.
MAX_HTML_CHARS = 32 * 1024 * 1024


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
        if not _inside(filename, self.searchpath):
            raise TemplateNotFound(template, f"template '{template}' is refused: it leads outside the template folders")
        return source, filename, uptodate


def _inside(path: str | Path, folders: Sequence[str | Path]) -> bool:
    """Whether `path`, symbolic links resolved, lies inside one of `folders`."""
    real = os.path.realpath(path)
    return any(os.path.commonpath([root, real]) == root for root in map(os.path.realpath, folders))


_ENVIRONMENT_OPTIONS: dict[str, Any] = {
    "autoescape": True, "undefined": StrictUndefined, "trim_blocks": True, "lstrip_blocks": True,
    "extensions": ["jinja2.ext.i18n"]}


class _CompiledTemplates(FileSystemBytecodeCache):
    """Jinja's file cache of compiled templates, which never fails a render: a cache that cannot
    be written is a slower render, not an error."""

    def dump_bytecode(self, bucket: Any) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _compiled_templates() -> _CompiledTemplates | None:
    """Jinja's cache of compiled templates, in `template_cache_folder()`."""
    folder = template_cache_folder()
    return None if folder is None else _CompiledTemplates(str(folder))


def template_cache_folder() -> Path | None:
    """The cache folder for this casefile, Jinja and set of environment options, or None where
    it cannot be used. Compiled code depends on all three (and on the new-style gettext
    `_environment` always installs), while Jinja keys each entry only by the template's file and
    source."""
    options = repr(sorted((k, getattr(v, "__name__", v)) for k, v in _ENVIRONMENT_OPTIONS.items()))
    key = hashlib.sha256(f"{__version__} {jinja2.__version__} {options}".encode()).hexdigest()[:16]
    return private_cache_folder("templates", key)  # compiled code is run as it is read


def _environment(ref: TemplateRef, lang: str) -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        loader=_ConfinedLoader([str(p) for p in ref.search_path]), bytecode_cache=_compiled_templates(),
        **_ENVIRONMENT_OPTIONS)
    tr = translator(lang)
    env.install_gettext_callables(tr.gettext, tr.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["asset"] = lambda name: _asset(ref.search_path, name)
    return env


def _asset(search_path: Sequence[Path], name: str) -> str:
    for folder in search_path:
        path = folder / name
        if path.is_file():
            if not _inside(path, [folder]):
                raise SecurityError(f"asset '{name}' is refused: it leads outside the template folders")
            return path.resolve().as_uri()
    raise JinjaTemplateError(f"asset '{name}' not found in the template folders")


def render_html(ref: TemplateRef, data: dict[str, Any], *, limits: RenderLimits | None = None) -> str:
    """The HTML of one document; TemplateError with `TEMPLATE:LINE` on any template fault.

    The template runs in a child process within `limits` (time and memory; default from the
    environment), so a template that loops or allocates without end is stopped with an error.
    """
    return run_limited(lambda: _render_here(ref, data), what=f"the template '{ref.name}'",
                       limits=limits or RenderLimits.from_env())


def _render_here(ref: TemplateRef, data: dict[str, Any]) -> str:
    env = _environment(ref, data["lang"])
    try:
        chunks, size = [], 0
        for chunk in env.get_template(ref.entry).generate(**data):
            size += len(chunk)
            if size > MAX_HTML_CHARS:
                raise JinjaTemplateError(f"the template writes more than {MAX_HTML_CHARS:,} characters of HTML")
            chunks.append(chunk)
        return "".join(chunks)
    except TemplateSyntaxError as e:
        name = _display_name(ref, e.filename) if e.filename else (e.name or ref.entry)
        raise TemplateError([Problem(name, e.lineno, None, "error", e.message or str(e))]) from None
    except JinjaTemplateError as e:
        file, line = _template_frame(ref, e)
        raise TemplateError([Problem(file, line, None, "error", str(e))]) from None
    except MemoryError as e:
        file, line = _template_frame(ref, e)
        raise TemplateError([Problem(file, line, None, "error", "the template ran out of memory")]) from None
    except Exception as e:  # the template's own fault (1/0, 'a' + 1), located like any other
        file, line = _template_frame(ref, e)
        raise TemplateError([Problem(file, line, None, "error", f"{type(e).__name__}: {e}")]) from None


def _template_frame(ref: TemplateRef, error: BaseException | None) -> tuple[str, int]:
    """The innermost template file (relative to its folder) and line in the traceback of an error."""
    found = (ref.entry if "/" in ref.entry else f"{ref.name}/{ref.entry}", 1)
    tb = error.__traceback__ if error is not None else None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if _folder_of(ref, filename) is not None:
            found = (_display_name(ref, filename), tb.tb_lineno)
        tb = tb.tb_next
    return found


def _folder_of(ref: TemplateRef, filename: str) -> Path | None:
    """The search-path folder holding `filename` (an absolute path), if any."""
    if not os.path.isabs(filename):
        return None
    return next((folder for folder in ref.search_path
                 if os.path.commonpath([str(folder), os.path.abspath(filename)]) == str(folder)), None)


def _display_name(ref: TemplateRef, filename: str) -> str:
    """A template file as its name relative to its folder (`brief/document.html`); a template
    given as a folder keeps the folder's name in front (`mytemplate/document.html`)."""
    folder = _folder_of(ref, filename)
    if folder is None:
        return filename
    relative = Path(os.path.relpath(os.path.abspath(filename), folder)).as_posix()
    if "/" not in ref.entry and folder == ref.search_path[0]:
        return f"{ref.name}/{relative}"
    return relative
