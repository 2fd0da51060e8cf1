/*
 * client.c: nbmemctl's side of the control protocol: the connection,
 * framing, the hello handshake, calls and notifications.
 *
 * The protocol is JSON-RPC 2.0, one JSON object a line (daemon/proto.h).
 * A call sends a request with a fresh id and reads lines until the
 * response with that id; notifications that come first (stats.update,
 * history.chunk) go to the client's notify callback, so a streamed
 * history.export is read in constant memory: one chunk at a time.  Every
 * line is checked before use: valid JSON, an object, and either a
 * response (with a result object or an error object) or a notification
 * with a method and params.  Anything else is a broken connection.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbmemctl.h"

/* A reply line may be much longer than a request (a history chunk). */
#define CLIENT_LINE_MAX	(64 * 1024 * 1024)

/*
 * client_default_socket: nbmemd's default control socket (nbmemd.8):
 * $XDG_RUNTIME_DIR/nbmemd.sock, else /tmp/nbmemd-UID/sock.
 */
const char *
client_default_socket(void)
{
	static char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 64];
	const char *dir = getenv("XDG_RUNTIME_DIR");

	if (dir != NULL && *dir == '/')
		snprintf(path, sizeof(path), "%s/nbmemd.sock", dir);
	else
		snprintf(path, sizeof(path), "/tmp/nbmemd-%lu/sock",
		    (unsigned long)getuid());
	return path;
}

static void
lost(struct rpc_error *re, const char *why, const char *what)
{

	memset(re, 0, sizeof(*re));
	re->re_lost = true;
	re->re_err = PROTO_E_INTERNAL;
	snprintf(re->re_message, sizeof(re->re_message), "%s%s%s",
	    what != NULL ? what : "", what != NULL ? ": " : "", why);
}

/*
 * client_open: connect to the daemon at path and say hello.
 * => returns 0, or -1 with *re filled: re_lost for a socket that is not
 *    there or refuses (errno in re_code), an error reply otherwise
 *    (version-mismatch).
 */
int
client_open(struct client *c, const char *path, int verbose,
    struct rpc_error *re)
{
	struct sockaddr_un sun;
	json_object *p, *r;

