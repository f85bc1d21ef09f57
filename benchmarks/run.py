"""casefile's benchmark harness: a script to run by hand, not a test.

    .venv/bin/python benchmarks/run.py [--pages 10 40 160] [--runs 3] [--write docs/benchmarks.md]

It prints a table and writes docs/benchmarks.md with the machine, the date and the versions:
- the time of each stage (load, validate, resolve, render HTML, WeasyPrint layout, PDF write,
  post-processing) in one process, for the seed case and synthetic cases of about 10, 40 and
  160 pages (benchmarks/generate.py);
- casefile's whole build against raw WeasyPrint on the very same HTML, both as whole processes
  in the same run, median of --runs, and their ratio;
- pages per second and peak memory;
- the start-up time of `casefile --help`;
- two batches of documents with -j 1 against -j N (the seed case's 12 documents, and 2 synthetic
  cases × 2 documents), and their no-op rebuilds;
- drafts (`build --draft`, what `watch` writes): the first build of the 40-page case, then a
  rebuild after one fact paragraph changes, as a whole process and in a warm process as
  `watch` runs it; and the peak memory of a first draft of a 640-page case (laid out in
  chunks) against raw WeasyPrint on the same HTML.
Only public tools: the standard library, casefile and WeasyPrint.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import write_case  # noqa: E402

CASEFILE = [sys.executable, "-m", "casefile"]
SEED = ROOT / "cases" / "assad-extradition.yaml"
TEMPLATE = "extradition-request"
FILING_WRITE = {"pdf_variant": "pdf/a-3b", "pdf_tags": True}  # what casefile's filing copy asks WeasyPrint for


def _timed(command: list[str], **kw: object) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{proc.stderr}")
    # ru_maxrss of children is the largest child so far: good enough when runs grow in size.
    return wall, max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)


def _peak_rss(command: list[str]) -> int:
    """Peak RSS (KiB) of one process, read from its own rusage via a wrapper."""
    code = ("import resource,subprocess,sys;subprocess.run(sys.argv[1:],check=True,capture_output=True);"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *command], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def stage_times(case: Path) -> dict[str, float]:
    """Seconds per stage of one build, in this process. Modules are imported beforehand, casefile's
    as WeasyPrint's (the check imports casefile.annex, and with it pikepdf, only when a case has
    exhibits): imports are counted in the whole-process figures, not here."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    import casefile.annex  # noqa: F401
    from casefile import renderer_fixes
    from casefile.checks import _Checker
    from casefile.fonts import font_face_css
    from casefile.loader import load_case
    from casefile.pdf import isolate_fontconfig
    from casefile.render import find_template, render_html
    from casefile.resolve import resolve_document
    from casefile.validate import validate_case
    from casefile.checks import CheckedCase

    isolate_fontconfig()
    renderer_fixes.apply()  # WeasyPrint's layout as casefile runs it
    times: dict[str, float] = {}
    t = time.perf_counter()
    loaded = load_case(case)
    times["load"] = time.perf_counter() - t
    t = time.perf_counter()
    model, problems = validate_case(loaded)
    assert model is not None, problems
    checker = _Checker(loaded, model)
    warnings = checker.run()
    checked = CheckedCase(model, loaded, tuple(warnings), checker.first_cited)
    times["validate"] = time.perf_counter() - t
    t = time.perf_counter()
    data = resolve_document(checked, "en")
    times["resolve"] = time.perf_counter() - t
    t = time.perf_counter()
    ref = find_template(TEMPLATE)
    html = render_html(ref, data)
    times["render HTML"] = time.perf_counter() - t
    t = time.perf_counter()
    fonts = FontConfiguration()
    document = HTML(string=html, base_url=str(ref.search_path[0]) + "/").render(
        font_config=fonts, stylesheets=[CSS(string=font_face_css(), font_config=fonts)], **FILING_WRITE)
    times["WeasyPrint layout"] = time.perf_counter() - t
    t = time.perf_counter()
    pdf = document.write_pdf(**FILING_WRITE)
    times["PDF write"] = time.perf_counter() - t
    times["pages"] = len(document.pages)
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        from casefile.pdf import write_atomically
        write_atomically(Path(folder) / "out.pdf", pdf)
    times["post-processing"] = time.perf_counter() - t
    return times


