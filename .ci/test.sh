#!/usr/bin/env bash
# The project's test command (README "Run the tests"): installs what the tests
# read PDFs with (poppler-utils: pdftotext, pdfinfo) when it is missing, then
# runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pdftotext >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq poppler-utils >/dev/null
fi
# Snapshots are compared, never written, in CI (insta reads CI=true).
cargo test --locked "$@"
