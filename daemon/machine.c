/*
 * machine.c: the supervisor of the machine process.
 *
 * The simulated machine runs in a child process (child.c), so that
 * whatever happens to it -- a simulated panic, a simulated page fault, a
 * real crash, a hang -- ends that process and nothing else: the daemon
 * records how it ended, answers the requests that were waiting with a
 * machine-down error, and keeps serving; machine.boot starts a new one.
 *
 * Parent-child protocol (version 1), over a SOCK_STREAM socketpair.
 * Each message is one JSON object on one line.  The child's lines are at
 * most NBMD_CHILD_MSG_MAX bytes; a longer line, a line that is not such an
 * object, or an answer out of order is a protocol error, and the child is
 * killed.  The daemon's lines hold at most a client's params (a request
 * line is at most NBMD_LINE_MAX bytes) and a little more; the child takes
 * 64 KiB more than that, and exits on a longer line.
 *
 *   daemon -> child
 *	{"id": N, "op": OP, "args": {...}}	N grows from 1
 *	OP: info, snapshot, sample {since}, shutdown, the methods the
 *	machine serves (pool.list, ...: args are the request's params,
 *	checked), and in test mode panic {message}, crash, hang,
 *	kmem_wrongfree {size}, debug.hold, debug.release
 *   child -> daemon
 *	{"ready": {"pid": P}}			booted; requests may follow
 *	{"bootfail": TEXT}			did not boot; exits 4
 *	{"id": N, "result": {...}}		answer to request N
 *	{"id": N, "result": {...}, "blob": D, "bloblen": L}
 *						... followed by L bytes of
 *						statistics records, as D
 *						describes them (fields.h);
 *						they become the result's
 *						userdata (nbmd_blob_of())
 *	{"id": N, "error": TEXT, "reason": R}	request N failed; R is a
 *						reason of proto.h (default
 *						internal)
 *	{"print": TEXT}				the machine printed TEXT
 *	{"trace": {"id": ID, "lines": TEXT}}	lines of a traced workload
 *	{"panic": TEXT, "op": OP}		the machine panicked in OP;
 *						exits 3
 *
 * Requests are answered in the order they were sent, so the daemon keeps
 * them in a FIFO and matches each answer with the head.  Snapshot requests
 * are coalesced: a snapshot asked for while one is on its way joins it.
 *
 * Watchdog: every request has a deadline (supervisor.timeout after it was
 * sent; supervisor.boot_timeout for the boot; the timeout again for a
 * shutdown to finish).  One timer follows the earliest deadline; when it
 * passes, the child is hung and gets SIGKILL.
 *
 * The end of a child is known when both its socket reached EOF and
 * waitpid() returned its status (SIGCHLD, nbmemd.c); only then is it
 * judged, in this order: it reported a panic ("panic"); the daemon
 * killed it for not answering ("hung"); the daemon asked it to stop
 * ("shutdown", "daemon-stop"); anything else is a "crash", with the
 * signal name or exit status.  The run's row gets the end time, how it
 * ended and the message; an event records it too.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbmemd.h"

struct mwaiter {
	machine_cb	*w_cb;		/* NULL once cancelled */
	void		*w_arg;
	TAILQ_ENTRY(mwaiter) w_entry;
};
TAILQ_HEAD(mwaiters, mwaiter);

struct mreq {
	uint64_t	 q_id;		/* request number */
	char		 q_op[32];	/* for messages */
	double		 q_deadline;	/* monotonic seconds */
	struct mwaiters	 q_waiters;	/* who wants the answer */
	TAILQ_ENTRY(mreq) q_entry;	/* on m_reqs, in sending order */
};

