# scenarios: shipped YAML scenarios, installed under $(pkgdatadir)/scenarios.
dist_scenarios_DATA +=
