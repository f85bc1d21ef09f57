"""`python -m casefile` runs the command line."""

from casefile.cli import main

main(prog_name="python -m casefile")