struct machine {
	struct daemon	*m_daemon;
	enum machine_state m_state;
	pid_t		 m_pid;		/* the child, or 0 */
	int64_t		 m_run;		/* its runs row, 0 if unrecorded */
	struct nbm_config m_cfg;	/* what it booted with */
	struct bufferevent *m_bev;	/* the socketpair */
	struct event	*m_watchdog;	/* at the earliest deadline */
	uint64_t	 m_nextid;	/* request numbers */
	TAILQ_HEAD(mreqs, mreq) m_reqs;	/* sent, unanswered, in order */
	struct mreq	*m_snap;	/* snapshot in flight, to join */
	machine_cb	*m_bootcb;	/* told when the boot is over */
	void		*m_bootarg;
	double		 m_boot_deadline; /* while MACHINE_BOOTING */
	double		 m_stop_deadline; /* while MACHINE_STOPPING */
	struct mwaiters	 m_stopwaiters;	/* told when the child is gone */
	double		 m_start;	/* Unix time of the fork */
	bool		 m_ready;	/* it said ready */
	bool		 m_protoerr;	/* it broke the protocol */
	json_object	*m_blobmsg;	/* an answer waiting for its blob */
	size_t		 m_blobwant;	/* ... of this many bytes */
	/* How the current child is ending. */
	bool		 m_eof;		/* its socket reached EOF */
	bool		 m_reaped;	/* waitpid() returned */
	int		 m_status;	/* ... this status */
	const char	*m_ending;	/* the daemon's reason, or NULL */
	char		*m_why;		/* detail of m_ending */
	char		*m_panic;	/* reported panic message */
	char		*m_panicop;	/* ... and the op it happened in */
	char		*m_bootfail;	/* reported boot failure */
	json_object	*m_last;	/* how the last child ended */
};

