# tests/report.mk: the HTML and JSON reports (included by tests/local.mk): pages opened
# in headless Chromium (skipped without it).
TESTS += tests/html.sh
EXTRA_DIST += tests/html.sh
TESTS += tests/compare.sh
EXTRA_DIST += tests/compare.sh
