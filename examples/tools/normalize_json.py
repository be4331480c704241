#!/usr/bin/env python3
"""Make a scanner's native JSON report relative to the scanned tree and repeatable.

Usage: normalize_json.py --root DIR --tool TOOL [--forbid TEXT ...] FILE...

TOOL is one of bandit, semgrep, checkov, detect-secrets, pip-audit, npm-audit.
Each FILE is rewritten in place:
  * every string (value or key) that is an absolute path under --root becomes
    a path relative to --root ("app/db.py"; Checkov's file_abs_path and
    definition_context_file_path);
  * bandit: the run timestamp (generated_at) is removed and the leading "./"
    of file names (results, errors, metrics) is dropped;
  * semgrep: the timing and memory profile ("time") is removed and a leading
    "./" of paths is dropped;
  * checkov: the reports (one per framework) are sorted by check type, and the
    checks inside each by file, lines, check id and resource: Checkov runs its
    checks in parallel and lists them in a different order on every run; each
    check's evaluated_keys (built from a set, so in a random order) is sorted;
  * detect-secrets: the run timestamp (generated_at) is removed;
  * pip-audit, npm-audit: nothing but the generic rules.
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

TOOLS = ("bandit", "semgrep", "checkov", "detect-secrets", "pip-audit", "npm-audit")


def relativize(text, root):
    """Return text as a path relative to root when it is an absolute path inside root."""
    if not os.path.isabs(text):
        return text
    path = os.path.normpath(text)
    if path == root:
        return "."
    if path.startswith(root + os.sep):
        return path[len(root) + 1:]
    return text


def walk(node, root):
    if isinstance(node, dict):
        items = list(node.items())
        node.clear()
        for key, value in items:
            node[relativize(key, root)] = walk(value, root)
        return node
    if isinstance(node, list):
        return [walk(item, root) for item in node]
    if isinstance(node, str):
        return relativize(node, root)
    return node


def strip_dot(path):
    while isinstance(path, str) and path.startswith("./"):
        path = path[2:]
    return path


def fix_bandit(doc):
    doc.pop("generated_at", None)
    for key in ("results", "errors"):
        for item in doc.get(key, []):
            if "filename" in item:
                item["filename"] = strip_dot(item["filename"])
    if isinstance(doc.get("metrics"), dict):
        doc["metrics"] = {strip_dot(k): v for k, v in doc["metrics"].items()}
    return doc


def fix_semgrep(doc):
    doc.pop("time", None)
    for key in ("results", "errors"):
        for item in doc.get(key, []):
            if "path" in item:
                item["path"] = strip_dot(item["path"])
    paths = doc.get("paths", {})
    for key, value in paths.items():
        if isinstance(value, list):
            paths[key] = [strip_dot(p) for p in value]
    return doc


def check_key(check):
    return (
        check.get("repo_file_path") or check.get("file_path") or "",
        check.get("file_line_range") or [],
        check.get("check_id") or "",
        check.get("resource") or "",
        json.dumps(check, sort_keys=True),
    )


def fix_checkov(doc):
    # One framework gives a report object, several give a list of them.
    reports = doc if isinstance(doc, list) else [doc]
    for report in reports:
        results = report.get("results", {})
        for key, value in results.items():
            if isinstance(value, list) and all(isinstance(v, dict) for v in value):
                for check in value:
                    result = check.get("check_result")
                    if isinstance(result, dict) and isinstance(result.get("evaluated_keys"), list):
                        result["evaluated_keys"] = sorted(result["evaluated_keys"])
                results[key] = sorted(value, key=check_key)
    if isinstance(doc, list):
        doc = sorted(doc, key=lambda report: report.get("check_type", ""))
    return doc


def fix_detect_secrets(doc):
    doc.pop("generated_at", None)
    return doc


FIXES = {
    "bandit": fix_bandit,
    "semgrep": fix_semgrep,
    "checkov": fix_checkov,
    "detect-secrets": fix_detect_secrets,
    "pip-audit": lambda doc: doc,
    "npm-audit": lambda doc: doc,
}


def normalize(doc, root, tool):
    return FIXES[tool](walk(doc, root))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", required=True, help="the scanned directory")
    parser.add_argument("--tool", required=True, choices=TOOLS)
    parser.add_argument("--forbid", action="append", default=[],
                        help="text that must not remain in the output")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    root = os.path.normpath(os.path.realpath(args.root))
    forbidden = [root] + [os.path.normpath(f) for f in args.forbid if f]
    status = 0
    for name in args.files:
        with open(name, encoding="utf-8") as fh:
            doc = json.load(fh)
        doc = normalize(doc, root, args.tool)
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        for bad in forbidden:
            if bad in text:
                print(f"normalize_json: {name} still contains {bad!r}", file=sys.stderr)
                status = 1
        with open(name, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