static const struct {
	int		 s_sig;
	const char	*s_name;
} machine_signals[] = {
	{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" },
	{ SIGILL, "SIGILL" }, { SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
	{ SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" }, { SIGKILL, "SIGKILL" },
	{ SIGSEGV, "SIGSEGV" }, { SIGPIPE, "SIGPIPE" },
	{ SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
	{ SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" }, { SIGSYS, "SIGSYS" },
};

static void machine_arm(struct machine *);
static void machine_end(struct machine *);

static void
machine_signame(int sig, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(machine_signals) / sizeof(machine_signals[0]);
	    i++) {
		if (machine_signals[i].s_sig == sig) {
			snprintf(buf, len, "%s", machine_signals[i].s_name);
			return;
		}
	}
	snprintf(buf, len, "signal %d", sig);
}

static void
machine_setstr(char **dst, const char *s)
{

	free(*dst);
	*dst = s != NULL ? xstrdup(s) : NULL;
}

const char *
machine_state_name(enum machine_state s)
{

	switch (s) {
	case MACHINE_DOWN:	return "down";
	case MACHINE_BOOTING:	return "booting";
	case MACHINE_UP:	return "up";
	case MACHINE_STOPPING:	return "stopping";
	}
	return "?";
}

/* Kill the child now; why says what the run's row will tell. */
static void
machine_killchild(struct machine *m, const char *ending, const char *why)
{

	if (m->m_pid <= 0 || m->m_reaped)
		return;
	if (m->m_ending == NULL || strcmp(ending, "hung") == 0 ||
	    strcmp(ending, "crash") == 0) {
		m->m_ending = ending;
		machine_setstr(&m->m_why, why);
	}
	kill(m->m_pid, SIGKILL);
	m->m_state = MACHINE_STOPPING;
}

static void
machine_protoerr(struct machine *m, const char *what)
{
	char *why;

	m->m_protoerr = true;
	xasprintf(&why, "protocol error from the machine process: %s", what);
	log_warnx("machine process %ld: %s; killing it", (long)m->m_pid, why);
	machine_killchild(m, "crash", why);
	free(why);
}

static void
machine_waiters_call(struct mwaiters *ws, json_object *reply,
    enum proto_err err, const char *msg)
{
	struct mwaiter *w;

	while ((w = TAILQ_FIRST(ws)) != NULL) {
		TAILQ_REMOVE(ws, w, w_entry);
		if (w->w_cb != NULL)
			w->w_cb(w->w_arg, reply, err, msg);
		free(w);
	}
}

static void
machine_addwaiter(struct mwaiters *ws, machine_cb *cb, void *arg)
{
	struct mwaiter *w = xcalloc(1, sizeof(*w));

	w->w_cb = cb;
	w->w_arg = arg;
	TAILQ_INSERT_TAIL(ws, w, w_entry);
}

/* A message from the child that answers the head request. */
static void
machine_answer(struct machine *m, json_object *msg, json_object *id)
{
	struct mreq *q = TAILQ_FIRST(&m->m_reqs);
	json_object *v, *r;

	if (q == NULL || !json_object_is_type(id, json_type_int) ||
	    (uint64_t)json_object_get_int64(id) != q->q_id) {
		machine_protoerr(m, "an answer to no request sent");
		return;
	}
	TAILQ_REMOVE(&m->m_reqs, q, q_entry);
	if (m->m_snap == q)
		m->m_snap = NULL;
	machine_arm(m);
	if (json_object_object_get_ex(msg, "result", &v) &&
	    json_object_is_type(v, json_type_object))
		machine_waiters_call(&q->q_waiters, v, PROTO_OK, NULL);
	else if (json_object_object_get_ex(msg, "error", &v) &&
	    json_object_is_type(v, json_type_string))
		machine_waiters_call(&q->q_waiters, NULL,
		    json_object_object_get_ex(msg, "reason", &r) &&
		    json_object_is_type(r, json_type_string) ?
		    proto_reason_lookup(json_object_get_string(r)) :
		    PROTO_E_INTERNAL, json_object_get_string(v));
	else {
		machine_waiters_call(&q->q_waiters, NULL, PROTO_E_INTERNAL,
		    "the machine sent a malformed answer");
		machine_protoerr(m, "an answer without result or error");
	}
	free(q);
}

static void
machine_ready(struct machine *m, json_object *v)
{
	struct daemon *d = m->m_daemon;
	machine_cb *cb = m->m_bootcb;
	json_object *r;

	if (m->m_state != MACHINE_BOOTING) {
		machine_protoerr(m, "\"ready\" when not booting");
		return;
	}
	m->m_state = MACHINE_UP;
	m->m_ready = true;
	m->m_bootcb = NULL;
	m->m_run = d->d_db != NULL ? db_run_begin(d->d_db, m->m_start,
	    m->m_pid, &m->m_cfg) : 0;
	if (m->m_run < 0) {
		log_warnx("history: cannot record the run: %s",
		    db_errmsg(d->d_db));
		m->m_run = 0;
	}
	log_info("machine booted: run %lld, pid %ld, %u CPUs, %zu-byte "
	    "pages, %llu MiB", (long long)m->m_run, (long)m->m_pid,
	    m->m_cfg.ncpu, m->m_cfg.page_size,
	    (unsigned long long)(m->m_cfg.physmem >> 20));
	recorder_event(d->d_recorder, m->m_run, "boot", "machine",
	    "booted: pid %ld, %u CPUs, %zu-byte pages, %llu MiB, seed %llu",
	    (long)m->m_pid, m->m_cfg.ncpu, m->m_cfg.page_size,
	    (unsigned long long)(m->m_cfg.physmem >> 20),
	    (unsigned long long)m->m_cfg.seed);
	machine_arm(m);
	if (cb != NULL) {
		r = json_object_new_object();
		json_object_object_add(r, "run",
		    json_object_new_int64(m->m_run));
		json_object_object_add(r, "pid",
		    json_object_new_int(m->m_pid));
		cb(m->m_bootarg, r, PROTO_OK, NULL);
		json_object_put(r);
	}
	(void)v;
}

/* A message from the child, parsed (and its blob, if any, attached). */
static void
machine_dispatch(struct machine *m, json_object *msg)
{
	json_object *v, *op;

	if (json_object_object_get_ex(msg, "id", &v))
		machine_answer(m, msg, v);
	else if (json_object_object_get_ex(msg, "trace", &v) &&
	    json_object_is_type(v, json_type_object))
		workload_trace(m->m_daemon, v);
	else if (json_object_object_get_ex(msg, "print", &v) &&
	    json_object_is_type(v, json_type_string))
		log_info("machine: %s", json_object_get_string(v));
	else if (json_object_object_get_ex(msg, "panic", &v) &&
	    json_object_is_type(v, json_type_string)) {
		machine_setstr(&m->m_panic, json_object_get_string(v));
		machine_setstr(&m->m_panicop,
		    json_object_object_get_ex(msg, "op", &op) ?
		    json_object_get_string(op) : "?");
	} else if (json_object_object_get_ex(msg, "ready", &v) &&
	    json_object_is_type(v, json_type_object))
		machine_ready(m, v);
	else if (json_object_object_get_ex(msg, "bootfail", &v) &&
	    json_object_is_type(v, json_type_string))
		machine_setstr(&m->m_bootfail, json_object_get_string(v));
	else
		machine_protoerr(m, "an unknown message");
}

/*
 * One line from the child.  An answer with a blob waits for its bytes
 * (machine_readcb).
 */
static void
machine_message(struct machine *m, const char *line, size_t len)
{
	struct json_tokener *tok;
	json_object *msg, *v, *r, *b;

	tok = json_tokener_new_ex(NBMD_JSON_DEPTH);
	if (tok == NULL)
		fatalx("json_tokener_new_ex failed");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	msg = json_tokener_parse_ex(tok, line, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(msg, json_type_object)) {
		json_tokener_free(tok);
		json_object_put(msg);
		machine_protoerr(m, "a line that is not a JSON object");
		return;
	}
	json_tokener_free(tok);
	if (json_object_object_get_ex(msg, "bloblen", &v)) {
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0 ||
		    json_object_get_int64(v) > NBMD_CHILD_MSG_MAX ||
		    !json_object_object_get_ex(msg, "blob", &b) ||
		    !json_object_is_type(b, json_type_array) ||
		    !json_object_object_get_ex(msg, "result", &r) ||
		    !json_object_is_type(r, json_type_object)) {
			json_object_put(msg);
			machine_protoerr(m, "a malformed blob announcement");
			return;
		}
		m->m_blobmsg = msg;
		m->m_blobwant = (size_t)json_object_get_int64(v);
		return;
	}
	machine_dispatch(m, msg);
	json_object_put(msg);
}

/* The bytes of the blob m_blobmsg announced are in: attach, dispatch. */
static void
machine_blob(struct machine *m, struct evbuffer *in)
{
	json_object *msg = m->m_blobmsg, *r, *desc;
	struct nbmd_blob *b;

	m->m_blobmsg = NULL;
	json_object_object_get_ex(msg, "result", &r);
	json_object_object_get_ex(msg, "blob", &desc);
	b = xcalloc(1, sizeof(*b));
	b->b_desc = json_object_get(desc);
	b->b_len = m->m_blobwant;
	b->b_bytes = xmalloc(b->b_len + 1);
	evbuffer_remove(in, b->b_bytes, b->b_len);
	nbmd_blob_attach(r, b);
	if (!nbmd_blob_check(b))
		machine_protoerr(m, "a blob that does not match its "
		    "description");
	else
		machine_dispatch(m, msg);
	json_object_put(msg);
}

static void
machine_readcb(struct bufferevent *bev, void *arg)
{
	struct machine *m = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	/* After a protocol error the rest is not worth reading. */
	while (m->m_bev != NULL && !m->m_protoerr) {
		if (m->m_blobmsg != NULL) {
			if (evbuffer_get_length(in) < m->m_blobwant)
				break;
			machine_blob(m, in);
			continue;
		}
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		if (line == NULL) {
			if (evbuffer_get_length(in) > NBMD_CHILD_MSG_MAX) {
				evbuffer_drain(in, evbuffer_get_length(in));
				machine_protoerr(m, "a line over the size "
				    "limit");
			}
			break;
		}
		machine_message(m, line, len);
		free(line);
	}
}

static void
machine_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct machine *m = arg;

	if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) == 0)
		return;
	machine_readcb(bev, m);
	bufferevent_disable(bev, EV_READ | EV_WRITE);
	m->m_eof = true;
	if (m->m_state != MACHINE_STOPPING)
		m->m_state = MACHINE_STOPPING;
	machine_end(m);
}

