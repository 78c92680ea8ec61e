#!/usr/bin/env bash
# The project's test command (README "Run the tests"): installs, when they
# are missing, the Debian packages the tests use (poppler-utils: pdftotext
# and pdfinfo read the PDFs back; python3-aiosmtpd: the real SMTP server
# relance send talks to; chromium: the real headless browser the HTML
# report is opened in) and the Python package drafthorse (a Factur-X
# writer, for the import tests), then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# drafthorse (PyPI): the real Factur-X writer the import tests make invoices with.
python3 -c 'import drafthorse' >/dev/null 2>&1 || python3 -m pip install --quiet drafthorse
# Snapshots are compared, never written, in CI (insta reads CI=true).
cargo test --locked "$@"
