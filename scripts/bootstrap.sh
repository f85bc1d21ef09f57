#!/usr/bin/env bash
# Install everything casefile needs on a fresh Debian/Ubuntu machine, then casefile itself
# into .venv. Safe to run again: it installs only what is missing.
#   scripts/bootstrap.sh          the renderer's system libraries and casefile
#   scripts/bootstrap.sh --test   also the test tools (pytest, poppler-utils, qpdf)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

# WeasyPrint needs Pango (with HarfBuzz subsetting for compact fonts); the tests read PDFs
# back with poppler's pdftotext/pdftoppm and check them with qpdf.
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
python=${PYTHON:-python3}
"$python" -c "import ensurepip, venv" 2>/dev/null || packages+=(python3-venv)
[ "$want_test" = 1 ] && packages+=(poppler-utils qpdf)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "bootstrap: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
extra=""
[ "$want_test" = 1 ] && extra="[test]"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extra}"
# An editable install leaves casefile's own modules uncompiled, and where PYTHONDONTWRITEBYTECODE
# is set (as in CI containers) every run would compile them again: about 0.25 s a process.
.venv/bin/python -m compileall -q casefile >/dev/null