/* The watchdog: the earliest deadline passed. */
static void
machine_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct machine *m = arg;
	struct mreq *q = TAILQ_FIRST(&m->m_reqs);
	char *why;

	if (m->m_pid <= 0 || m->m_reaped)
		return;
	if (m->m_state == MACHINE_BOOTING)
		xasprintf(&why, "no answer to the boot within %g s",
		    m->m_daemon->d_conf.c_boot_timeout);
	else if (q != NULL && q->q_deadline <= nbmd_mono() + 0.001)
		xasprintf(&why, "no answer to \"%s\" within %g s", q->q_op,
		    m->m_daemon->d_conf.c_timeout);
	else
		xasprintf(&why, "did not exit within %g s of being asked to",
		    m->m_daemon->d_conf.c_timeout);
	log_warnx("machine process %ld hung: %s; killing it", (long)m->m_pid,
	    why);
	machine_killchild(m, "hung", why);
	free(why);
}

/* Arm the watchdog at the earliest deadline, or stop it. */
static void
machine_arm(struct machine *m)
{
	struct mreq *q = TAILQ_FIRST(&m->m_reqs);
	struct timeval tv;
	double when = 0, now;

	if (m->m_pid <= 0 || m->m_reaped) {
		evtimer_del(m->m_watchdog);
		return;
	}
	if (m->m_state == MACHINE_BOOTING)
		when = m->m_boot_deadline;
	if (q != NULL && (when == 0 || q->q_deadline < when))
		when = q->q_deadline;
	if (m->m_state == MACHINE_STOPPING && m->m_stop_deadline != 0 &&
	    (when == 0 || m->m_stop_deadline < when))
		when = m->m_stop_deadline;
	if (when == 0) {
		evtimer_del(m->m_watchdog);
		return;
	}
	now = nbmd_mono();
	when = when > now ? when - now : 0;
	tv.tv_sec = (time_t)when;
	tv.tv_usec = (suseconds_t)((when - (double)tv.tv_sec) * 1e6);
	evtimer_add(m->m_watchdog, &tv);
}

