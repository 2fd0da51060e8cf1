/*
 * proto.h: the wire contract between nbmemd and its clients.
 *
 * JSON-RPC 2.0 over a Unix stream socket, one JSON object a line (LF; a CR
 * before it is ignored; blank lines are skipped).  A client sends requests;
 * the daemon answers them in the order they came, one response each, and
 * may send notifications (no "id") in between:
 *
 *	stats.update	a snapshot for a stats.subscribe subscription
 *	history.chunk	a chunk of a history.export; the export's response,
 *			after its last chunk, is the end marker
 *
 * A request line may hold at most NBMD_LINE_MAX bytes; a longer one is
 * answered with a too-large error and the connection is closed, because
 * the rest of the line cannot be told from the next request.  Batches
 * (JSON arrays) are not supported and get a bad-request error.  Requests
 * without an "id" are notifications in JSON-RPC's sense: they are run but
 * never answered, errors included.
 *
 * Errors are JSON-RPC error objects: the standard code, a short lowercase
 * message, and in "data" a stable reason string from the table below
 * (plus, for bad-params, the "field" at fault).  Clients switch on the
 * reason, never on the message.
 *
 * The normative description of every method is schema/protocol/; this
 * header mirrors it.  Bump NBMD_PROTO_VERSION on any change a client could
 * notice (a method, a parameter, a result field, a reason removed or
 * changed; adding a method or an optional result field is compatible and
 * bumps NBMD_PROTO_MINOR), and update the schemas in the same commit.
 *
 * proto.c is free of libevent so that the CLI can compile it.
 */
#ifndef NBMD_PROTO_H
#define NBMD_PROTO_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include <json-c/json.h>

#define NBMD_PROTO_VERSION	2	/* incompatible changes */
#define NBMD_PROTO_MINOR	2	/* compatible additions */

#define NBMD_LINE_MAX		(1024 * 1024)	/* request bytes, LF excluded */
#define NBMD_JSON_DEPTH		32		/* nesting accepted */

/*
 * Error reasons: X(name, JSON-RPC code, reason, default message).  Codes
 * -32700..-32600 are JSON-RPC's own; the daemon's are -32000 and below.
 * Append only: reasons and codes are part of the protocol.
 */
#define NBMD_ERRORS(X)							\
	X(PARSE_ERROR, -32700, "parse-error", "invalid JSON")		\
	X(BAD_REQUEST, -32600, "bad-request", "not a JSON-RPC 2.0 request")\
	X(TOO_LARGE, -32600, "too-large", "request line too long")	\
	X(UNKNOWN_METHOD, -32601, "unknown-method", "unknown method")	\
	X(BAD_PARAMS, -32602, "bad-params", "invalid parameters")	\
	X(INTERNAL, -32603, "internal", "internal error")		\
	X(MACHINE_DOWN, -32000, "machine-down", "no machine is running")\
	X(DENIED, -32001, "denied", "not allowed on this socket")	\
	X(BUSY, -32002, "busy", "busy")					\
	X(BOOT_FAILED, -32003, "boot-failed", "the machine did not boot")\
	X(NO_SUCH_RUN, -32004, "no-such-run", "no such run")		\
	X(NO_SUCH_SUBSCRIPTION, -32005, "no-such-subscription",		\
	    "no such subscription")					\
	X(VERSION_MISMATCH, -32006, "version-mismatch",			\
	    "protocol version mismatch")				\
	X(HISTORY, -32007, "history-unavailable",			\
	    "the history database failed")				\
	X(SHUTTING_DOWN, -32008, "shutting-down", "the daemon is stopping")\
	X(NO_SUCH_POOL, -32009, "no-such-pool", "no such pool")	\
	X(NO_SUCH_ARENA, -32010, "no-such-arena", "no such vmem arena")	\
	X(NO_SUCH_EXTENT, -32011, "no-such-extent", "no such extent")	\
	X(NO_SUCH_SOURCE, -32012, "no-such-source",			\
	    "no such interrupt source")					\
	X(POOL_BUSY, -32013, "pool-busy", "the pool has items out")	\
	X(EXISTS, -32014, "exists", "an object of that name exists")	\
	X(NOT_OWNED, -32015, "not-owned",				\
	    "the object is not the daemon's to change")			\
	X(NO_CACHE, -32016, "no-cache", "the pool has no cache")	\
	X(NO_WORKLOAD, -32017, "no-workload", "no such workload or trace")

enum proto_err {
	PROTO_OK = 0,
#define NBMD_X(name, code, reason, msg) PROTO_E_##name,
	NBMD_ERRORS(NBMD_X)
#undef NBMD_X
	PROTO_E_COUNT
};

/* A decoded request line. */
struct proto_request {
	const char	*pr_method;	/* method name (owned by pr_json) */
	json_object	*pr_params;	/* object, or NULL when absent */
	json_object	*pr_id;		/* id, or NULL for a notification */
	json_object	*pr_json;	/* the whole request; put when done */
};

int	proto_code(enum proto_err);
const char *proto_reason(enum proto_err);
const char *proto_message(enum proto_err);
enum proto_err proto_reason_lookup(const char *);

/*
 * proto_decode: parse one request line (without its LF) of len bytes.
 *
 * => returns PROTO_OK and fills *rq (the caller puts rq->pr_json), or an
 *    error with a message in errbuf; rq->pr_id then holds the request's id
 *    when one could be read (a new reference the caller puts), else NULL.
 */
enum proto_err proto_decode(const char *line, size_t len,
	    struct proto_request *rq, char *errbuf, size_t errlen);

/* Envelopes; each takes over result/params/data and gets its own id ref. */
json_object *proto_result(json_object *id, json_object *result);
json_object *proto_error(json_object *id, enum proto_err, const char *msg,
	    json_object *data);
json_object *proto_notification(const char *method, json_object *params);

/* The single-line text of a message; valid until obj is put. */
const char *proto_string(json_object *obj, size_t *lenp);

/* Members of an object, or a default when absent. */
bool	proto_has(json_object *, const char *);
int64_t	proto_get_int(json_object *, const char *, int64_t dflt);
double	proto_get_number(json_object *, const char *, double dflt);
bool	proto_get_bool(json_object *, const char *, bool dflt);
const char *proto_get_string(json_object *, const char *, const char *dflt);

/* A JSON number for a time in seconds, printed with microseconds. */
json_object *proto_time(double);

/* A JSON number for a double, shortest of 9 significant digits. */
json_object *proto_number(double);

#endif /* NBMD_PROTO_H */
