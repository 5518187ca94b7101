#!/usr/bin/env bash
# Writes the first pages of a report's PDF as small PNGs, for the README and docs/ to show what the report looks like:
#   bash scripts/report-pages.sh report/report.pdf docs/report_cpu [PAGES=3] [DPI=60]
# gives docs/report_cpu-1.png, docs/report_cpu-2.png, ... (pdftoppm, from poppler-utils: `make setup` installs it).
set -euo pipefail
pdf="$1"; stem="$2"; pages="${3:-3}"; dpi="${4:-60}"
[ -f "$pdf" ] || { echo "error: $pdf not found; build it with make report" >&2; exit 2; }
command -v pdftoppm >/dev/null || { echo "error: pdftoppm not found; run make setup or apt-get install poppler-utils" >&2; exit 2; }
mkdir -p "$(dirname "$stem")"
pdftoppm -png -r "$dpi" -f 1 -l "$pages" "$pdf" "$stem"
# pdftoppm numbers pages with as many digits as the document has pages: name them stem-1.png, stem-2.png, ...
for file in "$stem"-*.png; do
  number="${file##*-}"; number="${number%.png}"; number=$((10#$number))
  [ "$file" = "$stem-$number.png" ] || mv "$file" "$stem-$number.png"
done
ls -1 "$stem"-*.png