/* How the child that just ended ended: a row's "ended" and message. */
static const char *
machine_verdict(struct machine *m, char **msgp)
{
	char sig[32];
	int st = m->m_status;

	*msgp = NULL;
	if (m->m_panic != NULL) {
		*msgp = xstrdup(m->m_panic);
		return "panic";
	}
	if (m->m_ending != NULL && strcmp(m->m_ending, "hung") == 0) {
		*msgp = xstrdup(m->m_why != NULL ? m->m_why : "hung");
		return "hung";
	}
	if (m->m_ending != NULL && strcmp(m->m_ending, "crash") == 0) {
		*msgp = xstrdup(m->m_why != NULL ? m->m_why : "crash");
		return "crash";
	}
	if (m->m_ending != NULL && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return m->m_ending;
	if (m->m_ending != NULL && WIFSIGNALED(st) &&
	    WTERMSIG(st) == SIGKILL) {
		xasprintf(msgp, "killed: %s", m->m_why != NULL ? m->m_why :
		    "the daemon stopped it");
		return m->m_ending;
	}
	if (WIFSIGNALED(st)) {
		machine_signame(WTERMSIG(st), sig, sizeof(sig));
		xasprintf(msgp, "killed by signal %s%s", sig,
		    WCOREDUMP(st) ? " (core dumped)" : "");
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == NBMD_CHILD_EXIT_PANIC)
		xasprintf(msgp, "exited after a panic it could not report");
	else if (WIFEXITED(st))
		xasprintf(msgp, "exited with status %d", WEXITSTATUS(st));
	else
		xasprintf(msgp, "ended with wait status 0x%x", st);
	return "crash";
}

/*
 * machine_end: the child has gone (EOF and status both known): judge,
 * record, answer everything that waited on it, and forget it.
 */
static void
machine_end(struct machine *m)
{
	struct daemon *d = m->m_daemon;
	struct mwaiters ws, stopws;
	struct mreq *q;
	machine_cb *bootcb;
	json_object *last;
	const char *ended;
	char *msg, *downmsg;
	bool booted;

	if (!m->m_eof || !m->m_reaped)
		return;
	booted = m->m_ready;
	bootcb = m->m_bootcb;
	m->m_bootcb = NULL;
	ended = machine_verdict(m, &msg);
	if (!booted && m->m_panic == NULL) {
		/* It never said ready: a failed boot, not a run. */
		if (m->m_bootfail != NULL) {
			free(msg);
			msg = xstrdup(m->m_bootfail);
		}
		log_warnx("machine did not boot: %s", msg != NULL ? msg :
		    ended);
		recorder_event(d->d_recorder, 0, "boot-failed", "machine",
		    "%s", msg != NULL ? msg : ended);
		xasprintf(&downmsg, "the machine did not boot: %s",
		    msg != NULL ? msg : ended);
	} else {
		if (strcmp(ended, "shutdown") == 0 ||
		    strcmp(ended, "daemon-stop") == 0)
			log_info("machine run %lld ended: %s%s%s",
			    (long long)m->m_run, ended, msg ? ": " : "",
			    msg ? msg : "");
		else
			log_warnx("machine run %lld ended: %s%s%s",
			    (long long)m->m_run, ended, msg ? ": " : "",
			    msg ? msg : "");
		if (d->d_db != NULL && m->m_run > 0 &&
		    db_run_end(d->d_db, m->m_run, nbmd_now(), ended, msg) != 0)
			log_warnx("history: cannot record the end of run "
			    "%lld: %s", (long long)m->m_run,
			    db_errmsg(d->d_db));
		recorder_event(d->d_recorder, m->m_run, ended,
		    m->m_panicop != NULL ? m->m_panicop : "machine", "%s",
		    msg != NULL ? msg : ended);
		last = json_object_new_object();
		json_object_object_add(last, "run",
		    json_object_new_int64(m->m_run));
		json_object_object_add(last, "ended",
		    json_object_new_string(ended));
		json_object_object_add(last, "message", msg != NULL ?
		    json_object_new_string(msg) : NULL);
		json_object_object_add(last, "time", proto_time(nbmd_now()));
		json_object_put(m->m_last);
		m->m_last = last;
		if (strcmp(ended, "panic") == 0)
			xasprintf(&downmsg, "the machine panicked: %s", msg);
		else if (strcmp(ended, "crash") == 0)
			xasprintf(&downmsg, "the machine process crashed: %s",
			    msg);
		else if (strcmp(ended, "hung") == 0)
			xasprintf(&downmsg, "the machine hung and was killed: "
			    "%s", msg);
		else
			xasprintf(&downmsg, "the machine was shut down");
	}

	/* Forget the child before calling anyone, who may boot another. */
	TAILQ_INIT(&ws);
	while ((q = TAILQ_FIRST(&m->m_reqs)) != NULL) {
		TAILQ_REMOVE(&m->m_reqs, q, q_entry);
		TAILQ_CONCAT(&ws, &q->q_waiters, w_entry);
		free(q);
	}
	TAILQ_INIT(&stopws);
	TAILQ_CONCAT(&stopws, &m->m_stopwaiters, w_entry);
	m->m_snap = NULL;
	json_object_put(m->m_blobmsg);
	m->m_blobmsg = NULL;
	bufferevent_free(m->m_bev);
	m->m_bev = NULL;
	evtimer_del(m->m_watchdog);
	m->m_state = MACHINE_DOWN;
	m->m_pid = 0;
	m->m_eof = m->m_reaped = m->m_ready = m->m_protoerr = false;
	m->m_ending = NULL;
	machine_setstr(&m->m_why, NULL);
	machine_setstr(&m->m_panic, NULL);
	machine_setstr(&m->m_panicop, NULL);
	machine_setstr(&m->m_bootfail, NULL);

	machine_waiters_call(&ws, NULL, PROTO_E_MACHINE_DOWN, downmsg);
	if (bootcb != NULL)
		bootcb(m->m_bootarg, NULL, PROTO_E_BOOT_FAILED, downmsg);
	if (!TAILQ_EMPTY(&stopws)) {
		last = json_object_new_object();
		json_object_object_add(last, "run",
		    json_object_new_int64(m->m_run));
		json_object_object_add(last, "ended",
		    json_object_new_string(ended));
		machine_waiters_call(&stopws, last, PROTO_OK, NULL);
		json_object_put(last);
	}
	free(msg);
	free(downmsg);
}

void
machine_sigchld(struct machine *m)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid != m->m_pid)
			continue;
		m->m_reaped = true;
		m->m_status = st;
		evtimer_del(m->m_watchdog);
		if (m->m_state != MACHINE_STOPPING)
			m->m_state = MACHINE_STOPPING;
		machine_end(m);
	}
}

