"""Rendering has a page cap, a time limit and a memory limit, and stays within them: a template
that writes ten thousand pages, loops for ever or allocates gigabytes ends in one error line
and exit code 1, within the limit, leaving no PDF behind."""

from __future__ import annotations

import os
import signal
import time

import pytest

from casefile.errors import CasefileError, RenderError, TemplateError
from casefile.limits import RenderLimits, run_limited

from .conftest import Arena

TEN_THOUSAND_PAGES = '{% for i in range(10000) %}<p style="break-after: page">Page {{ i }}</p>{% endfor %}'


def assert_stopped(arena: Arena, result, message: str) -> None:
    assert result.exit_code == 1, result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert arena.pdfs() == []


def test_a_document_past_the_page_cap_is_stopped(arena: Arena, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEFILE_MAX_PAGES", "20")
    arena.template(TEN_THOUSAND_PAGES.replace("10000", "2000"))
    started = time.monotonic()
    result = arena.build()
    assert time.monotonic() - started < 30
    assert_stopped(arena, result, "casefile: error: the document runs past 20 pages and was stopped "
                                  "(CASEFILE_MAX_PAGES sets the limit)")


@pytest.mark.pdf
def test_a_ten_thousand_page_template_fails_cleanly_within_the_default_limits(arena: Arena) -> None:
    arena.template(TEN_THOUSAND_PAGES)
    started = time.monotonic()
    result = arena.build()
    assert time.monotonic() - started < RenderLimits().seconds
    assert_stopped(arena, result, "the document runs past 1,000 pages")


def test_a_layout_past_the_time_limit_is_stopped(arena: Arena, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEFILE_TIME_LIMIT", "1.5")
    arena.template(TEN_THOUSAND_PAGES)
    started = time.monotonic()
    result = arena.build()
    assert time.monotonic() - started < 15
    assert_stopped(arena, result, "casefile: error: laying out the PDF took longer than 1.5 s and was stopped "
                                  "(CASEFILE_TIME_LIMIT sets the limit)")


def test_a_template_that_loops_for_ever_is_stopped(arena: Arena, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEFILE_TIME_LIMIT", "1")
    arena.template("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
    started = time.monotonic()
    result = arena.build()
    assert time.monotonic() - started < 15
    assert_stopped(arena, result, "casefile: error: the template 'probe' took longer than 1 s and was stopped")


@pytest.mark.parametrize("expression", ["{{ 'x' * 10 ** 10 }}", "{{ 'x'|center(10 ** 10) }}",
                                        "{{ '{:>10000000000}'.format(1) }}", "{{ range(100000)|list * 100000 }}"])
def test_a_template_that_allocates_without_end_is_stopped(
        arena: Arena, monkeypatch: pytest.MonkeyPatch, expression: str) -> None:
    monkeypatch.setenv("CASEFILE_MAX_MEMORY_MB", "512")
    arena.template(expression)
    started = time.monotonic()
    result = arena.build()
    assert time.monotonic() - started < 30
    assert result.exit_code == 1, result.stderr
    assert ("probe/document.html:5: error: the template ran out of memory" in result.stderr
            or "ran out of memory" in result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_a_template_writing_too_much_html_is_stopped(arena: Arena) -> None:
    arena.template("{% for i in range(100000) %}{{ 'x' * 400 }}{% endfor %}")
    result = arena.build()
    assert result.exit_code == 1
    assert "the template writes more than 33,554,432 characters of HTML" in result.stderr


@pytest.mark.parametrize(("variable", "value"), [("CASEFILE_MAX_PAGES", "many"), ("CASEFILE_TIME_LIMIT", "-1"),
                                                 ("CASEFILE_MAX_MEMORY_MB", "0")])
def test_a_bad_limit_in_the_environment_is_one_error_line(
        arena: Arena, monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    arena.template("<p>ok</p>")
    result = arena.build()
    assert result.exit_code == 1
    assert f"casefile: error: {variable} must be a" in result.stderr
    assert f"greater than 0, not '{value}'" in result.stderr


# The child process itself.
LIMITS = RenderLimits(seconds=10, max_pages=10, memory_mb=256)


def test_a_limited_task_returns_its_value() -> None:
    assert run_limited(lambda: {"html": "<p>ok</p>", "n": 3}, what="a task", limits=LIMITS) == \
        {"html": "<p>ok</p>", "n": 3}


def test_a_casefile_error_crosses_the_process_boundary_intact() -> None:
    from casefile.errors import Problem

    problem = Problem("probe/document.html", 3, None, "error", "'x' is undefined")

    def fail() -> None:
        raise TemplateError([problem])

    with pytest.raises(TemplateError) as excinfo:
        run_limited(fail, what="a task", limits=LIMITS)
    assert excinfo.value.problems == [problem]


def test_a_crash_of_the_child_is_an_error_not_a_crash_of_casefile() -> None:
    import faulthandler

    def crash() -> None:
        faulthandler.disable()  # pytest's dump of the child's stack is noise here
        os.kill(os.getpid(), signal.SIGSEGV)

    with pytest.raises(RenderError, match=r"^a task crashed \(killed by SIGSEGV\)$"):
        run_limited(crash, what="a task", limits=LIMITS)


def test_an_unexpected_exception_in_the_child_is_an_internal_error_with_its_traceback() -> None:
    with pytest.raises(Exception, match=r"^ZeroDivisionError: division by zero") as excinfo:
        run_limited(lambda: 1 / 0, what="a task", limits=LIMITS)
    assert str(excinfo.value) == "ZeroDivisionError: division by zero"  # one line for the user
    assert not isinstance(excinfo.value, CasefileError)
    assert any("Traceback" in note for note in excinfo.value.__notes__)


def test_a_full_disk_in_the_child_is_a_user_error_naming_the_file() -> None:
    import errno

    def full() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "/tmp/weasyprint-font")

    with pytest.raises(CasefileError, match=r"^a task failed: No space left on device \('/tmp/weasyprint-font'\)$"):
        run_limited(full, what="a task", limits=LIMITS)


def test_memory_beyond_the_cap_fails_in_the_child_only() -> None:
    with pytest.raises(RenderError, match="ran out of memory"):
        run_limited(lambda: bytearray(1024 * 1024 * 1024), what="a task", limits=LIMITS)
    assert len(bytearray(64 * 1024 * 1024)) == 64 * 1024 * 1024  # this process is not capped


def test_what_the_child_logs_reaches_this_process_handlers(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    def task() -> int:
        logging.getLogger("casefile.pdf").warning("renderer: %s", "a missing glyph")
        return 7

    with caplog.at_level(logging.WARNING):
        assert run_limited(task, what="a task", limits=LIMITS) == 7
    assert [(r.name, r.getMessage()) for r in caplog.records] == [("casefile.pdf", "renderer: a missing glyph")]


def _garbage_collection() -> tuple[tuple[int, int, int], int]:
    import gc

    return gc.get_threshold(), gc.get_freeze_count()


def test_the_child_walks_its_heap_rarely_and_never_what_it_inherited() -> None:
    """A layout's heap lives until its PDF is written; full collections of it cost 10-12% of the layout."""
    import gc

    before = gc.get_threshold()
    threshold, frozen = run_limited(_garbage_collection, what="a test", limits=LIMITS)
    assert threshold == (50_000, 10, 10) and frozen > 1000
    assert gc.get_threshold() == before  # the build process itself keeps Python's defaults