def _html_for(case: Path, folder: Path) -> Path:
    """The exact HTML casefile hands to WeasyPrint, with the font faces inlined, for the raw run."""
    code = (
        "import sys;from pathlib import Path;"
        "from casefile.checks import check_case;from casefile.resolve import resolve_document;"
        "from casefile.render import find_template, render_html;from casefile.fonts import font_face_css;"
        f"ref=find_template('{TEMPLATE}');html=render_html(ref, resolve_document(check_case(sys.argv[1]),'en'));"
        "html=html.replace('</head>','<style>'+font_face_css()+'</style></head>',1);"
        "Path(sys.argv[2]).write_text(html,encoding='utf-8')")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (case.stem + ".html")
    subprocess.run([sys.executable, "-c", code, str(case), str(target)], check=True, cwd=ROOT)
    return target


def whole_process(case: Path, runs: int, folder: Path) -> dict[str, float]:
    """casefile build against raw WeasyPrint on the same HTML: medians of `runs` whole processes."""
    html = _html_for(case, folder)
    from casefile.render import builtin_template_dir

    raw = [sys.executable, "-c",
           "import sys;from weasyprint import HTML;"
           "HTML(filename=sys.argv[1], base_url=sys.argv[2]).write_pdf(sys.argv[3])",
           str(html), str(builtin_template_dir()) + "/", str(folder / "raw.pdf")]
    # The same write options as casefile's filing copy: what WeasyPrint itself must do for it.
    archival = [sys.executable, "-c",
                "import sys;from weasyprint import HTML;"
                "HTML(filename=sys.argv[1], base_url=sys.argv[2]).write_pdf(sys.argv[3], pdf_variant='pdf/a-3b', "
                "pdf_tags=True)",
                str(html), str(builtin_template_dir()) + "/", str(folder / "raw-archival.pdf")]
    ours = [*CASEFILE, "-q", "build", str(case), "--template", TEMPLATE, "--lang", "en", "--force",
            "--out", str(folder / "out"), "-j", "1"]
    casefile_times, raw_times, archival_times = [], [], []
    for _ in range(runs):  # interleaved, so drift in the machine's speed hits both alike
        casefile_times.append(_timed(ours, cwd=ROOT)[0])
        raw_times.append(_timed(raw, cwd=ROOT)[0])
        archival_times.append(_timed(archival, cwd=ROOT)[0])
    pdf = next((folder / "out").glob("*.pdf"))
    from pypdf import PdfReader

    pages = len(PdfReader(pdf).pages)
    return {"casefile": statistics.median(casefile_times), "raw": statistics.median(raw_times),
            "archival": statistics.median(archival_times), "pages": pages, "peak_casefile": _peak_rss(ours) / 1024, "peak_raw": _peak_rss(raw) / 1024}


def startup(runs: int) -> float:
    """Median seconds of `casefile --help`."""
    return statistics.median(_timed([*CASEFILE, "--help"], cwd=ROOT)[0] for _ in range(max(runs, 5)))


def batch(folder: Path, runs: int) -> dict[str, dict[str, float]]:
    """-j 1 against -j N, and a no-op rebuild, on two batches: the seed case's 12 documents
    (3 languages × 2 templates × 2 editions, the batch issue 8 describes) and 2 synthetic
    ~10-page cases × 2 documents."""
    cases = folder / "batch"
    cases.mkdir(exist_ok=True)
    src = write_case(10, folder / "gen")
    for n in range(2):
        text = src.read_text(encoding="utf-8").replace("id: synthetic-10", f"id: synthetic-b{n}")
        (cases / f"synthetic-{n}.yaml").write_text(text, encoding="utf-8")
    return {"seed": _speedup([str(SEED), "--edition", "both", "--out", str(folder / "seed-batch-out")], runs),
            "synthetic": _speedup([str(cases), "--out", str(folder / "batch-out"), "--lang", "en"], runs)}


def _speedup(arguments: list[str], runs: int) -> dict[str, float]:
    jobs = os.cpu_count() or 1
    base = [*CASEFILE, "-q", "build", *arguments]
    ones, manys = [], []
    for _ in range(max(runs, 5)):  # interleaved, so drift in the machine's speed hits both alike
        ones.append(_timed([*base, "--force", "-j", "1"], cwd=ROOT)[0])
        manys.append(_timed([*base, "--force", "-j", str(jobs)], cwd=ROOT)[0])
    noop = statistics.median(_timed([*base, "-j", str(jobs)], cwd=ROOT)[0] for _ in range(max(runs, 5)))
    return {"jobs": jobs, "j1": statistics.median(ones), "jn": statistics.median(manys), "noop": noop,
            "speedup": statistics.median(one / many for one, many in zip(ones, manys))}


