"""Runs exported Sigma correlation rules with pySigma 2's SQLite backend over Sysmon documents.

usage: sigma_run.py RULES_DIR EVENTS.ndjson

RULES_DIR is `dllhound export --to sigma -o RULES_DIR`. Each line of EVENTS.ndjson is one flat
Sysmon document (`EventID`, `Computer`, `ImageLoaded`, …, `timestamp` in ISO 8601) with a `_group`
member (the recording it came from); each group gets its own SQLite table, so a correlation never
joins two recordings. Prints one JSON line per correlation match:
{"group", "rule", "host", "dll"} where dll is the loaded module's ImageLoaded.

What the harness supplies, as any Sigma deployment does: the Sysmon processing pipeline (a log
source category becomes its `EventID`), and case-insensitive text columns (Sigma compares strings
case-insensitively; the backend writes `=`, which SQLite compares case-sensitively unless the
column says NOCASE).
"""
import json
import pathlib
import sqlite3
import sys
from collections import defaultdict

import yaml

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import AddConditionTransformation

CATEGORIES = {
    "process_creation": 1,
    "network_connection": 3,
    "image_load": 7,
    "file_event": 11,
    "file_executable_detected": 29,
}


def pipeline():
    return ProcessingPipeline(
        name="sysmon event ids",
        priority=10,
        items=[
            ProcessingItem(
                identifier=f"sysmon_{cat}",
                transformation=AddConditionTransformation({"EventID": eid}),
                rule_conditions=[LogsourceCondition(category=cat, product="windows")],
            )
            for cat, eid in CATEGORIES.items()
        ],
    )


def main():
    rules_dir = pathlib.Path(sys.argv[1])
    texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(rules_dir.glob("*.yml"))}
    queries = []
    for name, text in texts.items():
        doc = yaml.safe_load(text)
        if "correlation" not in doc:
            continue
        # The correlation with the detection rules it names, converted as one collection.
        refs = [texts[r] for r in doc["correlation"]["rules"]]
        collection = SigmaCollection.from_yaml("\n---\n".join(refs + [text]))
        converted = sqliteBackend(pipeline()).convert(collection)
        if len(converted) != 1:
            raise SystemExit(f"{name}: {len(converted)} queries, expected the correlation's one")
        queries.append((doc["name"], converted[0]))
    groups = defaultdict(list)
    columns = set()
    with open(sys.argv[2], encoding="utf-8") as f:
        for line in f:
            doc = json.loads(line)
            groups[doc.pop("_group")].append(doc)
            columns.update(doc)
    columns.discard("EventID")
    columns.discard("timestamp")
    cols = sorted(columns)
    for group, docs in sorted(groups.items()):
        db = sqlite3.connect(":memory:")
        db.execute(
            "CREATE TABLE logs (timestamp TEXT, EventID INTEGER, "
            + ", ".join(f'"{c}" TEXT COLLATE NOCASE' for c in cols)
            + ")"
        )
        db.executemany(
            f"INSERT INTO logs VALUES ({', '.join('?' * (len(cols) + 2))})",
            [[d.get("timestamp"), d.get("EventID")] + [d.get(c) for c in cols] for d in docs],
        )
        for name, q in queries:
            for row in db.execute(q).fetchall():
                ids = json.loads(row[8])
                rowids = [int(str(i).rsplit(":", 1)[-1]) for i in ids]
                for rid in rowids:
                    hit = db.execute(
                        "SELECT Computer, ImageLoaded FROM logs WHERE rowid = ? AND EventID = 7",
                        (rid,),
                    ).fetchone()
                    if hit:
                        print(json.dumps({"group": group, "rule": name, "host": hit[0], "dll": hit[1]}))
        db.close()


if __name__ == "__main__":
    main()
