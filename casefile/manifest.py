"""The manifest beside each PDF, and `casefile verify`, which checks a PDF against it.

`<name>.manifest.json` records what the PDF was made from and with: the versions of casefile
and WeasyPrint, the sha256 of the case file, of every template file and font file used, of
every exhibit the edition contains, of the embedded case data, and of the PDF itself. A
legal team that registers a dossier's hash can later show which inputs give those bytes.

The manifest of a public edition lists only what the public edition contains: no
confidential exhibit appears in it, and it is searched for protected strings like the PDF.

Paths are written so that they survive a move of the output together with the case: files
of the built-in templates as `builtin:NAME`, font files as `font:PACKAGE/NAME`, everything
else relative to the manifest's folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path
from typing import Any

from casefile import __version__
from casefile.checks import CheckedCase, sha256_file
from casefile.errors import LeakFound, OutputError, VerificationFailed
from casefile.exhibits import annex_order
from casefile.fonts import cache_folder, font_files
from casefile.leaks import describe, find_leaks_in_text, manifest_for, protected_needles
from casefile.pdf import EmbeddedFile, write_atomically
from casefile.render import TemplateRef, builtin_template_dir, template_cache_folder

MANIFEST_VERSION = 1
_ENTRY_KINDS = ("templates", "fonts", "assets", "exhibits")


def sha256_bytes(data: bytes) -> str:
    """The hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def package_version(name: str) -> str:
    """The installed version of a distribution, or 'unknown'."""
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def template_files(ref: TemplateRef) -> list[Path]:
    """The template files a document uses: its entry point and everything it extends, includes
    or imports, found as the renderer finds them (first match on the search path)."""
    from jinja2 import Environment, FileSystemLoader, TemplateNotFound

    env = Environment(loader=FileSystemLoader([str(p) for p in ref.search_path]), extensions=["jinja2.ext.i18n"])
    found: dict[str, Path] = {}
    kept_in = template_cache_folder()
    todo = [ref.entry]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        try:
            source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        except TemplateNotFound:
            continue
        if filename:
            found[name] = Path(filename).resolve()
        todo += _referenced_templates(env, source, kept_in)
    return sorted(set(found.values()))


def _referenced_templates(env: Any, source: str, folder: Path | None) -> list[str]:
    """The names a template's source extends, includes or imports. Parsing takes some 4 ms a
    template, about 0.06 s of each document's manifest, so the names are kept in `folder` (the
    template cache, render.template_cache_folder, where there is one) under the source's hash."""
    from jinja2 import meta

    kept = folder / f"references-{sha256_bytes(source.encode())}.json" if folder else None
    if kept is not None:
        try:
            names = json.loads(kept.read_text(encoding="utf-8"))
            if isinstance(names, list) and all(isinstance(n, str) for n in names):
                return names
        except (OSError, ValueError):
            pass
    # A name computed at render time cannot be followed; the files it could name are not listed.
    names = [n for n in meta.find_referenced_templates(env.parse(source)) if n]
    if kept is not None:
        with contextlib.suppress(OutputError):  # a cache that cannot be written costs time only
            write_atomically(kept, json.dumps(names).encode())
    return names


def _font_refs() -> dict[Path, str]:
    """Package fonts as `font:PACKAGE/NAME`; static instances made from them (fonts.py) as
    `font:PACKAGE-VERSION/NAME`, the name of their cache folder."""
    cache = cache_folder().resolve()
    return {path.resolve(): f"font:{(path.parent if path.resolve().is_relative_to(cache) else path.parent.parent).name}/"
                            f"{path.name}" for path in font_files()}


def input_ref(path: Path, base: Path, fonts: dict[Path, str] | None = None) -> str:
    """How the manifest names an input file (see the module docstring). `fonts`: `_font_refs()`,
    when the caller has it already."""
    path = path.resolve()
    fonts = _font_refs() if fonts is None else fonts
    if path in fonts:
        return fonts[path]
    builtin = builtin_template_dir().resolve()
    if os.path.commonpath([builtin, path]) == str(builtin):
        return "builtin:" + path.relative_to(builtin).as_posix()
    return Path(os.path.relpath(path, base.resolve())).as_posix()


def resolve_ref(ref: str, base: Path) -> Path:
    """The file a manifest entry names, on this machine."""
    if ref.startswith("builtin:"):
        return builtin_template_dir() / ref.removeprefix("builtin:")
    if ref.startswith("font:"):
        known = {name: path for path, name in _font_refs().items()}
        if ref in known:
            return known[ref]
        package, _, name = ref.removeprefix("font:").partition("/")
        return Path(str(files(package) / "files" / name))
    return base / ref


