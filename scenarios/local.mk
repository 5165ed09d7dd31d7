# scenarios: shipped YAML scenarios, installed under $(pkgdatadir)/scenarios.
dist_scenarios_DATA +=
dist_scenarios_DATA += %reldir%/8vms.yaml %reldir%/ksmpages-best.yaml \
	%reldir%/ksmpages-worst.yaml %reldir%/volatile.yaml \
	%reldir%/bench-64x4g.yaml
