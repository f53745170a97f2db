"""Runs exported EQL rules with Elastic's own Python EQL engine (PyPI `eql`) over ECS documents.

usage: eql_run.py MANIFEST.json EVENTS.ndjson

MANIFEST.json is `dllhound export --to eql --format json`. Each line of EVENTS.ndjson is one ECS
document with a `_group` member (the recording it came from): every group is run on its own, so a
sequence never joins events of two recordings. Prints one JSON line per match:
{"group", "rule", "host", "dll"} where dll is the loaded module's file.path.

Engine differences from Elasticsearch, shimmed here rather than by weakening the queries
(../shared/reference/export.md): Elasticsearch reads `?` in a wildcard as one character, the Python
engine as a literal; the patch below gives it Elasticsearch's reading.
"""
import json
import re
import sys
from collections import defaultdict
from datetime import datetime

import eql
from eql.functions import Wildcard
from eql.utils import fold_case


def to_regex(cls, *wildcards):
    out = []
    for w in wildcards:
        body = "".join(
            ".*?" if c == "*" else "." if c == "?" else re.escape(c) for c in fold_case(w)
        )
        out.append("^" + body + "$")
    return "|".join(out)


Wildcard.to_regex = classmethod(to_regex)


def millis(ts):
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)


def get(doc, path):
    for p in path.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(p)
    return doc


def main():
    manifest = json.load(open(sys.argv[1], encoding="utf-8"))
    groups = defaultdict(list)
    with open(sys.argv[2], encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            groups[doc.pop("_group")].append(doc)
    with eql.parser.elasticsearch_syntax, eql.parser.ignore_missing_functions:
        queries = [(r["id"], eql.parse_query(r["query"])) for r in manifest["rules"]]
    for group, docs in sorted(groups.items()):
        events = sorted(
            (eql.Event(get(d, "event.category")[0], millis(d["@timestamp"]), d) for d in docs),
            key=lambda e: e.time,
        )
        for rule, query in queries:
            found = []
            engine = eql.PythonEngine({"print": False, "time_unit": 1000})
            engine.add_query(query)
            engine.add_output_hook(found.append)
            engine.stream_events(events)
            engine.finalize()
            for out in found:
                load = next(e.data for e in out.events if get(e.data, "event.code") == "7")
                print(json.dumps({
                    "group": group,
                    "rule": rule,
                    "host": get(load, "host.name"),
                    "dll": get(load, "file.path"),
                }))


if __name__ == "__main__":
    main()