	memset(c, 0, sizeof(*c));
	c->c_fd = -1;
	c->c_verbose = verbose;
	c->c_nextid = 1;
	c->c_path = xstrdup(path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		lost(re, "path too long for a socket", path);
		re->re_code = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((c->c_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(c->c_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		lost(re, strerror(errno), NULL);
		re->re_code = errno;
		client_close(c);
		return -1;
	}
	p = json_object_new_object();
	json_object_object_add(p, "client",
	    json_object_new_string("nbmemctl " NBMCTL_VERSION));
	json_object_object_add(p, "protocol",
	    json_object_new_int(NBMD_PROTO_VERSION));
	if ((r = client_call(c, "hello", p, re)) == NULL) {
		client_close(c);
		return -1;
	}
	c->c_hello = r;
	return 0;
}

void
client_close(struct client *c)
{

	if (c->c_fd != -1)
		close(c->c_fd);
	c->c_fd = -1;
	free(c->c_buf);
	c->c_buf = NULL;
	c->c_len = c->c_size = 0;
	free(c->c_path);
	c->c_path = NULL;
	json_object_put(c->c_hello);
	c->c_hello = NULL;
}

/* client_has_method: whether the daemon's hello listed the method. */
bool
client_has_method(struct client *c, const char *method)
{
	json_object *m;
	size_t i, n;

	if (c->c_hello == NULL ||
	    !json_object_object_get_ex(c->c_hello, "methods", &m))
		return false;
	n = json_object_array_length(m);
	for (i = 0; i < n; i++)
		if (strcmp(json_object_get_string(
		    json_object_array_get_idx(m, i)), method) == 0)
			return true;
	return false;
}

/*
 * client_send: send a request; params (may be NULL) is taken over.
 * => the request's id, or -1 if the connection failed.
 */
int64_t
client_send(struct client *c, const char *method, json_object *params)
{
	json_object *rq;
	const char *s;
	size_t len, off = 0;
	ssize_t n;
	int64_t id;

	if (c->c_fd == -1) {
		json_object_put(params);
		return -1;
	}
	id = c->c_nextid++;
	rq = json_object_new_object();
	json_object_object_add(rq, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(rq, "id", json_object_new_int64(id));
	json_object_object_add(rq, "method", json_object_new_string(method));
	if (params != NULL)
		json_object_object_add(rq, "params", params);
	s = proto_string(rq, &len);
	if (c->c_verbose >= 2)
		fprintf(stderr, "-> %s\n", s);
	while (off <= len) {
		/* MSG_NOSIGNAL: a daemon gone is an error, not SIGPIPE. */
		n = off < len ? send(c->c_fd, s + off, len - off,
		    MSG_NOSIGNAL) : send(c->c_fd, "\n", 1, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			json_object_put(rq);
			return -1;
		}
		off += (size_t)n;
	}
	json_object_put(rq);
	return id;
}

/* A line is a response or a notification of the protocol's shape. */
static bool
valid_message(json_object *o)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "jsonrpc", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "2.0") != 0)
		return false;
	if (json_object_object_get_ex(o, "method", &v))
		return json_object_is_type(v, json_type_string) &&
		    json_object_object_get_ex(o, "params", &v) &&
		    json_object_is_type(v, json_type_object);
	if (!json_object_object_get_ex(o, "id", NULL))
		return false;
	if (json_object_object_get_ex(o, "result", &v))
		return json_object_is_type(v, json_type_object);
	return json_object_object_get_ex(o, "error", &v) &&
	    json_object_is_type(v, json_type_object);
}

/*
 * client_read: the next message from the daemon.
 * => returns 0 and a message in *msgp (the caller puts it), 1 when
 *    timeout_ms (-1: none) passed first, -1 when the connection ended or
 *    sent something that is not the protocol (the socket is closed then).
 */
int
client_read(struct client *c, int timeout_ms, json_object **msgp)
{
	struct pollfd pfd;
	json_object *o;
	char *nl;
	size_t linelen;
	ssize_t n;
	int rc;

	*msgp = NULL;
	for (;;) {
		if (c->c_fd == -1)
			return -1;
		if (c->c_len > 0 &&
		    (nl = memchr(c->c_buf, '\n', c->c_len)) != NULL) {
			linelen = (size_t)(nl - c->c_buf);
			*nl = '\0';
			if (c->c_verbose >= 2)
				fprintf(stderr, "<- %s\n", c->c_buf);
			o = json_tokener_parse(c->c_buf);
			memmove(c->c_buf, nl + 1, c->c_len - linelen - 1);
			c->c_len -= linelen + 1;
			if (linelen == 0 ||
			    (linelen == 1 && c->c_buf[0] == '\r')) {
				json_object_put(o);
				continue;
			}
			if (o == NULL || !valid_message(o)) {
				json_object_put(o);
				close(c->c_fd);
				c->c_fd = -1;
				return -1;
			}
			*msgp = o;
			return 0;
		}
		if (c->c_len >= CLIENT_LINE_MAX) {
			close(c->c_fd);
			c->c_fd = -1;
			return -1;
		}
		pfd.fd = c->c_fd;
		pfd.events = POLLIN;
		if ((rc = poll(&pfd, 1, timeout_ms)) == 0)
			return 1;
		if (rc == -1) {
			if (errno == EINTR && timeout_ms != -1)
				return 1;
			if (errno == EINTR && ctl_interrupted())
				return 1;
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (c->c_size - c->c_len < 65536) {
			c->c_size = c->c_size == 0 ? 131072 : c->c_size * 2;
			c->c_buf = xreallocarray(c->c_buf, 1, c->c_size);
		}
		n = read(c->c_fd, c->c_buf + c->c_len, c->c_size - c->c_len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(c->c_fd);
			c->c_fd = -1;
			return -1;
		}
		c->c_len += (size_t)n;
	}
}

/* Fill *re from an error response. */
static void
rpc_error_from(json_object *err, struct rpc_error *re)
{
	json_object *data;

	memset(re, 0, sizeof(*re));
	re->re_code = (int)jint(err, "code", 0);
	snprintf(re->re_message, sizeof(re->re_message), "%s",
	    jstr(err, "message", "error"));
	if (json_object_object_get_ex(err, "data", &data)) {
		snprintf(re->re_reason, sizeof(re->re_reason), "%s",
		    jstr(data, "reason", ""));
		snprintf(re->re_field, sizeof(re->re_field), "%s",
		    jstr(data, "field", ""));
	}
	re->re_err = proto_reason_lookup(re->re_reason);
}

/*
 * client_wait: read until the response to id, handing notifications to
 * c_notify on the way.
 * => the result (the caller puts it), or NULL with *re filled.
 */
json_object *
client_wait(struct client *c, int64_t id, struct rpc_error *re)
{
	json_object *m, *v, *r;
	int rc;

	for (;;) {
		if ((rc = client_read(c, -1, &m)) != 0) {
			lost(re, rc == 1 ? "interrupted" :
			    "nbmemd closed the connection", NULL);
			return NULL;
		}
		if (json_object_object_get_ex(m, "method", &v)) {
			if (c->c_notify != NULL)
				c->c_notify(c, json_object_get_string(v),
				    jget(m, "params"), c->c_arg);
			json_object_put(m);
			continue;
		}
		if (jint(m, "id", -1) != id) {
			json_object_put(m);
			continue;
		}
		if (json_object_object_get_ex(m, "error", &v)) {
			rpc_error_from(v, re);
			json_object_put(m);
			return NULL;
		}
		r = json_object_get(jget(m, "result"));
		json_object_put(m);
		return r;
	}
}

/*
 * client_call: a request and its response; params (may be NULL) is
 * taken over.
 * => the result (the caller puts it), or NULL with *re filled.
 */
json_object *
client_call(struct client *c, const char *method, json_object *params,
    struct rpc_error *re)
{
	int64_t id;

	if ((id = client_send(c, method, params)) == -1) {
		lost(re, "nbmemd closed the connection", NULL);
		return NULL;
	}
	return client_wait(c, id, re);
}
