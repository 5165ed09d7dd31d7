/* import_mem.c - memory images into traces (import_mem.h).
 *
 * The image becomes one process (pid 1) at time 0: `start`, one `mmap` per region at
 * KS_IMAGE_BASE + its address, the region's pages through the page dictionary
 * (page_dict.h), then `mergeable` for every region (a guest's RAM is mergeable under
 * QEMU). Nothing exits: a run replays the image for the scenario's duration.
 *
 * The ELF checks follow what dump-guest-memory writes (QEMU dump/dump.c): an ELF64
 * little-endian core for x86_64, program headers of 56 bytes, PT_LOAD segments with
 * the guest-physical address in p_paddr; more than 65534 segments put the real count in
 * section header 0's sh_info (PN_XNUM). A segment's pages past p_filesz (up to p_memsz)
 * are mapped but not in the file: left unpopulated. Every check names the byte offset of
 * the field it read. */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "import_mem.h"
#include "page_dict.h"
#include "models/base/xalloc.h"

#define CHUNK_PAGES 256u

/* A region of the image: file bytes [off, off + filesz) at address addr. */
struct seg {
	uint64_t addr, off, filesz, memsz;
	unsigned index; /* program header index, for messages */
};

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static const char *machine_name(unsigned m)
{
	switch (m) {
	case EM_386: return "i386";
	case EM_AARCH64: return "aarch64";
	case EM_ARM: return "arm";
	case EM_PPC64: return "ppc64";
	case EM_S390: return "s390x";
	case EM_RISCV: return "riscv";
	default: return "unknown";
	}
}

/* Reads exactly n bytes at off; false on a short read. */
static bool read_at(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = pread(fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));

		if (k <= 0)
			return false;
		got += (size_t)k;
	}
	return true;
}

/* The PT_LOAD segments of an ELF core, sorted by address. */
static int elf_segments(const char *in, int fd, uint64_t size, struct seg **out, size_t *nout,
			struct ks_err *err)
{
	Elf64_Ehdr eh;
	uint64_t phnum;
	struct seg *s = NULL;
	size_t n = 0;

