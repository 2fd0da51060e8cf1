/*
 * proto.c: decoding requests and encoding replies of the control protocol.
 *
 * The decoder checks a line from the outside in before anything uses it:
 * size (the caller has bounded it), valid UTF-8 and strict JSON with at
 * most NBMD_JSON_DEPTH levels, nothing after the value but blanks, then
 * the JSON-RPC 2.0 shape: an object with "jsonrpc": "2.0", a string
 * "method", "params" absent or an object, and an "id" that is a string,
 * an integer or null.  Only then does the dispatcher (cmd.c) see it.
 */
#include <stdio.h>
#include <string.h>

#include "proto.h"

static const struct {
	int		 pe_code;
	const char	*pe_reason;
	const char	*pe_message;
} proto_errors[] = {
	[PROTO_OK] = { 0, "ok", "ok" },
#define NBMD_X(name, code, reason, msg) [PROTO_E_##name] = { code, reason, msg },
	NBMD_ERRORS(NBMD_X)
#undef NBMD_X
};

int
proto_code(enum proto_err e)
{

	return e < PROTO_E_COUNT ? proto_errors[e].pe_code : -32603;
}

const char *
proto_reason(enum proto_err e)
{

	return e < PROTO_E_COUNT ? proto_errors[e].pe_reason : "internal";
}

const char *
proto_message(enum proto_err e)
{

	return e < PROTO_E_COUNT ? proto_errors[e].pe_message : "internal error";
}

enum proto_err
proto_reason_lookup(const char *reason)
{
	int e;

	for (e = PROTO_OK + 1; e < PROTO_E_COUNT; e++)
		if (strcmp(proto_errors[e].pe_reason, reason) == 0)
			return (enum proto_err)e;
	return PROTO_E_INTERNAL;
}

/* An id JSON-RPC allows: a string, an integer or null. */
static bool
proto_id_ok(json_object *id)
{

	switch (json_object_get_type(id)) {
	case json_type_null:
	case json_type_string:
	case json_type_int:
		return true;
	default:
		return false;
	}
}

enum proto_err
proto_decode(const char *line, size_t len, struct proto_request *rq,
    char *errbuf, size_t errlen)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *obj, *v, *id = NULL;
	size_t end;
	int has_id;

	memset(rq, 0, sizeof(*rq));
	errbuf[0] = '\0';
	if ((tok = json_tokener_new_ex(NBMD_JSON_DEPTH)) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return PROTO_E_INTERNAL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (obj == NULL && jerr == json_tokener_continue) {
		/* A scalar at the very end: let the tokener see the end. */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	json_tokener_free(tok);
	if (obj == NULL || jerr != json_tokener_success) {
		snprintf(errbuf, errlen, "invalid JSON at byte %zu: %s",
		    end, json_tokener_error_desc(jerr));
		json_object_put(obj);
		return PROTO_E_PARSE_ERROR;
	}
	for (; end < len; end++) {
		if (strchr(" \t\r", line[end]) == NULL) {
			snprintf(errbuf, errlen, "invalid JSON at byte %zu: "
			    "text after the request object", end);
			json_object_put(obj);
			return PROTO_E_PARSE_ERROR;
		}
	}

	if (json_object_is_type(obj, json_type_array)) {
		snprintf(errbuf, errlen, "batch requests are not supported; "
		    "send one request a line");
		json_object_put(obj);
		return PROTO_E_BAD_REQUEST;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(errbuf, errlen, "a request must be a JSON object");
		json_object_put(obj);
		return PROTO_E_BAD_REQUEST;
	}
	has_id = json_object_object_get_ex(obj, "id", &id);
	if (has_id && proto_id_ok(id))
		rq->pr_id = json_object_get(id);
	else if (has_id) {
		snprintf(errbuf, errlen, "id: must be a string, an integer or "
		    "null");
		goto bad;
	}
	if (!json_object_object_get_ex(obj, "jsonrpc", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "2.0") != 0) {
		snprintf(errbuf, errlen, "jsonrpc: must be \"2.0\"");
		goto bad;
	}
	if (!json_object_object_get_ex(obj, "method", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		snprintf(errbuf, errlen, "method: must be a string");
		goto bad;
	}
	rq->pr_method = json_object_get_string(v);
	if (json_object_object_get_ex(obj, "params", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (!json_object_is_type(v, json_type_object)) {
			snprintf(errbuf, errlen, "params: must be an object "
			    "(parameters by name)");
			goto bad;
		}
		rq->pr_params = v;
	}
	json_object_object_foreach(obj, key, val) {
		(void)val;
		if (strcmp(key, "jsonrpc") != 0 && strcmp(key, "method") != 0 &&
		    strcmp(key, "params") != 0 && strcmp(key, "id") != 0) {
			snprintf(errbuf, errlen, "%.64s: unknown member; a "
			    "request has jsonrpc, method, params and id", key);
			goto bad;
		}
	}
	rq->pr_json = obj;
	return PROTO_OK;

bad:
	rq->pr_method = NULL;
	rq->pr_params = NULL;
	json_object_put(obj);
	return PROTO_E_BAD_REQUEST;
}

static json_object *
proto_envelope(json_object *id)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(o, "id", id != NULL ? json_object_get(id) :
	    NULL);
	return o;
}

json_object *
proto_result(json_object *id, json_object *result)
{
	json_object *o = proto_envelope(id);

	json_object_object_add(o, "result", result != NULL ? result :
	    json_object_new_object());
	return o;
}

json_object *
proto_error(json_object *id, enum proto_err e, const char *msg,
    json_object *data)
{
	json_object *o = proto_envelope(id), *err;

	if (data == NULL)
		data = json_object_new_object();
	json_object_object_add(data, "reason",
	    json_object_new_string(proto_reason(e)));
	err = json_object_new_object();
	json_object_object_add(err, "code", json_object_new_int(proto_code(e)));
	json_object_object_add(err, "message", json_object_new_string(
	    msg != NULL && *msg != '\0' ? msg : proto_message(e)));
	json_object_object_add(err, "data", data);
	json_object_object_add(o, "error", err);
	return o;
}

json_object *
proto_notification(const char *method, json_object *params)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(o, "method", json_object_new_string(method));
	json_object_object_add(o, "params", params != NULL ? params :
	    json_object_new_object());
	return o;
}

const char *
proto_string(json_object *obj, size_t *lenp)
{

	return json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, lenp);
}

/*
 * Members of an object checked elsewhere (the parameters of a request,
 * the arguments of a machine operation), or dflt when absent.
 */
bool
proto_has(json_object *o, const char *key)
{

	return json_object_object_get_ex(o, key, NULL);
}

int64_t
proto_get_int(json_object *o, const char *key, int64_t dflt)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	    json_object_get_int64(v) : dflt;
}

double
proto_get_number(json_object *o, const char *key, double dflt)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	    json_object_get_double(v) : dflt;
}

bool
proto_get_bool(json_object *o, const char *key, bool dflt)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	    json_object_get_boolean(v) : dflt;
}

/* A string member; dflt also when the member is not a string. */
const char *
proto_get_string(json_object *o, const char *key, const char *dflt)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : dflt;
}

json_object *
proto_time(double t)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.6f", t);
	return json_object_new_double_s(t, buf);
}

json_object *
proto_number(double d)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.9g", d);
	if (strpbrk(buf, ".en") == NULL)
		strcat(buf, ".0");
	return json_object_new_double_s(d, buf);
}
