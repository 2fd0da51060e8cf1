/*
 * control.c: the control sockets and their clients.
 *
 * A control socket is a Unix stream socket in a directory only the
 * daemon's user may enter (mode 0700, checked or created), itself mode
 * 0600; each connection's peer uid (SO_PEERCRED, getpeereid) must be the
 * daemon's or root's.  The read-only socket is the same but its clients
 * may call only the methods that change nothing (CMD_READONLY); the others
 * are answered with "denied".
 *
 * Each client is a bufferevent.  Its requests are read one line at a time
 * and answered in order: a request that must wait (for the machine, or for
 * the client to read an export's chunks) is the client's cl_pending, and
 * no further line is read until it has been answered.  Memory per client
 * is bounded on both sides:
 *  - input: the read high-water mark is one maximal line (NBMD_LINE_MAX)
 *    and a little; a line longer than NBMD_LINE_MAX is answered with
 *    too-large and the connection closed; a partial line that sits for
 *    sockets.line_timeout seconds gets the connection closed;
 *  - output: once NBMD_OUT_HIWAT bytes are queued the client's next
 *    request waits until they drain to NBMD_OUT_LOWAT; a subscriber whose
 *    queue passes sockets.client_buffer is dropped (cmd-stats.c), so that
 *    a client that stops reading costs a bounded amount and slows no one.
 * Nothing a client does blocks the event loop, so no client can delay
 * another, or a sample.
 *
 * Clients are freed only by client_reap(), run from the event loop, so
 * that code running for a client (a callback, a notification) may drop it
 * without pulling the structure from under its callers.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbmemd.h"

#define CONTROL_BACKLOG	64
#define CONTROL_INHIWAT	(NBMD_LINE_MAX + 64 * 1024)


/*
 * control_checkdir: the socket's directory must exist (it is created,
 * mode 0700, when missing), belong to the daemon's user and be closed to
 * everyone else.
 */
