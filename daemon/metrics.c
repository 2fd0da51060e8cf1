/*
 * metrics.c: GET /metrics in the OpenMetrics text format (1.0.0), on a
 * loopback address given with -m or metrics.listen.
 *
 * The values are those of the recorder's last sample, so a scrape costs
 * the machine nothing and sees what the history sees.  Every field of a
 * field set (fields.h) becomes a family nbmem_<set>_<field> --
 * nbmem_machine_free, nbmem_pool_nget, nbmem_cache_hits, nbmem_vmem_inuse,
 * nbmem_extent_allocated ... (a counter's sample gets the _total suffix)
 * -- with HELP from the field list, a "run" label, so that a new boot --
 * whose counters start again from zero -- is a new series, and the
 * record's labels: pool="kmem-00064" (and cpu="1" for caches),
 * arena="kmem", extent="ioport".  The interrupt sources and the daemon's
 * own families follow.  The endpoint has no
 * authentication, which is why config_metrics_addr() accepts only
 * loopback addresses.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/http.h>

#include "nbmemd.h"

struct metrics {
	struct daemon	*mt_daemon;
	struct evhttp	*mt_http;
};

/*
 * metrics_listen: bind the endpoint's socket (before the daemon detaches,
 * so that errors reach the terminal).
 */
int
metrics_listen(const char *addr, int *fdp, char **errp)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sslen;
	char host[64], name[80];
	u_int port;
	int fd, on = 1, serrno;

	if (config_metrics_addr(addr, host, sizeof(host), &port, errp) != 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sslen = sizeof(*sin);
	} else {
		inet_pton(AF_INET6, host, &sin6->sin6_addr);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sslen = sizeof(*sin6);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) < 0) {
		xasprintf(errp, "metrics: socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, sslen) != 0 ||
	    listen(fd, 16) != 0) {
		serrno = errno;
		close(fd);
		xasprintf(errp, "metrics: %s: %s", addr, strerror(serrno));
		return -1;
	}
	sslen = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sslen);
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, name, sizeof(name));
		port = ntohs(sin->sin_port);
	} else {
		inet_ntop(AF_INET6, &sin6->sin6_addr, name, sizeof(name));
		port = ntohs(sin6->sin6_port);
	}
	log_info("metrics: listening on %s%s%s:%u", ss.ss_family == AF_INET6 ?
	    "[" : "", name, ss.ss_family == AF_INET6 ? "]" : "", port);
	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	*fdp = fd;
	return 0;
}

