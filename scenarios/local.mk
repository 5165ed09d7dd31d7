# scenarios: shipped YAML scenarios, installed under $(pkgdatadir)/scenarios.
dist_scenarios_DATA +=
dist_scenarios_DATA += %reldir%/8vms.yaml %reldir%/ksmpages-best.yaml \
	%reldir%/ksmpages-worst.yaml %reldir%/volatile.yaml \
	%reldir%/bench-64x4g.yaml
dist_scenarios_DATA += %reldir%/ksmpages-third.yaml %reldir%/cost-differ-first.yaml \
	%reldir%/cost-differ-middle.yaml %reldir%/cost-differ-end.yaml %reldir%/cost-s390.yaml \
	%reldir%/cost-busy.yaml %reldir%/zero-colour-s390.yaml
dist_scenarios_DATA += %reldir%/2009-overcommit.yaml