	if (size < sizeof(eh) || !read_at(fd, &eh, sizeof(eh), 0))
		return ks_err_set(err, KS_EPARSE, "%s:0: truncated ELF header (%zu bytes needed, "
				  "the file has %" PRIu64 ")", in, sizeof(eh), size);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		return ks_err_set(err, KS_EPARSE, "%s:4: ELF class %u is not ELF64: only x86_64 "
				  "dumps are supported", in, eh.e_ident[EI_CLASS]);
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return ks_err_set(err, KS_EPARSE, "%s:5: big-endian ELF: only x86_64 dumps are "
				  "supported", in);
	if (eh.e_machine != EM_X86_64)
		return ks_err_set(err, KS_EPARSE, "%s:18: ELF machine %u (%s), not x86_64: only "
				  "x86_64 dumps are supported", in, eh.e_machine,
				  machine_name(eh.e_machine));
	if (eh.e_type != ET_CORE)
		return ks_err_set(err, KS_EPARSE, "%s:16: ELF type %u is not a core dump "
				  "(ET_CORE, as dump-guest-memory writes)", in, eh.e_type);
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return ks_err_set(err, KS_EPARSE, "%s:54: program header size %u (expected %zu)",
				  in, eh.e_phentsize, sizeof(Elf64_Phdr));
	phnum = eh.e_phnum;
	if (phnum == PN_XNUM) {
		Elf64_Shdr sh;

		if (eh.e_shoff > size || size - eh.e_shoff < sizeof(sh) ||
		    !read_at(fd, &sh, sizeof(sh), eh.e_shoff))
			return ks_err_set(err, KS_EPARSE, "%s:40: section header 0 at offset %" PRIu64
					  " (the segment count) is past the end of the file (%"
					  PRIu64 " bytes): truncated", in, (uint64_t)eh.e_shoff, size);
		phnum = sh.sh_info;
	}
	if (eh.e_phoff > size || (size - eh.e_phoff) / sizeof(Elf64_Phdr) < phnum)
		return ks_err_set(err, KS_EPARSE, "%s:32: %" PRIu64 " program headers at offset %"
				  PRIu64 " run past the end of the file (%" PRIu64 " bytes): "
				  "truncated", in, phnum, (uint64_t)eh.e_phoff, size);
	for (uint64_t i = 0; i < phnum; i++) {
		uint64_t at = eh.e_phoff + i * sizeof(Elf64_Phdr);
		Elf64_Phdr ph;

		if (!read_at(fd, &ph, sizeof(ph), at)) {
			free(s);
			return ks_err_set(err, KS_EIO, "%s:%" PRIu64 ": cannot read program header %"
					  PRIu64 ": %s", in, at, i, strerror(errno));
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_paddr % KS_PAGE_SIZE || ph.p_filesz % KS_PAGE_SIZE ||
		    ph.p_memsz % KS_PAGE_SIZE || ph.p_filesz > ph.p_memsz ||
		    ph.p_paddr > UINT64_MAX - KS_IMAGE_BASE - ph.p_memsz) {
			free(s);
			return ks_err_set(err, KS_EPARSE, "%s:%" PRIu64 ": segment %" PRIu64 " (address "
					  "0x%" PRIx64 ", %" PRIu64 " bytes in the file, %" PRIu64
					  " in memory) is not whole pages", in, at, i,
					  (uint64_t)ph.p_paddr, (uint64_t)ph.p_filesz,
					  (uint64_t)ph.p_memsz);
		}
		if (ph.p_offset > size || size - ph.p_offset < ph.p_filesz) {
			free(s);
			return ks_err_set(err, KS_EPARSE, "%s:%" PRIu64 ": segment %" PRIu64 " (bytes %"
					  PRIu64 "..%" PRIu64 ") runs past the end of the file (%"
					  PRIu64 " bytes): truncated dump", in, at, i,
					  (uint64_t)ph.p_offset, (uint64_t)(ph.p_offset + ph.p_filesz),
					  size);
		}
		s = ks_xrealloc(s, (n + 1) * sizeof(*s));
		s[n++] = (struct seg){ ph.p_paddr, ph.p_offset, ph.p_filesz, ph.p_memsz,
				       (unsigned)i };
	}
	if (!n)
		return ks_err_set(err, KS_EPARSE, "%s:56: no memory segments (PT_LOAD) in this "
				  "core", in);
	qsort(s, n, sizeof(*s), cmp_seg);
	for (size_t i = 1; i < n; i++) {
		if (s[i].addr < s[i - 1].addr + s[i - 1].memsz) {
			ks_err_set(err, KS_EPARSE, "%s:%" PRIu64 ": segment %u overlaps segment %u "
				   "(address 0x%" PRIx64 ")", in, (uint64_t)eh.e_phoff +
				   s[i].index * sizeof(Elf64_Phdr), s[i].index, s[i - 1].index,
				   s[i].addr);
			free(s);
			return KS_EPARSE;
		}
	}
	*out = s;
	*nout = n;
	return 0;
}

int ks_import_mem(const char *in, const char *out, const struct ks_import_opts *o,
		  struct ks_import_stats *st, struct ks_err *err)
{
	struct ks_import_stats stats = { 0 };
	struct ks_trace_writer *w = NULL;
	struct ks_trace_rec *rec = NULL;
	struct ks_pdict *pd = NULL;
	struct seg *segs = NULL;
	uint8_t *buf = NULL, magic[8] = { 0 };
	enum ks_image_kind kind = o->kind;
	size_t nseg = 0;
	struct stat sb;
	int fd, rc;