static int
control_checkdir(const char *path, char **errp)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL) {
		xasprintf(errp, "%s: must be an absolute path", path);
		return -1;
	}
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		xasprintf(errp, "%s: cannot create the socket directory %s: %s",
		    path, dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) != 0) {
		xasprintf(errp, "%s: %s: %s", path, dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0) {
		xasprintf(errp, "%s: the socket directory %s must be a "
		    "directory of uid %lu with mode 0700 (it is %s of uid %lu "
		    "with mode %04o)", path, dir, (u_long)geteuid(),
		    S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
		    (u_long)st.st_uid, (u_int)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

/* Remove a stale socket at path; refuse a live one or another file. */
static int
control_stale(const char *path, struct sockaddr_un *sun, char **errp)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		xasprintf(errp, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		xasprintf(errp, "%s: exists and is not a socket", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0) {
		xasprintf(errp, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)sun, sizeof(*sun)) == 0) {
		close(fd);
		xasprintf(errp, "%s: in use by a running nbmemd", path);
		return -1;
	}
	close(fd);
	if (unlink(path) != 0 && errno != ENOENT) {
		xasprintf(errp, "%s: cannot remove the stale socket: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * control_listen: create a listening control socket (before the daemon
 * detaches, so that errors reach the terminal).
 */
struct control *
control_listen(const char *path, bool readonly, char **errp)
{
	struct sockaddr_un sun;
	struct control *ct;
	mode_t omask;
	int fd, serrno;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		xasprintf(errp, "%s: too long for a socket path", path);
		return NULL;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (control_checkdir(path, errp) != 0 ||
	    control_stale(path, &sun, errp) != 0)
		return NULL;
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0) {
		xasprintf(errp, "socket: %s", strerror(errno));
		return NULL;
	}
	omask = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		serrno = errno;
		umask(omask);
		close(fd);
		xasprintf(errp, "%s: bind: %s", path, strerror(serrno));
		return NULL;
	}
	umask(omask);
	if (chmod(path, 0600) != 0 || listen(fd, CONTROL_BACKLOG) != 0) {
		serrno = errno;
		close(fd);
		unlink(path);
		xasprintf(errp, "%s: %s", path, strerror(serrno));
		return NULL;
	}
	evutil_make_socket_nonblocking(fd);
	evutil_make_socket_closeonexec(fd);
	ct = xcalloc(1, sizeof(*ct));
	ct->ct_path = xstrdup(path);
	ct->ct_readonly = readonly;
	ct->ct_fd = fd;
	return ct;
}

/* The peer's uid, or (uid_t)-1. */
static uid_t
control_peeruid(int fd)
{
#ifdef SO_PEERCRED
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0)
		return (uid_t)-1;
	return uc.uid;
#else
	uid_t uid;
	gid_t gid;

	if (getpeereid(fd, &uid, &gid) != 0)
		return (uid_t)-1;
	return uid;
#endif
}

/* Answer a connection we will not serve with one error, and close it. */
static void
control_refuse(int fd, enum proto_err e, const char *msg)
{
	json_object *o = proto_error(NULL, e, msg, NULL);
	const char *s;
	size_t len;

	s = proto_string(o, &len);
	(void)send(fd, s, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)send(fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	json_object_put(o);
	close(fd);
}

static void
control_accept(evutil_socket_t lfd, short ev, void *arg)
{
	struct control *ct = arg;
	struct daemon *d = ct->ct_daemon;
	uid_t uid;
	int fd, i;

	for (i = 0; i < 32; i++) {
		if ((fd = accept(lfd, NULL, NULL)) < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("%s: accept", ct->ct_path);
			return;
		}
		evutil_make_socket_nonblocking(fd);
		evutil_make_socket_closeonexec(fd);
		uid = control_peeruid(fd);
		if (uid != geteuid() && uid != 0) {
			log_warnx("%s: connection from uid %ld refused: only "
			    "uid %lu and root may connect", ct->ct_path,
			    (long)uid, (u_long)geteuid());
			control_refuse(fd, PROTO_E_DENIED, "only the daemon's "
			    "user and root may connect");
			continue;
		}
		if (d->d_stopping) {
			control_refuse(fd, PROTO_E_SHUTTING_DOWN, NULL);
			continue;
		}
		if (d->d_nclients >= d->d_conf.c_max_clients) {
			log_warnx("%s: connection refused: already %u clients "
			    "(sockets.max_clients)", ct->ct_path,
			    d->d_nclients);
			control_refuse(fd, PROTO_E_BUSY, "too many clients");
			continue;
		}
		(void)client_new(d, fd, ct->ct_readonly, uid);
	}
}

void
control_start(struct daemon *d, struct control *ct)
{

	ct->ct_daemon = d;
	ct->ct_ev = event_new(d->d_base, ct->ct_fd, EV_READ | EV_PERSIST,
	    control_accept, ct);
	if (ct->ct_ev == NULL || event_add(ct->ct_ev, NULL) != 0)
		fatalx("%s: cannot watch the socket", ct->ct_path);
}

/* control_close: stop accepting and remove the socket. */
void
control_close(struct control *ct)
{

	if (ct == NULL)
		return;
	if (ct->ct_ev != NULL)
		event_free(ct->ct_ev);
	close(ct->ct_fd);
	if (unlink(ct->ct_path) != 0 && errno != ENOENT)
		log_warn("%s: unlink", ct->ct_path);
	free(ct->ct_path);
	free(ct);
}

size_t
client_queued(const struct client *cl)
{

	return evbuffer_get_length(cl->cl_out);
}

/* Arm the partial-line timeout when half a line waits, else clear it. */
static void
client_timeouts(struct client *cl)
{
	struct evbuffer *in;
	struct timeval tv;
	double t;

	if (cl->cl_bev == NULL)
		return;
	in = bufferevent_get_input(cl->cl_bev);
	/*
	 * Only a partial line the daemon is waiting to see the end of: not
	 * lines held back because the client is not reading its answers
	 * (its output above NBMD_OUT_HIWAT), which may wait as long as the
	 * client likes.
	 */
	if (cl->cl_pending == NULL && !cl->cl_closing &&
	    evbuffer_get_length(in) > 0 && client_queued(cl) < NBMD_OUT_HIWAT) {
		t = cl->cl_daemon->d_conf.c_line_timeout;
		tv.tv_sec = (time_t)t;
		tv.tv_usec = (suseconds_t)((t - (double)tv.tv_sec) * 1e6);
		bufferevent_set_timeouts(cl->cl_bev, &tv, NULL);
	} else
		bufferevent_set_timeouts(cl->cl_bev, NULL, NULL);
}

/* Schedule the client to be freed from the event loop. */
static void
client_kill(struct client *cl)
{
	struct daemon *d = cl->cl_daemon;

	if (cl->cl_lost)
		return;
	cl->cl_lost = true;
	cl->cl_closing = true;
	if (cl->cl_bev != NULL)
		bufferevent_disable(cl->cl_bev, EV_READ | EV_WRITE);
	if (d->d_reapev != NULL)
		event_active(d->d_reapev, 0, 0);
}

/*
 * client_drop: close a client now, discarding what it has not read, and
 * say why in the log.
 */
void
client_drop(struct client *cl, const char *why)
{

	if (cl->cl_lost)
		return;
	log_warnx("client %u: dropped: %s", cl->cl_id, why);
	client_kill(cl);
}

/* Close once the output is flushed (a last error, daemon stopping). */
static void
client_close(struct client *cl)
{

	cl->cl_closing = true;
	if (cl->cl_bev != NULL)
		bufferevent_disable(cl->cl_bev, EV_READ);
	if (client_queued(cl) == 0 && cl->cl_pending == NULL)
		client_kill(cl);
}

void
client_send(struct client *cl, json_object *msg)
{
	const char *s;
	size_t len;

	if (!cl->cl_lost) {
		s = proto_string(msg, &len);
		evbuffer_add(cl->cl_out, s, len);
		evbuffer_add(cl->cl_out, "\n", 1);
	}
	json_object_put(msg);
}

/* Handle one complete line. */
static void
client_line(struct client *cl, const char *line, size_t len)
{
	struct proto_request pr;
	enum proto_err e;
	char err[256];

	e = proto_decode(line, len, &pr, err, sizeof(err));
	if (e != PROTO_OK) {
		log_debug("client %u: %s: %s", cl->cl_id, proto_reason(e),
		    err);
		client_send(cl, proto_error(pr.pr_id, e, err, NULL));
		json_object_put(pr.pr_id);
		return;
	}
	cmd_dispatch(cl, &pr);
}

/*
 * client_feed: read and handle the complete lines in `in' while the
 * client may go on: nothing pending, output below the high-water mark.
 */
void
client_feed(struct client *cl, struct evbuffer *in)
{
	char *line;
	size_t len;

	if (cl->cl_infeed)
		return;
	cl->cl_infeed = true;
	while (!cl->cl_closing && cl->cl_pending == NULL &&
	    client_queued(cl) < NBMD_OUT_HIWAT) {
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		if (line == NULL && evbuffer_get_length(in) <= NBMD_LINE_MAX)
			break;
		if (line == NULL || len > NBMD_LINE_MAX) {
			free(line);
			log_warnx("client %u: request line over %d bytes; "
			    "closing", cl->cl_id, NBMD_LINE_MAX);
			client_send(cl, proto_error(NULL, PROTO_E_TOO_LARGE,
			    "request line over 1048576 bytes; closing the "
			    "connection", NULL));
			evbuffer_drain(in, evbuffer_get_length(in));
			client_close(cl);
			break;
		}
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (strspn(line, " \t") != len)
			client_line(cl, line, len);
		free(line);
	}
	cl->cl_infeed = false;
	client_timeouts(cl);
	/* At EOF, once every complete line is answered, a partial one goes. */
	if (cl->cl_eof && cl->cl_pending == NULL && !cl->cl_closing &&
	    evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF).pos < 0)
		client_close(cl);
}

/*
 * client_continue: go on after the pending request ended or the output
 * drained (the bufferevent's write callback, or the fuzzer).
 */
void
client_continue(struct client *cl)
{

	if (cl->cl_lost || cl->cl_infeed)
		return;
	if (cl->cl_pending != NULL) {
		if (cl->cl_pending->rq_resume != NULL &&
		    client_queued(cl) <= NBMD_OUT_LOWAT)
			cl->cl_pending->rq_resume(cl->cl_pending);
		return;
	}
	if (cl->cl_closing) {
		if (client_queued(cl) == 0)
			client_kill(cl);
		return;
	}
	if (cl->cl_bev != NULL)
		client_feed(cl, bufferevent_get_input(cl->cl_bev));
}

static void
client_readcb(struct bufferevent *bev, void *arg)
{
	struct client *cl = arg;

	client_feed(cl, bufferevent_get_input(bev));
}

static void
client_writecb(struct bufferevent *bev, void *arg)
{
	struct client *cl = arg;

	client_continue(cl);
}

static void
client_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct client *cl = arg;

	if (what & BEV_EVENT_TIMEOUT) {
		client_drop(cl, "a partial request line waited too long");
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		log_debug("client %u: %s", cl->cl_id,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		client_kill(cl);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		log_debug("client %u: end of input", cl->cl_id);
		cl->cl_eof = true;
		bufferevent_disable(bev, EV_READ);
		client_feed(cl, bufferevent_get_input(bev));
	}
}

/*
 * client_new: a client on a connected socket fd, or, with fd -1, one
 * whose output goes to a plain buffer (the fuzzer).
 */
struct client *
client_new(struct daemon *d, int fd, bool readonly, uid_t uid)
{
	struct client *cl = xcalloc(1, sizeof(*cl));

	cl->cl_daemon = d;
	cl->cl_id = ++d->d_nextclient;
	cl->cl_uid = uid;
	cl->cl_readonly = readonly;
	TAILQ_INIT(&cl->cl_subs);
	if (fd >= 0) {
		cl->cl_bev = bufferevent_socket_new(d->d_base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
		if (cl->cl_bev == NULL)
			fatalx("bufferevent_socket_new failed");
		bufferevent_setcb(cl->cl_bev, client_readcb, client_writecb,
		    client_eventcb, cl);
		bufferevent_setwatermark(cl->cl_bev, EV_READ, 0,
		    CONTROL_INHIWAT);
		bufferevent_setwatermark(cl->cl_bev, EV_WRITE, NBMD_OUT_LOWAT,
		    0);
		bufferevent_enable(cl->cl_bev, EV_READ | EV_WRITE);
		cl->cl_out = bufferevent_get_output(cl->cl_bev);
	} else
		cl->cl_out = evbuffer_new();
	TAILQ_INSERT_TAIL(&d->d_clients, cl, cl_entry);
	d->d_nclients++;
	log_debug("client %u: connected (uid %lu%s)", cl->cl_id, (u_long)uid,
	    readonly ? ", read-only" : "");
	return cl;
}

void
client_free(struct client *cl)
{
	struct daemon *d = cl->cl_daemon;
	struct request *rq;

	if ((rq = cl->cl_pending) != NULL) {
		cl->cl_pending = NULL;
		rq->rq_client = NULL;
		if (rq->rq_cancel != NULL)
			rq->rq_cancel(rq);
	}
	stats_client_gone(cl);
	TAILQ_REMOVE(&d->d_clients, cl, cl_entry);
	d->d_nclients--;
	log_debug("client %u: closed", cl->cl_id);
	if (cl->cl_bev != NULL)
		bufferevent_free(cl->cl_bev);
	else
		evbuffer_free(cl->cl_out);
	free(cl);
}

/* client_reap: free the clients that were killed. */
void
client_reap(struct daemon *d)
{
	struct client *cl, *next;

	TAILQ_FOREACH_SAFE(cl, &d->d_clients, cl_entry, next)
		if (cl->cl_lost)
			client_free(cl);
}

/*
 * client_close_all: the daemon is stopping: every client gets what is
 * queued for it, then the connection is closed.
 */
void
client_close_all(struct daemon *d)
{
	struct client *cl;

	TAILQ_FOREACH(cl, &d->d_clients, cl_entry)
		client_close(cl);
}

static void
request_done(struct request *rq)
{
	struct client *cl = rq->rq_client;

	json_object_put(rq->rq_json);
	json_object_put(rq->rq_id);
	json_object_put(rq->rq_params);
	free(rq);
	if (cl != NULL) {
		cl->cl_pending = NULL;
		client_continue(cl);
	}
}

/* request_reply: answer rq with result (taken over) and end it. */
void
request_reply(struct request *rq, json_object *result)
{
	struct client *cl = rq->rq_client;

	if (cl != NULL && rq->rq_id != NULL)
		client_send(cl, proto_result(rq->rq_id, result));
	else
		json_object_put(result);
	request_done(rq);
}

/*
 * request_reply_text: answer rq with a result given as JSON text (an
 * answer made once and sent many times), written without building
 * objects: the envelope is proto_result()'s, member for member.
 */
void
request_reply_text(struct request *rq, const char *text, size_t len)
{
	struct client *cl = rq->rq_client;
	const char *id;
	size_t idlen;

	if (cl != NULL && rq->rq_id != NULL && !cl->cl_lost) {
		id = proto_string(rq->rq_id, &idlen);
		evbuffer_add(cl->cl_out, "{\"jsonrpc\":\"2.0\",\"id\":", 22);
		evbuffer_add(cl->cl_out, id, idlen);
		evbuffer_add(cl->cl_out, ",\"result\":", 10);
		evbuffer_add(cl->cl_out, text, len);
		evbuffer_add(cl->cl_out, "}\n", 2);
	}
	request_done(rq);
}

/* request_error: answer rq with an error (data taken over) and end it. */
void
request_error(struct request *rq, enum proto_err e, json_object *data,
    const char *fmt, ...)
{
	struct client *cl = rq->rq_client;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cl != NULL)
		log_debug("client %u: %s: %s: %s", cl->cl_id,
		    rq->rq_cmd != NULL ? rq->rq_cmd->name : "?",
		    proto_reason(e), msg);
	if (cl != NULL && rq->rq_id != NULL)
		client_send(cl, proto_error(rq->rq_id, e, msg, data));
	else
		json_object_put(data);
	request_done(rq);
}

/* request_notify: send a notification (params taken over) for rq. */
void
request_notify(struct request *rq, const char *method, json_object *params)
{

	if (rq->rq_client != NULL)
		client_send(rq->rq_client, proto_notification(method, params));
	else
		json_object_put(params);
}
