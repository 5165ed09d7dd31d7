/* fuzz_arch.c - libFuzzer target: the arch cost-model loader (corpus arch). Oracle: a
 * failure is one located line naming the file. */
#include "fuzz.h"
#include "sim/config/load_arch.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct ks_arch_model am = { 0 };
	struct ks_err err = { 0 };
	const char *path = fz_write("in.yaml", d, n);

	if (ks_arch_load_file(path, &am, &err))
		fz_check_msg(err.msg, path);
	ks_arch_fini(&am);
	return 0;
}
