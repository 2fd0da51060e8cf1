# h_validate.py: check an nbmemd conversation against schema/protocol/.
#
#	/usr/bin/python3 h_validate.py SCHEMADIR REQUESTS RECEIVED
#
# REQUESTS holds the request lines the tests sent, RECEIVED every line the
# daemon sent back (on any connection).  Checked:
#  - every received line is a JSON object valid against
#    envelope.schema.json (errors against error.schema.json);
#  - every result is valid against METHOD.result.schema.json, METHOD
#    being the method of the request with that id, and every
#    notification against METHOD.params.schema.json;
#  - every well-formed request whose params are invalid against
#    METHOD.params.schema.json got an error, not a result; one whose
#    params are valid did not get bad-params, except for the methods whose
#    daemon-side checks go beyond the schema (SEMANTIC below).
# Request ids must be unique in REQUESTS.  Prints each problem and exits 1
# if there is any.
import json
import os
import sys

import jsonschema

SEMANTIC = {"machine.boot", "history.export", "pool.create", "pool.setlowat",
            "pool.prime", "intr.add", "intr.set", "debug.hold",
            "debug.kmem_wrongfree", "workload.start", "trace.start",
            "trace.replay"}


def load(schemadir):
    store = {}
    for root, _, files in os.walk(schemadir):
        for f in files:
            if f.endswith(".schema.json"):
                with open(os.path.join(root, f)) as fp:
                    s = json.load(fp)
                store[s["$id"]] = s
    return store


def validator(store, name):
    base = "https://nbmem.invalid/schema/protocol/"
    s = store.get(base + name)
    if s is None:
        return None
    resolver = jsonschema.RefResolver(base + name, s, store=store)
    return jsonschema.Draft202012Validator(s, resolver=resolver)


def main():
    schemadir, reqfile, rcvfile = sys.argv[1:4]
    store = load(schemadir)
    env = validator(store, "envelope.schema.json")
    problems = []
    methods = {}
    valid_params = {}
    with open(reqfile, errors="replace") as fp:
        for n, line in enumerate(fp, 1):
            try:
                rq = json.loads(line)
            except ValueError:
                continue
            if not isinstance(rq, dict) or "id" not in rq or \
                    not isinstance(rq.get("method"), str):
                continue
            rid = json.dumps(rq["id"])
            if rid in methods:
                problems.append("requests:%d: id %s used twice" % (n, rid))
            methods[rid] = rq["method"]
            v = validator(store, rq["method"] + ".params.schema.json")
            if v is not None:
                params = rq.get("params", {})
                valid_params[rid] = v.is_valid(params) if \
                    isinstance(params, dict) else False
    seen = 0
    with open(rcvfile, errors="replace") as fp:
        for n, line in enumerate(fp, 1):
            where = "received:%d" % n
            try:
                msg = json.loads(line)
            except ValueError as e:
                problems.append("%s: not JSON (%s): %.200s" % (where, e, line))
                continue
            for e in env.iter_errors(msg):
                problems.append("%s: envelope: %s at %s" %
                                (where, e.message, list(e.absolute_path)))
            if not isinstance(msg, dict):
                continue
            seen += 1
            if "method" in msg:
                v = validator(store, msg["method"] + ".params.schema.json")
                if v is None:
                    problems.append("%s: no schema for notification %s" %
                                    (where, msg["method"]))
                    continue
                for e in v.iter_errors(msg.get("params")):
                    problems.append("%s: %s params: %s at %s" %
                                    (where, msg["method"], e.message,
                                     list(e.absolute_path)))
                continue
            rid = json.dumps(msg.get("id"))
            method = methods.get(rid)
            if method is None:
                continue
            if "result" in msg:
                v = validator(store, method + ".result.schema.json")
                if v is None:
                    problems.append("%s: no result schema for %s" %
                                    (where, method))
                    continue
                for e in v.iter_errors(msg["result"]):
                    problems.append("%s: %s result: %s at %s" %
                                    (where, method, e.message,
                                     list(e.absolute_path)))
                if valid_params.get(rid) is False:
                    problems.append("%s: %s: params invalid by the schema "
                                    "but the daemon answered a result" %
                                    (where, method))
            elif "error" in msg:
                reason = msg["error"].get("data", {}).get("reason")
                if reason == "bad-params" and valid_params.get(rid) and \
                        method not in SEMANTIC:
                    problems.append("%s: %s: params valid by the schema "
                                    "but the daemon said bad-params: %s" %
                                    (where, method,
                                     msg["error"].get("message")))
    for p in problems:
        print(p)
    print("h_validate: %d messages checked, %d problems" %
          (seen, len(problems)))
    return 1 if problems else 0


sys.exit(main())