static void
metrics_family(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{

	evbuffer_add_printf(b, "# TYPE %s %s\n# HELP %s %s\n", name, type,
	    name, help);
}

/* A label value, escaped as OpenMetrics wants (\\, \", \n). */
static void
metrics_labelvalue(struct evbuffer *b, const char *s)
{

	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(b, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

/* The labels of a record: run, then its label fields. */
static void
metrics_labels(struct evbuffer *b, const struct nbmd_fieldset *fs,
    const void *rec, int64_t run)
{
	const struct nbm_stat_field *f;
	char val[64];
	size_t i;

	evbuffer_add_printf(b, "{run=\"%lld\"", (long long)run);
	for (i = 0; i < fs->fs_nfields; i++) {
		f = &fs->fs_fields[i];
		if (f->sf_kind != NBM_STAT_LABEL)
			continue;
		nbm_stat_format(f, rec, val, sizeof(val));
		evbuffer_add_printf(b, ",%s=\"", f->sf_type == NBM_STAT_STR ?
		    fs->fs_label : f->sf_name);
		metrics_labelvalue(b, val);
		evbuffer_add(b, "\"", 1);
	}
}

/*
 * One family per field of a field set: its samples, one per record (with
 * an "order" label per entry of a U64V field, up to the last non-zero).
 */
static void
metrics_fieldset(struct evbuffer *b, const struct nbmd_fieldset *fs,
    const char *recs, size_t n, int64_t run)
{
	const struct nbm_stat_field *f;
	const char *rec;
	size_t i, j, k, nv;
	char name[128];

	for (i = 0; i < fs->fs_nfields; i++) {
		f = &fs->fs_fields[i];
		if (f->sf_kind == NBM_STAT_LABEL)
			continue;
		snprintf(name, sizeof(name), "nbmem_%s_%s", fs->fs_metric,
		    f->sf_name);
		metrics_family(b, name, f->sf_kind == NBM_STAT_COUNTER ?
		    "counter" : "gauge", f->sf_descr);
		for (j = 0; j < n; j++) {
			rec = recs + j * fs->fs_recsize;
			nv = 1;
			if (f->sf_type == NBM_STAT_U64V) {
				nv = f->sf_size / sizeof(uint64_t);
				while (nv > 0 && nbm_stat_u64(f, rec,
				    nv - 1) == 0)
					nv--;
			}
			for (k = 0; k < nv; k++) {
				evbuffer_add_printf(b, "%s%s", name,
				    f->sf_kind == NBM_STAT_COUNTER ?
				    "_total" : "");
				metrics_labels(b, fs, rec, run);
				if (f->sf_type == NBM_STAT_U64V)
					evbuffer_add_printf(b, ",order=\"%zu\"",
					    k);
				if (f->sf_type == NBM_STAT_I64)
					evbuffer_add_printf(b, "} %lld\n",
					    (long long)nbm_stat_u64(f, rec,
					    0));
				else
					evbuffer_add_printf(b, "} %llu\n",
					    (unsigned long long)nbm_stat_u64(f,
					    rec, k));
			}
		}
	}
}

/* The interrupt sources: arrivals handled, held, waiting. */
static void
metrics_intr(struct evbuffer *b, json_object *set, int64_t run)
{
	static const struct {
		const char	*mi_field;
		const char	*mi_type;
		const char	*mi_help;
	} fams[] = {
		{ "count", "counter", "Arrivals of the source handled." },
		{ "masked", "counter",
		    "Arrivals handled after being held by a raised level." },
		{ "pending", "gauge", "Arrivals waiting for their CPU." },
	};
	json_object *src, *v, *name;
	char fam[64];
	size_t i, j, n = json_object_array_length(set);

	for (i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		snprintf(fam, sizeof(fam), "nbmem_intr_%s", fams[i].mi_field);
		metrics_family(b, fam, fams[i].mi_type, fams[i].mi_help);
		for (j = 0; j < n; j++) {
			src = json_object_array_get_idx(set, j);
			if (!json_object_object_get_ex(src, fams[i].mi_field,
			    &v) || !json_object_object_get_ex(src, "name",
			    &name))
				continue;
			evbuffer_add_printf(b, "%s%s{run=\"%lld\",source=\"",
			    fam, fams[i].mi_type[0] == 'c' ? "_total" : "",
			    (long long)run);
			metrics_labelvalue(b, json_object_get_string(name));
			evbuffer_add_printf(b, "\"} %s\n",
			    json_object_get_string(v));
		}
	}
}

/* metrics_render: the whole exposition, "# EOF" included. */
void
metrics_render(struct daemon *d, struct evbuffer *b)
{
	const struct nbmd_fieldset *fs;
	json_object *last, *set, *v;
	enum machine_state st = machine_state(d->d_machine);
	const char *recs;
	int64_t run = 0;
	size_t i, n;

	last = recorder_last(d->d_recorder, &run);
	metrics_family(b, "nbmem_machine_up", "gauge",
	    "Whether a machine is running (1) or not (0).");
	evbuffer_add_printf(b, "nbmem_machine_up %d\n", st == MACHINE_UP);
	if (st == MACHINE_UP && last != NULL &&
	    run == machine_run(d->d_machine)) {
		metrics_family(b, "nbmem_machine_uptime_seconds", "gauge",
		    "Uptime of the machine at the last sample.");
		json_object_object_get_ex(last, "uptime_ns", &v);
		evbuffer_add_printf(b, "nbmem_machine_uptime_seconds"
		    "{run=\"%lld\"} %.9f\n", (long long)run,
		    (double)json_object_get_uint64(v) / 1e9);
		for (i = 0; i < nbmd_nfieldsets; i++)
			if (nbmd_blob_find(nbmd_blob_of(last),
			    nbmd_fieldsets[i]->fs_name, &fs, &recs, &n) == 0)
				metrics_fieldset(b, fs, recs, n, run);
		if (json_object_object_get_ex(last, NBMD_SECTION_INTR, &set))
			metrics_intr(b, set, run);
	}
	metrics_family(b, "nbmem_recorder_samples", "counter",
	    "Samples the recorder has committed since the daemon started.");
	evbuffer_add_printf(b, "nbmem_recorder_samples_total %llu\n",
	    (unsigned long long)recorder_nsamples(d->d_recorder));
	metrics_family(b, "nbmem_daemon_clients", "gauge",
	    "Clients connected to the control sockets.");
	evbuffer_add_printf(b, "nbmem_daemon_clients %u\n", d->d_nclients);
	evbuffer_add_printf(b, "# EOF\n");
}

static void
metrics_handler(struct evhttp_request *req, void *arg)
{
	struct metrics *mt = arg;
	struct evbuffer *b;

	if (strcmp(evhttp_request_get_uri(req), "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "try /metrics");
		return;
	}
	b = evbuffer_new();
	metrics_render(mt->mt_daemon, b);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/openmetrics-text; version=1.0.0; "
	    "charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

struct metrics *
metrics_start(struct daemon *d, int fd)
{
	struct metrics *mt = xcalloc(1, sizeof(*mt));

	mt->mt_daemon = d;
	if ((mt->mt_http = evhttp_new(d->d_base)) == NULL)
		fatalx("evhttp_new failed");
	evhttp_set_allowed_methods(mt->mt_http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(mt->mt_http, 8192);
	evhttp_set_max_body_size(mt->mt_http, 0);
	evhttp_set_timeout(mt->mt_http, 10);
	evhttp_set_gencb(mt->mt_http, metrics_handler, mt);
	if (evhttp_accept_socket_with_handle(mt->mt_http, fd) == NULL)
		fatalx("metrics: cannot accept on the socket");
	return mt;
}

void
metrics_free(struct metrics *mt)
{

	if (mt == NULL)
		return;
	evhttp_free(mt->mt_http);
	free(mt);
}
