/* find_file.h - the one lookup of an input file by name, for every file kind (scenarios,
 * arch models, zsmalloc models). */
#ifndef KS_FIND_FILE_H
#define KS_FIND_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "models/base/status.h"

/* A kind of input file and where its named copies live. */
struct ks_file_kind {
	const char *what;     /* in messages: "scenario", "arch model" */
	const char *subdir;   /* below the source tree and the installed data: "scenarios" */
	/* A bare name (no '/') is not looked up in the current folder: for kinds whose
	 * names are also the names of other kinds' files (arch-models/x86_64.yaml and
	 * arch-models/zsmalloc/x86_64.yaml). */
	bool bare_not_in_cwd;
	/* A bare name without ".yaml" ("x86_64") names a shipped file and is not looked up
	 * in the current folder; "x86_64.yaml" or "./x86_64" is a file there. For arch
	 * models: a scenario's `arch: x86_64` must mean the same model from every folder
	 * (a stray x86_64.yaml in the folder a run starts from must not change its costs). */
	bool named_not_in_cwd;
};

/* Resolves name: in the current folder (an absolute name: only there; a bare name not,
 * as the kind says), then in the
 * source tree's SUBDIR (KS_SRCDIR), then in the installed one (KS_PKGDATADIR); in each,
 * as given and then with ".yaml" appended (unless it ends in ".yaml"). Writes the first
 * regular file found into out. 0, KS_ENOENT ("WHAT 'NAME' not found (looked for A, B,
 * ...)", or "DIR: is a directory, not a WHAT file": the name leads to no file) or
 * KS_ERANGE (out too short). */
int ks_find_file(const struct ks_file_kind *kind, const char *name, char *out, size_t outlen,
		 struct ks_err *err);

#endif
