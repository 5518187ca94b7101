#!/usr/bin/env bash
# Installs the system packages the report's PDF and browser checks need (Chromium, poppler's pdftoppm, a font),
# with the platform's package manager where this user may; otherwise prints the one command to run.
set -u
missing=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
  || command -v google-chrome >/dev/null 2>&1 || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
[ ${#missing[@]} -eq 0 ] && { echo "system packages: chromium, pdftoppm and fonts present"; exit 0; }

if command -v apt-get >/dev/null 2>&1; then
  cmd=(apt-get install -y -qq "${missing[@]}")
  if [ "$(id -u)" -eq 0 ]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo -n); else sudo=(none); fi
  if [ "${sudo[0]:-}" != none ]; then
    echo "system packages: installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq && "${sudo[@]}" "${cmd[@]}" >/dev/null && exit 0
    echo "system packages: apt-get failed" >&2
  fi
  echo "system packages missing: ${missing[*]}. Run: sudo apt-get install ${missing[*]}  (or use 'make report' with --no-pdf: elmo-lib report --no-pdf)" >&2
elif command -v brew >/dev/null 2>&1; then
  echo "system packages missing: ${missing[*]}. Run: brew install --cask chromium && brew install poppler" >&2
elif command -v dnf >/dev/null 2>&1; then
  echo "system packages missing: ${missing[*]}. Run: sudo dnf install chromium poppler-utils dejavu-sans-fonts" >&2
else
  echo "system packages missing: ${missing[*]}: install Chromium and poppler (pdftoppm) with your package manager." >&2
fi
exit 0
