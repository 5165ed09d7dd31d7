/* fuzz_zsmalloc.c - libFuzzer target: the zsmalloc cost-model loader (corpus zsmalloc).
 * Oracle: a failure is one located line naming the file. */
#include "fuzz.h"
#include "sim/config/load_zsmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct ks_zs_model zm = { 0 };
	struct ks_err err = { 0 };
	const char *path = fz_write("in.yaml", d, n);

	if (ks_zs_model_load_file(path, &zm, &err))
		fz_check_msg(err.msg, path);
	ks_zs_model_fini(&zm);
	return 0;
}
