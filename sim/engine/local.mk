# sim/engine: layer 4, the event engine and the world (the one place models and traces
# meet), and the cost model as the world sees it.
noinst_LIBRARIES += %reldir%/libengine.a
%canon_reldir%_libengine_a_SOURCES = \
	%reldir%/engine.c %reldir%/engine.h \
	%reldir%/world.c %reldir%/world.h \
	%reldir%/reclaim.c %reldir%/reclaim.h \
	%reldir%/observer.h \
	%reldir%/cost_hooks.c %reldir%/cost_hooks.h \
	%reldir%/huge_chunks.c %reldir%/huge_chunks.h
EXTRA_DIST += %reldir%/.may_include