	fd = open(in, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ks_err_set(err, errno == ENOENT ? KS_ENOENT : KS_EIO, "%s: cannot open: %s",
				  in, strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		rc = ks_err_set(err, KS_EIO, "%s: not a regular file", in);
		goto out;
	}
	if (sb.st_size >= 8)
		read_at(fd, magic, 8, 0);
	if (kind == KS_IMAGE_AUTO) {
		if (memcmp(magic, "KDUMP   ", 8) == 0 || memcmp(magic, "makedump", 8) == 0) {
			rc = ks_err_set(err, KS_EPARSE, "%s:0: a kdump-compressed dump: write it with "
					"dump-guest-memory without -z, -l or -s (an ELF core)", in);
			goto out;
		}
		if (memcmp(magic, ELFMAG, SELFMAG) != 0) {
			rc = ks_err_set(err, KS_EPARSE, "%s:0: not an ELF core dump (for a raw memory "
					"image use --image raw)", in);
			goto out;
		}
		kind = KS_IMAGE_ELF;
	}
	if (kind == KS_IMAGE_ELF) {
		if (memcmp(magic, ELFMAG, SELFMAG) != 0) {
			rc = ks_err_set(err, KS_EPARSE, "%s:0: not an ELF file (bad magic)", in);
			goto out;
		}
		rc = elf_segments(in, fd, (uint64_t)sb.st_size, &segs, &nseg, err);
		if (rc)
			goto out;
	} else {
		if (sb.st_size == 0 || sb.st_size % KS_PAGE_SIZE) {
			rc = ks_err_set(err, KS_EPARSE, "%s:%lld: size %lld is not a whole number of "
					"pages (a raw memory image is 4096-byte pages)", in,
					(long long)(sb.st_size / KS_PAGE_SIZE * KS_PAGE_SIZE),
					(long long)sb.st_size);
			goto out;
		}
		segs = ks_xmalloc(sizeof(*segs));
		segs[0] = (struct seg){ 0, 0, (uint64_t)sb.st_size, (uint64_t)sb.st_size, 0 };
		nseg = 1;
	}
	w = ks_trace_writer_open(out, o->fmt, err);
	if (!w) {
		rc = err ? err->code : KS_EIO;
		goto out;
	}
	pd = ks_pdict_new(w);
	rec = ks_xmalloc(sizeof(*rec));
	buf = ks_xmalloc((size_t)CHUNK_PAGES * KS_PAGE_SIZE);
	ks_trace_rec_clear(rec);
	rec->op = KS_TR_START;
	rec->pid = 1;
	snprintf(rec->name, sizeof(rec->name), "%s", o->name ? o->name : "image");
	ks_pdict_put(pd, rec);
	for (size_t i = 0; i < nseg; i++)
		ks_pdict_put_range(pd, KS_TR_MMAP, 1, KS_IMAGE_BASE + segs[i].addr,
				   segs[i].memsz / KS_PAGE_SIZE);
	for (size_t i = 0; i < nseg && !ks_pdict_error(pd, NULL); i++) {
		uint64_t np = segs[i].filesz / KS_PAGE_SIZE;

		for (uint64_t p = 0; p < np; p += CHUNK_PAGES) {
			uint64_t n = np - p < CHUNK_PAGES ? np - p : CHUNK_PAGES;
			uint64_t off = segs[i].off + p * KS_PAGE_SIZE;

			if (o->stop && *o->stop) {
				rc = ks_err_set(err, KS_EINTR, "%s: interrupted by signal %d; "
						"nothing written", out, *o->stop);
				goto out_abort;
			}
			if (!read_at(fd, buf, n * KS_PAGE_SIZE, off)) {
				rc = ks_err_set(err, KS_EIO, "%s:%" PRIu64 ": read failed: %s", in, off,
						errno ? strerror(errno) : "file shrank");
				goto out_abort;
			}
			for (uint64_t k = 0; k < n; k++) {
				uint32_t s = ks_pdict_state(pd, buf + k * KS_PAGE_SIZE);

				if (s == KS_PD_ZERO && o->zero_absent)
					continue;
				ks_pdict_write(pd, 1, KS_IMAGE_BASE + segs[i].addr +
					       (p + k) * KS_PAGE_SIZE, s);
			}
			stats.pages += n;
		}
	}
	ks_pdict_flush(pd);
	for (size_t i = 0; i < nseg; i++)
		ks_pdict_put_range(pd, KS_TR_MERGEABLE, 1, KS_IMAGE_BASE + segs[i].addr,
				   segs[i].memsz / KS_PAGE_SIZE);
	rc = ks_pdict_error(pd, err);
	if (rc)
		goto out_abort;
	stats.regions = nseg;
	stats.pages_recorded = ks_pdict_stats(pd)->pages_recorded;
	stats.zero_pages = ks_pdict_stats(pd)->zero_pages;
	stats.dict_pages = ks_pdict_stats(pd)->dict_pages;
	rc = ks_trace_writer_close(w, err);
	w = NULL;
	if (!rc && stat(out, &sb) == 0)
		stats.trace_bytes = (uint64_t)sb.st_size;
	if (!rc && st)
		*st = stats;
	goto out;

out_abort:
	ks_trace_writer_abort(w);
	w = NULL;
out:
	ks_pdict_free(pd);
	free(rec);
	free(buf);
	free(segs);
	close(fd);
	return rc;
}
