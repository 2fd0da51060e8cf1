/*
 * metrics.c: GET /metrics in the OpenMetrics text format (1.0.0), on a
 * loopback address given with -m or metrics.listen.
 *
 * The values are those of the recorder's last sample, so a scrape costs
 * the machine nothing and sees what the history sees.  Every field of a
 * field set becomes a family nbmem_<set>_<field> (a counter's sample gets
 * the _total suffix), with HELP from the field list and a "run" label, so
 * that a new boot -- whose counters start again from zero -- is a new
 * series.  The daemon's own families follow.  The endpoint has no
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

/* metrics_render: the whole exposition, "# EOF" included. */
void
metrics_render(struct daemon *d, struct evbuffer *b)
{
	json_object *last = recorder_last(d->d_recorder), *set, *v;
	const struct nbmd_fieldset *fs;
	const struct nbmd_field *f;
	enum machine_state st = machine_state(d->d_machine);
	char name[128];
	int64_t run = 0;
	size_t i, j;

	metrics_family(b, "nbmem_machine_up", "gauge",
	    "Whether a machine is running (1) or not (0).");
	evbuffer_add_printf(b, "nbmem_machine_up %d\n", st == MACHINE_UP);
	if (st == MACHINE_UP && last != NULL &&
	    json_object_object_get_ex(last, "run", &v) &&
	    (run = json_object_get_int64(v)) == machine_run(d->d_machine)) {
		metrics_family(b, "nbmem_machine_uptime_seconds", "gauge",
		    "Uptime of the machine at the last sample.");
		json_object_object_get_ex(last, "uptime_ns", &v);
		evbuffer_add_printf(b, "nbmem_machine_uptime_seconds"
		    "{run=\"%lld\"} %.9f\n", (long long)run,
		    (double)json_object_get_uint64(v) / 1e9);
		for (i = 0; i < nbmd_nfieldsets; i++) {
			fs = nbmd_fieldsets[i];
			if (!json_object_object_get_ex(last, fs->fs_name,
			    &set))
				continue;
			for (j = 0; j < fs->fs_nfields; j++) {
				f = &fs->fs_fields[j];
				if (!json_object_object_get_ex(set, f->f_name,
				    &v))
					continue;
				snprintf(name, sizeof(name), "nbmem_%s_%s",
				    fs->fs_name, f->f_name);
				metrics_family(b, name, f->f_kind ==
				    NBM_STAT_COUNTER ? "counter" : "gauge",
				    f->f_descr);
				evbuffer_add_printf(b, "%s%s{run=\"%lld\"} "
				    "%llu\n", name, f->f_kind ==
				    NBM_STAT_COUNTER ? "_total" : "",
				    (long long)run, (unsigned long long)
				    json_object_get_uint64(v));
			}
		}
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
