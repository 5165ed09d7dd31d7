/* find_file.c - the one lookup of an input file by name (find_file.h). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "find_file.h"

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool ends_in_yaml(const char *name)
{
	size_t n = strlen(name);

	return n > 5 && !strcmp(name + n - 5, ".yaml");
}

int ks_find_file(const struct ks_file_kind *kind, const char *name, char *out, size_t outlen,
		 struct ks_err *err)
{
	char src[1024], inst[1024], tried[1200] = "", cand[4096], dir[4096] = "";
	const char *dirs[] = { "", src, inst }, *sfx[] = { "", ".yaml" };
	bool skip_cwd = !strchr(name, '/') &&
			(kind->bare_not_in_cwd || (kind->named_not_in_cwd && !ends_in_yaml(name)));

	snprintf(src, sizeof(src), "%s/%s/", KS_SRCDIR, kind->subdir);
	snprintf(inst, sizeof(inst), "%s/%s/", KS_PKGDATADIR, kind->subdir);
	for (unsigned d = skip_cwd ? 1 : 0; d < 3; d++) {
		if (d > 0 && name[0] == '/')
			break;
		for (unsigned s = 0; s < 2; s++) {
			size_t tl = strlen(tried);

			if (s == 1 && ends_in_yaml(name))
				continue;
			snprintf(cand, sizeof(cand), "%s%s%s", dirs[d], name, sfx[s]);
			if (is_file(cand)) {
				if (strlen(cand) >= outlen)
					return ks_err_set(err, KS_ERANGE, "%s: path too long", cand);
				memcpy(out, cand, strlen(cand) + 1);
				return 0;
			}
			if (!dir[0] && is_dir(cand))
				snprintf(dir, sizeof(dir), "%s", cand);
			snprintf(tried + tl, sizeof(tried) - tl, "%s%s", tl ? ", " : "", cand);
		}
	}
	if (dir[0]) /* not "not found": the name is there, as a folder */
		return ks_err_set(err, KS_ENOENT, "%s: is a directory, not %s %s file", dir,
				  strchr("aeiou", kind->what[0]) ? "an" : "a", kind->what);
	return ks_err_set(err, KS_ENOENT, "%s '%s' not found (looked for %s)", kind->what, name,
			  tried);
}
