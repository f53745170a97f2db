"""Parses ES|QL queries with the grammar of Elasticsearch itself (PyPI esql-parser, generated from
Elasticsearch's ANTLR grammar): syntax only, there is no offline ES|QL engine.

usage: esql_check.py MANIFEST.json   (`dllhound export --to esql --format json`)
Prints each syntax error with its rule and line; exits 1 if there is any.
"""
import json
import sys

from antlr4 import CommonTokenStream, InputStream
from antlr4.error.ErrorListener import ErrorListener
from esql_parser.EsqlBaseLexer import EsqlBaseLexer
from esql_parser.EsqlBaseParser import EsqlBaseParser


class Collect(ErrorListener):
    def __init__(self, rule):
        self.rule = rule
        self.errors = []

    def syntaxError(self, recognizer, symbol, line, column, msg, e):
        self.errors.append(f"{self.rule} line {line}:{column}: {msg}")


def main():
    manifest = json.load(open(sys.argv[1], encoding="utf-8"))
    errors = []
    for rule in manifest["rules"]:
        listener = Collect(rule["id"])
        lexer = EsqlBaseLexer(InputStream(rule["query"]))
        lexer.removeErrorListeners()
        lexer.addErrorListener(listener)
        parser = EsqlBaseParser(CommonTokenStream(lexer))
        parser.removeErrorListeners()
        parser.addErrorListener(listener)
        parser.singleStatement()
        errors.extend(listener.errors)
        print(f"{rule['id']}: {len(listener.errors)} syntax errors")
    for e in errors:
        print(e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
