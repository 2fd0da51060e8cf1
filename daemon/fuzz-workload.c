/*
 * fuzz-workload.c: libFuzzer target for what a client hands the machine
 * process to run -- workload descriptions (child-wldesc.c, then
 * nbm_workload_validate) and trace lines (nbm_trace_add, whose JSON
 * reader is libnbmem's own) -- built by `make fuzz` (clang).
 *
 * The input's first byte chooses: even, the rest is a workload
 * description (JSON); odd, the rest is a trace, one line a record.
 * Checked beyond "no crash, no leak": a description or a line is either
 * taken (0) or refused with EINVAL and a message that says something; a
 * refused line leaves the trace loaded so far as it was; a description
 * that is taken passes or fails nbm_workload_validate the same way,
 * against no machine and against a small one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_description(const char *text)
{
	static struct nbm_workload wl;
	struct nbm_config cfg;
	json_object *o;
	char err[512];
	int error;

	if ((o = json_tokener_parse(text)) == NULL)
		return;
	nbm_workload_init(&wl);
	err[0] = '\0';
	if (child_wldesc(o, &wl, "workload", err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort();		/* refused without a word */
		json_object_put(o);
		return;
	}
	json_object_put(o);
	nbm_config_init(&cfg);
	cfg.ncpu = 2;
	cfg.physmem = 64 << 20;
	err[0] = '\0';
	error = nbm_workload_validate(&wl, NULL, err, sizeof(err));
	if (error != 0 && (error != EINVAL || err[0] == '\0'))
		abort();
	err[0] = '\0';
	error = nbm_workload_validate(&wl, &cfg, err, sizeof(err));
	if (error != 0 && (error != EINVAL || err[0] == '\0'))
		abort();
}

static void
fuzz_trace(char *text)
{
	struct nbm_trace *tr;
	char *line, *next, err[512];
	size_t before;
	int error;

	if (nbm_trace_create(&tr) != 0)
		return;
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		before = nbm_trace_records(tr);
		err[0] = '\0';
		if ((error = nbm_trace_add(tr, line, err, sizeof(err))) == 0)
			continue;
		if (error != EINVAL || err[0] == '\0' ||
		    nbm_trace_records(tr) != before)
			abort();
		break;
	}
	nbm_trace_destroy(tr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	text = xmalloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if ((data[0] & 1) == 0)
		fuzz_description(text);
	else
		fuzz_trace(text);
	free(text);
	return 0;
}
