#!/usr/bin/env bash
# html.sh - `sim report --html` and `sim compare --html` pages opened in headless
# Chromium: the page loads without console errors, has its plots (SVG paths with real
# coordinates, bands for the confidence intervals), is self-contained, and its
# screenshot is far from blank. Skipped (77) without
# Chromium (Debian package chromium; `./setup.sh html` installs it and runs this).
set -u
: "${SIM:?}" "${SRCDIR:?}"
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || { echo "SKIP: Chromium not installed (Debian package chromium)"; exit 77; }
. "$SRCDIR/tests/lib.sh"
# browse URL WHAT...: headless Chromium with a fresh profile, nothing fetched.
browse() {
	local url=$1
	shift
	timeout 120 "$chrome" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --user-data-dir="$(mktemp -d "$tmp/profile.XXXXXX")" \
		--enable-logging=stderr --v=0 --window-size=800,3000 "$@" "$url"
}
# console URL: the page's console messages (errors, uncaught exceptions).
console() { browse "$1" --dump-dom 2>&1 >/dev/null | grep ':CONSOLE' || true; }

# The console check can fail: a page with an error is caught.
printf '<!DOCTYPE html><html><body><script>console.error("boom")</script></body></html>' \
	>"$tmp/bad.html"
console "file://$tmp/bad.html" | grep -q boom && ok || bad "a console error went unseen"

"$SIM" sweep --scenario "$data/poisson.yaml" --vary ksm.pages_to_scan=5..80:8log \
	--vary ksm.sleep_millisecs=10,20 --seeds 3 --db "$tmp/s.db" -j 2 --quiet
check "sweep" 0 $?
"$SIM" report "$tmp/s.db" --html "$tmp/out"
check "report --html exit" 0 $?
page="$tmp/out/index.html"
[ -s "$page" ] && ok || bad "no page"
check "no temporary file left" "index.html" "$(ls -A "$tmp/out")"
size=$(stat -c %s "$page")
[ "$size" -lt 2000000 ] && ok || bad "page of $size bytes"
# self-contained: nothing to fetch (no src=, href= or url( pointing outside)
check "self-contained" 0 "$(grep -cE '(src|href)="[^#]|url\(' "$page")"

check "console" "" "$(console "file://$page")"
dom=$(browse "file://$page" --dump-dom 2>/dev/null)
plots=$(printf '%s' "$dom" | grep -o '<svg class="plot"' | wc -l)
# 5 sweep plots, 3 run plots, the cost breakdown, 2 latency histograms
[ "$plots" -ge 11 ] && ok || bad "$plots plots"
lines=$(printf '%s' "$dom" | grep -oE '<path class="line" stroke="#[0-9A-F]{6}" d="M[0-9.]+ [0-9.]+(L[0-9.]+ [0-9.]+)+"' | wc -l)
[ "$lines" -ge 15 ] && ok || bad "$lines drawn lines"
check "empty lines" 0 "$(printf '%s' "$dom" | grep -c 'class="line"[^>]* d=""')"
bands=$(printf '%s' "$dom" | grep -oE '<path class="band" fill="#[0-9A-F]{6}" d="M[^"]+Z"' | wc -l)
[ "$bands" -ge 8 ] && ok || bad "$bands confidence bands"
bars=$(printf '%s' "$dom" | grep -oE '<path class="bar" fill="#[0-9A-F]{6}" d="M[^"]+Z"' | wc -l)
[ "$bars" -ge 5 ] && ok || bad "$bars bars"
for want in "Sweep 1: poisson" "ksm.sleep_millisecs = 20" "Run " "KSM counters" \
	"ksmd CPU by component" "cmp_and_merge_page latency, anonymous pages" "Runs (48)"; do
	printf '%s' "$dom" | grep -qF "$want" && ok || bad "page lacks '$want'"
done

# The screenshot is far from blank: a blank page's PNG is a few kilobytes.
printf '<!DOCTYPE html><html><body></body></html>' >"$tmp/blank.html"
browse "file://$tmp/blank.html" --screenshot="$tmp/blank.png" >/dev/null 2>&1
browse "file://$page" --screenshot="$tmp/page.png" >/dev/null 2>&1
check "screenshot is a PNG" "89504e47" "$(head -c 4 "$tmp/page.png" | od -An -tx1 | tr -d ' \n')"
[ "$(stat -c %s "$tmp/page.png")" -gt $(($(stat -c %s "$tmp/blank.png") * 10)) ] && ok ||
	bad "screenshot $(stat -c %s "$tmp/page.png") bytes against blank $(stat -c %s "$tmp/blank.png")"

# sim compare --html: the two runs' plots, from two databases.
"$SIM" --scenario "$data/poisson.yaml" --set ksm.checksum=cksm --db "$tmp/b.db" --quiet
"$SIM" compare "$tmp/s.db:1" "$tmp/b.db" --html "$tmp/cmp"
check "compare --html exit" 0 $?
check "compare: console" "" "$(console "file://$tmp/cmp/index.html")"
dom=$(browse "file://$tmp/cmp/index.html" --dump-dom 2>/dev/null)
lines=$(printf '%s' "$dom" | grep -oE '<path class="line" stroke="#[0-9A-F]{6}" d="M[0-9.]+ [0-9.]+(L[0-9.]+ [0-9.]+)+"' | wc -l)
check "compare: A and B over time" 6 "$lines"
bars=$(printf '%s' "$dom" | grep -oE '<path class="bar" fill="#[0-9A-F]{6}" d="M[^"]+Z"' | wc -l)
[ "$bars" -ge 10 ] && ok || bad "compare: $bars bars"
for want in "Settings that differ" "B / A" "the CKSM checksum is s390" "ksmd CPU by component: B"; do
	printf '%s' "$dom" | grep -qF "$want" && ok || bad "compare page lacks '$want'"
done

# Bad output folders: one line, exit 2, no page.
out=$("$SIM" report "$tmp/s.db" --html "$tmp/no/such/dir" 2>&1)
check "missing parent exit" 2 $?
check "missing parent one line" 1 "$(printf '%s\n' "$out" | wc -l)"
printf '%s' "$out" | grep -q "no/such/dir: cannot make the report folder" && ok || bad "message: $out"
: >"$tmp/afile"
out=$("$SIM" report "$tmp/s.db" --html "$tmp/afile" 2>&1)
check "a file as folder exit" 2 $?
printf '%s' "$out" | grep -q "afile: not a folder" && ok || bad "message: $out"

finish