def _edit_one_fact_paragraph(case: Path, n: int) -> None:
    """Reword one paragraph in the middle of the statement of facts (a new wording each time)."""
    lines = case.read_text(encoding="utf-8").splitlines(keepends=True)
    targets = [i for i, line in enumerate(lines) if "people were killed in the" in line]
    i = targets[len(targets) // 2]
    word = ("northern", "southern", "eastern", "western")[n % 4]
    lines[i] = re.sub(r"killed in the (\w+ )?province", f"killed in the {word} province", lines[i])
    case.write_text("".join(lines), encoding="utf-8")


_WARM_REBUILD = """
import sys, time
sys.path.insert(0, sys.argv[3])
from pathlib import Path
from casefile.build import BuildOptions, build_cases
from run import _edit_one_fact_paragraph
case, out, runs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[4])
options = BuildOptions(out=out, templates=("extradition-request",), languages=("en",), draft=True)
build_cases([case], options)  # warm: imports done, pieces kept
for n in range(runs):
    _edit_one_fact_paragraph(case, 100 + n)
    started = time.perf_counter()
    report = build_cases([case], options)
    assert not report.failures and report.built, report.failures
    print(time.perf_counter() - started)
"""


def draft_rebuild(folder: Path, runs: int) -> dict[str, float]:
    """A draft of the 40-page case: the first build, then rebuilds after one fact paragraph
    changes, as whole processes and in a warm process (as `watch` runs them)."""
    case = write_case(40, folder / "draft-gen")
    out = folder / "draft-out"
    command = [*CASEFILE, "-q", "build", str(case), "--template", TEMPLATE, "--lang", "en", "--draft", "--out", str(out)]
    first = _timed(command, cwd=ROOT)[0]
    rebuilds = []
    for n in range(max(runs, 3)):
        _edit_one_fact_paragraph(case, n)
        rebuilds.append(_timed(command, cwd=ROOT)[0])
    warm = subprocess.run([sys.executable, "-c", _WARM_REBUILD, str(case), str(out), str(ROOT / "benchmarks"),
                           str(max(runs, 3))], capture_output=True, text=True, check=True, cwd=ROOT)
    return {"first": first, "rebuild": statistics.median(rebuilds),
            "warm": statistics.median(float(x) for x in warm.stdout.split())}


def draft_memory(pages: int, folder: Path) -> dict[str, float]:
    """Peak memory of a first draft of a long case, laid out in chunks, against raw WeasyPrint
    laying out the same HTML whole. The draft's figure is the larger of the main process and
    its largest layout process (each chunk is laid out in a child process of its own)."""
    case = write_case(pages, folder / "memory-gen")
    code = ("import resource,subprocess,sys,time;t=time.perf_counter();"
            "subprocess.run(sys.argv[1:],check=True,capture_output=True);"
            "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    draft = [*CASEFILE, "-q", "build", str(case), "--template", TEMPLATE, "--lang", "en", "--draft",
             "--out", str(folder / "memory-out"), "-j", "1"]
    d_seconds, d_peak = subprocess.run([sys.executable, "-c", code, *draft], capture_output=True, text=True,
                                       check=True, cwd=ROOT).stdout.split()
    html = _html_for(case, folder / "memory-html")
    from casefile.render import builtin_template_dir

    raw = [sys.executable, "-c", "import sys;from weasyprint import HTML;"
           "HTML(filename=sys.argv[1], base_url=sys.argv[2]).write_pdf(sys.argv[3])",
           str(html), str(builtin_template_dir()) + "/", str(folder / "memory-raw.pdf")]
    r_seconds, r_peak = subprocess.run([sys.executable, "-c", code, *raw], capture_output=True, text=True,
                                       check=True, cwd=ROOT).stdout.split()
    from pypdf import PdfReader

    count = len(PdfReader(next((folder / "memory-out").glob("*.draft.pdf"))).pages)
    return {"pages": count, "draft_seconds": float(d_seconds), "draft_mib": int(d_peak) / 1024,
            "raw_seconds": float(r_seconds), "raw_mib": int(r_peak) / 1024}


def machine() -> str:
    """One line about the machine and the versions."""
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"casefile {version('casefile')}, WeasyPrint {version('weasyprint')}")


