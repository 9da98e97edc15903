#!/bin/sh
# Rebuild dashboard/static/plotly-newsradar.min.js from the plotly.js release that the Python `plotly` package
# embeds (so the figures' JSON is read by the same version). Needs node and npm; run by hand, not by `make`.
#   sh scripts/plotly_bundle/build.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=$("$root/.venv/bin/python" -c "from plotly.offline import get_plotlyjs_version as v; print(v())")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/entry.js" "$work/"
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --no-package-lock "plotly.js@$version" esbuild@0.28.2 >/dev/null
node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --global-name=Plotly \
    --define:global=window --define:define.amd=false --target=es2016 --alias:stream=stream-browserify \
    --legal-comments=eof --log-level=warning \
    --banner:js="/* plotly.js $version (MIT licence, Plotly, Inc.): newsradar's build with scatter, heatmap and choropleth (scripts/plotly_bundle) */" \
    --outfile=plotly-newsradar.min.js
cp plotly-newsradar.min.js "$root/dashboard/static/plotly-newsradar.min.js"
echo "dashboard/static/plotly-newsradar.min.js: plotly.js $version, $(wc -c < plotly-newsradar.min.js) bytes"
