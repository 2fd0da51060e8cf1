/*
 * fuzz-proto.c: libFuzzer target for the control protocol -- framing,
 * the request decoder (proto.c) and the dispatcher with every command
 * (cmd.c, cmd-*.c) -- built by `make fuzz` (clang).
 *
 * The input's first byte chooses the socket (bit 0: read-only) and
 * whether the debug methods exist (bit 1); the rest is what a client
 * sends.  The daemon is real but has no event loop and never starts a
 * machine (d_nofork), so machine methods answer machine-down or
 * boot-failed; the history is an in-memory database with a run, samples
 * and events, so the history methods and exports run for real.  The
 * client's output is drained between steps, as a reading client would,
 * until nothing moves.
 *
 * Checked after every input, beyond "no crash, no leak": every line the
 * daemon wrote is a JSON-RPC 2.0 response (an id, and a result object or
 * an error with a code, a message and a known reason) or a notification;
 * there are never more responses than request lines; and the client's
 * output never holds more than a reply beyond NBMD_OUT_HIWAT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbmemd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct daemon *fuzz_d;

static void
fuzz_init(void)
{
	struct daemon *d;
	struct nbm_config mc;
	struct nbm_machine_stats ms;
	char *err = NULL;
	int64_t run, id;
	int i;

	log_init(LOG_TO_NOWHERE, 0);
	d = xcalloc(1, sizeof(*d));
	TAILQ_INIT(&d->d_clients);
	config_defaults(&d->d_conf);
	d->d_nofork = true;
	if ((d->d_base = event_base_new()) == NULL)
		abort();
	if ((d->d_db = db_open(NULL, DB_MEMORY, &err)) == NULL) {
		fprintf(stderr, "fuzz-proto: %s\n", err);
		abort();
	}
	d->d_machine = machine_new(d);
	d->d_recorder = recorder_new(d);
	nbm_config_init(&mc);
	run = db_run_begin(d->d_db, 1.5e9, 1, &mc);
	memset(&ms, 0, sizeof(ms));
	ms.ms_free = 100;
	for (i = 0; i < 40; i++) {
		if (db_sample(d->d_db, run, 1.5e9 + i, (uint64_t)i * 1000000,
		    &id) != 0 || db_fieldrow(d->d_db, &nbmd_fs_machine,
		    id, 0, &ms) != 0)
			abort();
		db_event(d->d_db, run, 1.5e9 + i, i, "machine", "warning", 0,
		    "pool", "fuzz");
	}
	db_run_end(d->d_db, run, 1.5e9 + 50, "panic", "fuzz");
	fuzz_d = d;
}

/* Check one line the daemon wrote; count responses. */
static void
fuzz_check(const char *line, size_t len, size_t *nresp)
{
	json_object *o, *v, *e, *r;

	if ((o = json_tokener_parse(line)) == NULL ||
	    !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "jsonrpc", &v) ||
	    strcmp(json_object_get_string(v), "2.0") != 0 || len == 0)
		abort();
	if (json_object_object_get_ex(o, "method", &v)) {
		if (!json_object_object_get_ex(o, "params", &v) ||
		    !json_object_is_type(v, json_type_object))
			abort();
	} else {
		(*nresp)++;
		if (!json_object_object_get_ex(o, "id", &v))
			abort();
		if (json_object_object_get_ex(o, "result", &r)) {
			if (!json_object_is_type(r, json_type_object) ||
			    json_object_object_get_ex(o, "error", NULL))
				abort();
		} else if (!json_object_object_get_ex(o, "error", &e) ||
		    !json_object_object_get_ex(e, "code", &v) ||
		    !json_object_is_type(v, json_type_int) ||
		    !json_object_object_get_ex(e, "message", &v) ||
		    json_object_get_string_len(v) == 0 ||
		    !json_object_object_get_ex(e, "data", &v) ||
		    !json_object_object_get_ex(v, "reason", &r) ||
		    (proto_reason_lookup(json_object_get_string(r)) ==
		    PROTO_E_INTERNAL && strcmp(json_object_get_string(r),
		    "internal") != 0))
			abort();
	}
	json_object_put(o);
}

/* Take what the client was sent, checking each line. */
static void
fuzz_drain(struct client *cl, size_t *nresp)
{
	char *line;
	size_t len;

	if (client_queued(cl) > NBMD_OUT_HIWAT + NBMD_CHILD_MSG_MAX)
		abort();
	while ((line = evbuffer_readln(cl->cl_out, &len,
	    EVBUFFER_EOL_LF)) != NULL) {
		fuzz_check(line, len, nresp);
		free(line);
	}
	if (evbuffer_get_length(cl->cl_out) != 0)
		abort();	/* every message ends with a newline */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct daemon *d;
	struct client *cl;
	struct evbuffer *in;
	size_t nresp = 0, nlines = 0, i, before;
	int round;

	if (fuzz_d == NULL)
		fuzz_init();
	d = fuzz_d;
	if (size == 0)
		return 0;
	d->d_testmode = (data[0] & 2) != 0;
	d->d_stopping = false;
	cl = client_new(d, -1, (data[0] & 1) != 0, 0);
	in = evbuffer_new();
	evbuffer_add(in, data + 1, size - 1);
	for (i = 1; i < size; i++)
		nlines += data[i] == '\n';
	for (round = 0; round < 1000; round++) {
		before = evbuffer_get_length(in);
		client_feed(cl, in);
		fuzz_drain(cl, &nresp);
		if (cl->cl_pending != NULL)
			client_continue(cl);
		else if (evbuffer_get_length(in) == before)
			break;
	}
	fuzz_drain(cl, &nresp);
	/* At most one response a line, plus one for a line too long. */
	if (nresp > nlines + 1)
		abort();
	client_free(cl);
	client_reap(d);
	evbuffer_free(in);
	return 0;
}
