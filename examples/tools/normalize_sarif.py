#!/usr/bin/env python3
"""Make a scanner's SARIF file relative to the scanned tree and repeatable.

Usage: normalize_sarif.py --root DIR [--sort] [--forbid TEXT ...] FILE...

Each FILE is rewritten in place:
  * every "uri" that is a file:// URI or an absolute path under --root becomes
    a path relative to --root ("app/db.py"); a leading "./" is dropped;
  * run timestamps (startTimeUtc, endTimeUtc) and workingDirectory are removed
    from invocations;
  * the root directory is replaced by "." in invocation command lines and
    arguments;
  * with --sort (for scanners whose output order changes from run to run, as
    Checkov's does: it runs checks in parallel), results are sorted by
    location and rule, rules by id, and every ruleIndex is renumbered.
Everything else is kept as the scanner wrote it (same keys, same order); the
file is re-indented with two spaces. The script fails if the root directory or
any --forbid text is still found in the output, so that no machine-specific
path leaks into the committed reports.

Standard library only.
"""

import argparse
import json
import os
import sys
from urllib.parse import unquote, urlsplit

TIMESTAMP_KEYS = ("startTimeUtc", "endTimeUtc")


def relativize(uri, root):
    """Return uri as a path relative to root when it points inside root."""
    path = None
    if uri.startswith("file:"):
        parts = urlsplit(uri)
        path = unquote(parts.path)
    elif os.path.isabs(uri):
        path = uri
    if path is not None:
        path = os.path.normpath(path)
        if path == root:
            return "."
        if path.startswith(root + os.sep):
            return path[len(root) + 1:]
        return uri
    while uri.startswith("./"):
        uri = uri[2:]
    return uri


def walk(node, root):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "uri" and isinstance(value, str):
                node[key] = relativize(value, root)
            else:
                walk(value, root)
    elif isinstance(node, list):
        for item in node:
            walk(item, root)


def scrub_invocation(invocation, root):
    for key in TIMESTAMP_KEYS:
        invocation.pop(key, None)
    invocation.pop("workingDirectory", None)
    if isinstance(invocation.get("commandLine"), str):
        invocation["commandLine"] = invocation["commandLine"].replace(root, ".")
    if isinstance(invocation.get("arguments"), list):
        invocation["arguments"] = [
            a.replace(root, ".") if isinstance(a, str) else a
            for a in invocation["arguments"]
        ]


def result_key(result):
    location = {}
    if result.get("locations"):
        location = result["locations"][0].get("physicalLocation", {})
    region = location.get("region", {})
    return (
        location.get("artifactLocation", {}).get("uri", ""),
        region.get("startLine", 0),
        region.get("startColumn", 0),
        region.get("endLine", 0),
        region.get("endColumn", 0),
        result.get("ruleId", ""),
        result.get("message", {}).get("text", ""),
        json.dumps(result, sort_keys=True),
    )


def sort_run(run):
    driver = run.get("tool", {}).get("driver", {})
    rules = driver.get("rules")
    if rules:
        ids = [rule.get("id") for rule in rules]
        if len(set(ids)) != len(ids):
            raise SystemExit("normalize_sarif: duplicate rule ids, cannot sort rules")
        driver["rules"] = sorted(rules, key=lambda rule: rule["id"])
        new_index = {rule["id"]: i for i, rule in enumerate(driver["rules"])}
        for result in run.get("results", []):
            if "ruleIndex" in result:
                result["ruleIndex"] = new_index[result["ruleId"]]
    if run.get("results"):
        run["results"] = sorted(run["results"], key=result_key)


def normalize(doc, root, sort=False):
    for run in doc.get("runs", []):
        for invocation in run.get("invocations", []) or []:
            scrub_invocation(invocation, root)
        walk(run, root)
        if sort:
            sort_run(run)
    return doc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="the scanned directory")
    parser.add_argument("--forbid", action="append", default=[],
                        help="text that must not remain in the output")
    parser.add_argument("--sort", action="store_true",
                        help="sort results and rules into a stable order")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    root = os.path.normpath(os.path.realpath(args.root))
    forbidden = [root] + [os.path.normpath(f) for f in args.forbid if f]
    status = 0
    for name in args.files:
        with open(name, encoding="utf-8") as fh:
            doc = json.load(fh)
        normalize(doc, root, sort=args.sort)
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        for bad in forbidden:
            if bad in text:
                print(f"normalize_sarif: {name} still contains {bad!r}", file=sys.stderr)
                status = 1
        with open(name, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
