#!/usr/bin/env bash
# Copy KaTeX (pinned in package-lock.json) into the web app's static files.
#
# The copied files are committed, so installing or running papertide needs neither npm nor a CDN;
# run this only to upgrade KaTeX. npm works in build/ (git-ignored) so no node_modules is left in
# the checkout.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$root/build/katex-npm"
dest="$root/src/papertide/web/static/katex"

mkdir -p "$work"
cp "$root/package.json" "$root/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --omit=optional)

dist="$work/node_modules/katex/dist"
rm -rf "$dest"
mkdir -p "$dest/contrib"
cp "$dist/katex.min.js" "$dist/katex.min.css" "$dest/"
cp -R "$dist/fonts" "$dest/fonts"
cp "$dist/contrib/auto-render.min.js" "$dest/contrib/"
cp "$work/node_modules/katex/LICENSE" "$dest/LICENSE"
echo "KaTeX $(node -p "require('$work/node_modules/katex/package.json').version") copied to $dest"
