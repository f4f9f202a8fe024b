#!/usr/bin/env bash
# Copies the pinned front-end packages (package-lock.json, integrity-checked by npm) into this
# folder: the design system's CSS, JavaScript, fonts, the icons its CSS names and the favicon
# (served by the hub under /console/static/dsfr/), and axe-core (injected by the browser tests).
# Run it after changing a version in package.json (then `npm install --package-lock-only`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
dist="$work/node_modules/@gouvfr/dsfr/dist"
rm -rf "$here/dsfr" "$here/axe"
mkdir -p "$here/dsfr/fonts" "$here/dsfr/favicon" "$here/axe"
cp "$dist/dsfr.min.css" "$dist/dsfr.module.min.js" "$dist/dsfr.nomodule.min.js" "$here/dsfr/"
cp "$dist"/fonts/*.woff2 "$dist"/fonts/*.woff "$here/dsfr/fonts/"
cp "$dist"/favicon/favicon.svg "$dist"/favicon/favicon.ico "$dist"/favicon/apple-touch-icon.png "$here/dsfr/favicon/"
# The icons the stylesheet itself refers to (url(icons/…)), not the whole set.
grep -o 'url(icons/[^)]*)' "$dist/dsfr.min.css" | sed 's/^url(//; s/)$//' | sort -u | while read -r icon; do
  mkdir -p "$here/dsfr/$(dirname "$icon")"
  cp "$dist/$icon" "$here/dsfr/$icon"
done
cp "$work/node_modules/@gouvfr/dsfr/LICENSE.md" "$here/dsfr/LICENSE.md" 2>/dev/null || true
cp "$work/node_modules/axe-core/axe.min.js" "$work/node_modules/axe-core/LICENSE" "$here/axe/"
echo "vendored: dsfr $(node -p "require('$work/node_modules/@gouvfr/dsfr/package.json').version"), axe-core $(node -p "require('$work/node_modules/axe-core/package.json').version")"
