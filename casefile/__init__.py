"""casefile: build PDF dossiers for extradition and prosecution requests from one YAML case file."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("casefile")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