def make_manifest(checked: CheckedCase, template: TemplateRef, lang: str, edition: str, output: Path, pdf: bytes,
                  *, fetched: Sequence[Path], attachment: EmbeddedFile | None, pdf_variant: str,
                  tagged: bool) -> dict[str, Any]:
    """The manifest of one built PDF (not yet written)."""
    base = output.parent
    fonts = _font_refs()
    used_templates = {p.resolve() for p in template_files(template)}
    assets: dict[Path, None] = {}
    for path in fetched:
        path = path.resolve()
        if path in fonts:
            continue
        if any(os.path.commonpath([str(root.resolve()), str(path)]) == str(root.resolve())
               for root in template.search_path):
            used_templates.add(path)
        else:
            assets[path] = None
    used_fonts = sorted({p.resolve() for p in fetched if p.resolve() in fonts})
    sources = {s.id: s for s in checked.case.sources}
    exhibits = [e for e in annex_order(checked, lambda n: f"Annex {n}")
                if edition != "public" or not sources[e.source_id].confidential]

    def entry(path: Path) -> dict[str, str]:
        return {"path": input_ref(path, base, fonts), "sha256": sha256_file(path)}

    return {
        "manifest": MANIFEST_VERSION,
        "file": output.name,
        "sha256": sha256_bytes(pdf),
        "size": len(pdf),
        "case_id": checked.case.id,
        "template": template.name,
        "language": lang,
        "edition": edition,
        "pdf_variant": pdf_variant,
        "tagged": tagged,
        "casefile": __version__,
        "weasyprint": package_version("weasyprint"),
        "case": entry(checked.loaded.path),
        "embedded_case_data": {"name": attachment.name, "sha256": sha256_bytes(attachment.data)}
        if attachment else None,
        "templates": [entry(p) for p in sorted(used_templates)],
        "fonts": [entry(p) for p in used_fonts],
        "assets": [entry(p) for p in assets],
        "exhibits": [{"source": e.source_id, "annex": e.label, **entry(e.path)} for e in exhibits],
    }


def write_manifest(output: Path, checked: CheckedCase, template: TemplateRef, lang: str, edition: str, pdf: bytes,
                   *, fetched: Sequence[Path], attachment: EmbeddedFile | None, pdf_variant: str,
                   tagged: bool) -> Path:
    """Write `<name>.manifest.json` beside the PDF just written; return its path.

    A public edition's manifest is searched for protected strings first; should one be found
    (a case file named after a witness, say), the PDF is removed again and LeakFound raised.
    """
    manifest = make_manifest(checked, template, lang, edition, output, pdf, fetched=fetched, attachment=attachment,
                             pdf_variant=pdf_variant, tagged=tagged)
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    path = manifest_for(output)
    if edition == "public":
        leaks = find_leaks_in_text(text, protected_needles(checked), f"the manifest {path.name}")
        if leaks:
            output.unlink(missing_ok=True)
            raise LeakFound(f"{output}: the manifest of the public edition would reveal protected data, so neither "
                            f"file was kept: {describe(leaks)}")
    write_atomically(path, text.encode("utf-8"))
    return path


def read_manifest(pdf: Path) -> dict[str, Any]:
    """The manifest beside `pdf`, or VerificationFailed."""
    path = manifest_for(pdf)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise VerificationFailed(f"{pdf}: no manifest beside it (expected {path})") from None
    except (OSError, ValueError) as e:
        raise VerificationFailed(f"{path}: cannot read the manifest: {e}") from None
    if not isinstance(manifest, dict) or manifest.get("manifest") != MANIFEST_VERSION:
        raise VerificationFailed(f"{path}: not a casefile manifest (version {MANIFEST_VERSION})")
    return manifest


def verify(pdf: Path) -> list[str]:
    """What differs between `pdf`, its manifest and the current inputs: one line each; [] if nothing."""
    manifest = read_manifest(pdf)
    base = manifest_for(pdf).parent
    differences = []
    try:
        actual = sha256_file(pdf)
    except OSError as e:
        raise VerificationFailed(f"{pdf}: cannot read: {e.strerror}") from None
    if actual != manifest.get("sha256"):
        differences.append(f"{pdf}: the PDF is not the one its manifest describes "
                           f"(sha256 {actual}, recorded {manifest.get('sha256')})")
    for name, recorded in (("casefile", manifest.get("casefile")), ("weasyprint", manifest.get("weasyprint"))):
        installed = __version__ if name == "casefile" else package_version(name)
        if recorded != installed:
            differences.append(f"{name}: built with version {recorded}, version {installed} is installed")
    entries = [("case file", manifest.get("case"))]
    for kind in _ENTRY_KINDS:
        entries += [(kind[:-1], item) for item in manifest.get(kind) or []]
    for kind, item in entries:
        if not isinstance(item, dict) or "path" not in item:
            continue
        path = resolve_ref(item["path"], base)
        shown = _display(path) + (f" ({item['annex']}, source '{item['source']}')" if "annex" in item else "")
        try:
            now = sha256_file(path)
        except FileNotFoundError:
            differences.append(f"{shown}: {kind} missing")
            continue
        except OSError as e:
            differences.append(f"{shown}: {kind} unreadable: {e.strerror}")
            continue
        if now != item.get("sha256"):
            differences.append(f"{shown}: {kind} changed since the build (sha256 {now}, recorded {item.get('sha256')})")
    return differences


def _display(path: Path) -> str:
    """A path as short as it can be said from the current folder."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return relative if not relative.startswith("../../..") else str(path)