struct machine *
machine_new(struct daemon *d)
{
	struct machine *m = xcalloc(1, sizeof(*m));

	m->m_daemon = d;
	m->m_state = MACHINE_DOWN;
	TAILQ_INIT(&m->m_reqs);
	TAILQ_INIT(&m->m_stopwaiters);
	m->m_watchdog = evtimer_new(d->d_base, machine_timeout, m);
	if (m->m_watchdog == NULL)
		fatalx("evtimer_new failed");
	return m;
}

/*
 * machine_free: forget the machine; a child still running is killed and
 * reaped here (the daemon is exiting).
 */
void
machine_free(struct machine *m)
{
	struct daemon *d = m->m_daemon;
	struct mreq *q;
	int st;

	if (m->m_pid > 0 && !m->m_reaped) {
		kill(m->m_pid, SIGKILL);
		while (waitpid(m->m_pid, &st, 0) < 0 && errno == EINTR)
			continue;
	}
	if (m->m_state != MACHINE_DOWN && m->m_ready && m->m_run > 0 &&
	    d->d_db != NULL && db_run_end(d->d_db, m->m_run, nbmd_now(),
	    "daemon-stop", "killed: the daemon stopped at once") != 0)
		log_warnx("history: cannot record the end of run %lld: %s",
		    (long long)m->m_run, db_errmsg(d->d_db));
	if (m->m_bootcb != NULL)
		m->m_bootcb(m->m_bootarg, NULL, PROTO_E_BOOT_FAILED,
		    "the daemon is stopping");
	while ((q = TAILQ_FIRST(&m->m_reqs)) != NULL) {
		TAILQ_REMOVE(&m->m_reqs, q, q_entry);
		machine_waiters_call(&q->q_waiters, NULL, PROTO_E_MACHINE_DOWN,
		    "the daemon is stopping");
		free(q);
	}
	machine_waiters_call(&m->m_stopwaiters, NULL, PROTO_E_MACHINE_DOWN,
	    "the daemon is stopping");
	if (m->m_bev != NULL)
		bufferevent_free(m->m_bev);
	json_object_put(m->m_blobmsg);
	event_free(m->m_watchdog);
	json_object_put(m->m_last);
	free(m->m_why);
	free(m->m_panic);
	free(m->m_panicop);
	free(m->m_bootfail);
	free(m);
}