def main() -> None:
    """Run every benchmark, print the tables, write the report."""
    parser = argparse.ArgumentParser(description="casefile benchmarks")
    parser.add_argument("--pages", type=int, nargs="*", default=[10, 40, 160])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory-pages", type=int, default=640, help="pages of the memory case (0: skip it)")
    parser.add_argument("--write", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    # As an installed package is: compiled. (An editable install is not, and where
    # PYTHONDONTWRITEBYTECODE is set each process would compile casefile again.)
    compileall.compile_dir(str(ROOT / "casefile"), quiet=1)
    lines: list[str] = []

    def out(line: str = "") -> None:
        print(line)
        lines.append(line)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = [("seed", SEED)] + [(f"synthetic ~{p} pages", write_case(p, folder / "gen")) for p in args.pages]
        out("## Stages, in one process (seconds)\n")
        out("casefile's modules and WeasyPrint's are imported beforehand; imports count in the whole-process")
        out("figures below. Layout and write are asked for what the filing copy is: PDF/A-3b, tagged.\n")
        out("| case | pages | load | validate | resolve | render HTML | WeasyPrint layout | PDF write | post-processing | casefile's own share |")
        out("|---|---|---|---|---|---|---|---|---|---|")
        for name, case in cases:
            t = stage_times(case)
            own = t["load"] + t["validate"] + t["resolve"] + t["render HTML"] + t["post-processing"]
            weasy = t["WeasyPrint layout"] + t["PDF write"]
            out(f"| {name} | {int(t['pages'])} | {t['load']:.3f} | {t['validate']:.3f} | {t['resolve']:.3f} | "
                f"{t['render HTML']:.3f} | {t['WeasyPrint layout']:.2f} | {t['PDF write']:.2f} | "
                f"{t['post-processing']:.3f} | {own / weasy:.1%} |")
        out(f"\n## Whole process: casefile build against raw WeasyPrint on the same HTML (median of {args.runs})\n")
        out("Raw WeasyPrint writes a plain PDF; \"same write\" asks it for what casefile's filing copy is,")
        out("PDF/A-3b with tags.\n")
        out("| case | pages | casefile | raw WeasyPrint | ratio | raw, same write | ratio | pages/s | peak MiB casefile | peak MiB raw |")
        out("|---|---|---|---|---|---|---|---|---|---|")
        for name, case in cases:
            w = whole_process(case, args.runs, folder / name.replace(" ", "-").replace("~", ""))
            out(f"| {name} | {w['pages']} | {w['casefile']:.2f} s | {w['raw']:.2f} s | {w['casefile'] / w['raw']:.2f}× | "
                f"{w['archival']:.2f} s | {w['casefile'] / w['archival']:.2f}× | "
                f"{w['pages'] / w['casefile']:.1f} | {w['peak_casefile']:.0f} | {w['peak_raw']:.0f} |")
        out("\n## Start-up, batch and no-op rebuild\n")
        out(f"- `casefile --help`: {startup(args.runs):.2f} s (median)")
        batches = batch(folder, args.runs)
        for name, what in (("seed", "the seed case's 12 documents (3 languages × 2 templates × 2 editions)"),
                           ("synthetic", "2 synthetic ~10-page cases × 2 documents")):
            b = batches[name]
            out(f"- batch of {what}, medians of {max(args.runs, 5)} interleaved pairs: -j 1 {b['j1']:.2f} s, "
                f"-j {b['jobs']} {b['jn']:.2f} s, speed-up {b['speedup']:.2f}× (median of the pairs' ratios; "
                f"{b['j1'] / b['jn']:.2f}× from the medians); no-op rebuild {b['noop']:.2f} s")
        out("\n## Drafts laid out in pieces\n")
        d = draft_rebuild(folder, args.runs)
        out(f"- synthetic ~40-page case, English request: first draft {d['first']:.2f} s; after one fact paragraph "
            f"changes, rebuilt in {d['rebuild']:.2f} s as a whole process (`casefile build --draft`) and "
            f"{d['warm']:.2f} s in a warm process, as `watch` rebuilds (medians)")
        if args.memory_pages:
            m = draft_memory(args.memory_pages, folder)
            out(f"- synthetic ~{args.memory_pages}-page case ({m['pages']} pages), first draft: peak "
                f"{m['draft_mib']:.0f} MiB in {m['draft_seconds']:.0f} s; raw WeasyPrint on the same HTML: "
                f"peak {m['raw_mib']:.0f} MiB in {m['raw_seconds']:.0f} s")
    header = [
        "# Benchmarks", "",
        f"Run with `.venv/bin/python benchmarks/run.py` on {datetime.date.today().isoformat()}.", "",
        f"Machine: {machine()}.", "",
        "Whole-process figures are medians of interleaved runs; the machine is shared and noisy, so",
        "compare ratios rather than absolute times.", "",
    ]
    if args.write:
        existing = args.write.read_text(encoding="utf-8") if args.write.exists() else ""
        notes = existing.split("<!-- findings -->", 1)[1] if "<!-- findings -->" in existing else "\n"
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text("\n".join(header + lines) + "\n\n<!-- findings -->" + notes, encoding="utf-8")


if __name__ == "__main__":
    main()