/*
 * machine_boot: fork a machine process that boots cfg.
 *
 * => returns PROTO_OK and later calls cb once: with {run, pid} when the
 *    machine is up, or with PROTO_E_BOOT_FAILED and the reason.
 * => returns PROTO_E_BUSY (a machine exists) or PROTO_E_BOOT_FAILED (no
 *    process could be started) with a message in errbuf; cb is not called.
 */
enum proto_err
machine_boot(struct machine *m, const struct nbm_config *cfg, machine_cb *cb,
    void *arg, char *errbuf, size_t errlen)
{
	struct daemon *d = m->m_daemon;
	int sv[2];
	pid_t pid;

	if (m->m_state != MACHINE_DOWN) {
		snprintf(errbuf, errlen, "a machine is %s (run %lld, pid %ld)",
		    machine_state_name(m->m_state), (long long)m->m_run,
		    (long)m->m_pid);
		return PROTO_E_BUSY;
	}
	if (d->d_nofork || d->d_stopping) {
		snprintf(errbuf, errlen, "%s", d->d_stopping ? "the daemon is "
		    "stopping" : "machine processes are disabled");
		return PROTO_E_BOOT_FAILED;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
		snprintf(errbuf, errlen, "socketpair: %s", strerror(errno));
		return PROTO_E_BOOT_FAILED;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		snprintf(errbuf, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return PROTO_E_BOOT_FAILED;
	}
	if (pid == 0) {
		close(sv[0]);
		child_main(sv[1], cfg, d->d_testmode);
	}
	close(sv[1]);
	evutil_make_socket_nonblocking(sv[0]);
	evutil_make_socket_closeonexec(sv[0]);
	m->m_bev = bufferevent_socket_new(d->d_base, sv[0],
	    BEV_OPT_CLOSE_ON_FREE);
	if (m->m_bev == NULL)
		fatalx("bufferevent_socket_new failed");
	bufferevent_setcb(m->m_bev, machine_readcb, NULL, machine_eventcb, m);
	bufferevent_setwatermark(m->m_bev, EV_READ, 0,
	    NBMD_CHILD_MSG_MAX + 4096);
	bufferevent_enable(m->m_bev, EV_READ | EV_WRITE);
	m->m_pid = pid;
	m->m_cfg = *cfg;
	m->m_run = 0;
	m->m_state = MACHINE_BOOTING;
	m->m_start = nbmd_now();
	m->m_boot_deadline = nbmd_mono() + d->d_conf.c_boot_timeout;
	m->m_stop_deadline = 0;
	m->m_bootcb = cb;
	m->m_bootarg = arg;
	m->m_eof = m->m_reaped = false;
	log_debug("machine process %ld: booting", (long)pid);
	machine_arm(m);
	return PROTO_OK;
}

static struct mreq *
machine_send(struct machine *m, const char *op, json_object *args)
{
	struct mreq *q = xcalloc(1, sizeof(*q));
	json_object *msg = json_object_new_object();
	const char *s;
	size_t len;

	q->q_id = ++m->m_nextid;
	snprintf(q->q_op, sizeof(q->q_op), "%s", op);
	q->q_deadline = nbmd_mono() + m->m_daemon->d_conf.c_timeout;
	TAILQ_INIT(&q->q_waiters);
	TAILQ_INSERT_TAIL(&m->m_reqs, q, q_entry);
	json_object_object_add(msg, "id", json_object_new_int64(
	    (int64_t)q->q_id));
	json_object_object_add(msg, "op", json_object_new_string(op));
	json_object_object_add(msg, "args", args != NULL ? args :
	    json_object_new_object());
	s = proto_string(msg, &len);
	bufferevent_write(m->m_bev, s, len);
	bufferevent_write(m->m_bev, "\n", 1);
	json_object_put(msg);
	machine_arm(m);
	return q;
}

/*
 * machine_request: send op with args (taken over) to the machine.
 * => PROTO_OK: cb is called once, later, with the answer or an error.
 *    PROTO_E_MACHINE_DOWN: no machine is up (machine_down_message() says
 *    why); cb is not called.
 */
enum proto_err
machine_request(struct machine *m, const char *op, json_object *args,
    machine_cb *cb, void *arg)
{
	struct mreq *q;

	if (m->m_state != MACHINE_UP) {
		json_object_put(args);
		return PROTO_E_MACHINE_DOWN;
	}
	q = machine_send(m, op, args);
	machine_addwaiter(&q->q_waiters, cb, arg);
	return PROTO_OK;
}

/* machine_snapshot: as machine_request("snapshot"), joining one in flight. */
enum proto_err
machine_snapshot(struct machine *m, machine_cb *cb, void *arg)
{
	enum proto_err e;

	if (m->m_state == MACHINE_UP && m->m_snap != NULL) {
		machine_addwaiter(&m->m_snap->q_waiters, cb, arg);
		return PROTO_OK;
	}
	if ((e = machine_request(m, "snapshot", NULL, cb, arg)) == PROTO_OK)
		m->m_snap = TAILQ_LAST(&m->m_reqs, mreqs);
	return e;
}

/*
 * machine_down_message: why there is no machine to answer, for the
 * machine-down error of a request.
 */
const char *
machine_down_message(struct machine *m, char *buf, size_t len)
{
	json_object *v;

	if (m->m_state == MACHINE_BOOTING)
		snprintf(buf, len, "the machine is still booting");
	else if (m->m_state == MACHINE_STOPPING)
		snprintf(buf, len, "the machine is shutting down");
	else if (m->m_last != NULL &&
	    json_object_object_get_ex(m->m_last, "ended", &v)) {
		json_object *msg = NULL, *run = NULL;

		json_object_object_get_ex(m->m_last, "message", &msg);
		json_object_object_get_ex(m->m_last, "run", &run);
		snprintf(buf, len, "no machine is running; run %lld ended: "
		    "%s%s%.300s", (long long)json_object_get_int64(run),
		    json_object_get_string(v), msg != NULL ? ": " : "",
		    msg != NULL ? json_object_get_string(msg) : "");
	} else
		snprintf(buf, len, "no machine is running; machine.boot "
		    "starts one");
	return buf;
}

/* machine_cancel: forget every callback with this arg. */
void
machine_cancel(struct machine *m, void *arg)
{
	struct mreq *q;
	struct mwaiter *w;

	TAILQ_FOREACH(q, &m->m_reqs, q_entry)
		TAILQ_FOREACH(w, &q->q_waiters, w_entry)
			if (w->w_arg == arg)
				w->w_cb = NULL;
	TAILQ_FOREACH(w, &m->m_stopwaiters, w_entry)
		if (w->w_arg == arg)
			w->w_cb = NULL;
	if (m->m_bootarg == arg)
		m->m_bootcb = NULL;
}

/*
 * machine_shutdown: ask the machine to shut down; ending is how the run
 * ends ("shutdown", "daemon-stop").  cb (may be NULL) is called when the
 * process is gone, with {run, ended}; at once, with PROTO_E_MACHINE_DOWN,
 * when there is no machine.
 */
void
machine_shutdown(struct machine *m, const char *ending, machine_cb *cb,
    void *arg)
{

	if (m->m_state == MACHINE_DOWN) {
		if (cb != NULL)
			cb(arg, NULL, PROTO_E_MACHINE_DOWN,
			    "no machine is running");
		return;
	}
	if (cb != NULL)
		machine_addwaiter(&m->m_stopwaiters, cb, arg);
	if (m->m_state == MACHINE_BOOTING) {
		machine_killchild(m, ending, "stopped while booting");
		return;
	}
	if (m->m_state == MACHINE_STOPPING)
		return;
	m->m_ending = ending;
	(void)machine_send(m, "shutdown", NULL);
	m->m_state = MACHINE_STOPPING;
	m->m_stop_deadline = nbmd_mono() + m->m_daemon->d_conf.c_timeout;
	machine_arm(m);
}

/* machine_kill: end the machine process now. */
void
machine_kill(struct machine *m, const char *ending)
{

	machine_killchild(m, ending, "the daemon stopped it");
}

enum machine_state
machine_state(const struct machine *m)
{

	return m->m_state;
}

int64_t
machine_run(const struct machine *m)
{

	return m->m_run;
}

pid_t
machine_pid(const struct machine *m)
{

	return m->m_pid;
}

const struct nbm_config *
machine_config(const struct machine *m)
{

	return m->m_state == MACHINE_DOWN ? NULL : &m->m_cfg;
}

json_object *
machine_last(const struct machine *m)
{

	return m->m_last;
}
