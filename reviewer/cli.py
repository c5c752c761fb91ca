"""Command line: parses arguments, calls the library, prints. Exit codes: 0 ok, 1 error, 3 eval below threshold."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import ReviewerError

EXIT_OK, EXIT_ERROR, EXIT_BELOW_THRESHOLD = 0, 1, 3


def _add_judge_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--judge", default="offline", help="offline (default), llm or cascade")
    p.add_argument("--rules", metavar="DIR", help="rules directory (default: the bundled catalog)")
    p.add_argument("--config", metavar="FILE", help="settings TOML (shipping limits, thresholds, LLM endpoint, prices)")
    p.add_argument("--prompt", metavar="NAME@VERSION", help="prompt for LLM judges, e.g. judge@v1")
    p.add_argument("--model", help="LLM model name (overrides config)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint (overrides config and OPENAI_BASE_URL)")
    p.add_argument("--concurrency", type=int, help="parallel LLM requests")
    p.add_argument("--max-cost", type=float, help="stop cleanly before LLM spending exceeds this")
    p.add_argument("--no-mask", action="store_true", help="send personal data to the LLM unmasked")
    p.add_argument("--cache-dir", help="LLM response cache directory")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the LLM response cache")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="reviewer", description="Audit e-commerce customer-service chats against platform rules.")
    sub = ap.add_subparsers(dest="command", required=True)

    a = sub.add_parser("audit", help="audit a JSONL file of conversations")
    a.add_argument("input", help="conversations, native JSONL")
    a.add_argument("-o", "--output", metavar="FINDINGS.jsonl", help="write one record per conversation")
    a.add_argument("--report", metavar="REPORT.html", help="write a human report (.html or .md)")
    a.add_argument("--summary-json", metavar="FILE", help="write the run summary as JSON")
    a.add_argument("--on-error", choices=["fail", "skip"], default="fail",
                   help="bad records: fail (default) or skip to the rejects file")
    a.add_argument("--rejects", metavar="FILE", help="rejects file for --on-error skip (default: OUTPUT.rejects.jsonl)")
    a.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: when stderr is a terminal)")
    _add_judge_options(a)

    e = sub.add_parser("eval", help="score the pipeline against a labeled dataset")
    e.add_argument("dataset")
    e.add_argument("--json", metavar="METRICS.json", help="write metrics JSON")
    e.add_argument("--report", metavar="EVAL.html", help="write an HTML report")
    e.add_argument("--findings", metavar="FILE", help="also write the audit records")
    e.add_argument("--min-f1", type=float, help="exit 3 when micro F1 is below this")
    e.add_argument("--thresholds", metavar="FILE", help="TOML with micro/macro and per-rule minimum F1")
    e.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for CIs (default 1000)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--unknown-rules", choices=["error", "ignore"], default="error",
                   help="labels of rules not in the catalog: error (default) or ignore and count them")
    _add_judge_options(e)

    c = sub.add_parser("compare", help="compare two configurations on the same labeled dataset")
    c.add_argument("dataset")
    c.add_argument("--a", required=True, metavar="SPEC",
                   help="key=value,... with keys judge, rules, config, prompt, model, base_url, concurrency, "
                        "max_cost, cache_dir, mask, cache, name; e.g. judge=offline or judge=offline,rules=DIR")
    c.add_argument("--b", required=True, metavar="SPEC", help="the other configuration, same form as --a")
    c.add_argument("--json", metavar="COMPARE.json")
    c.add_argument("--report", metavar="COMPARE.html")
    c.add_argument("--bootstrap", type=int, default=1000)
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--config", metavar="FILE", help="settings TOML for both sides (a SPEC may set config=FILE)")
    c.add_argument("--unknown-rules", choices=["error", "ignore"], default="error",
                   help="labels of rules in neither catalog: error (default) or ignore and count them")

    i = sub.add_parser("import", help="convert a real chat export to native JSONL")
    i.add_argument("format", help="jddc, stc3, ecd or uss")
    i.add_argument("input")
    i.add_argument("-o", "--output", required=True, metavar="OUT.jsonl")
    i.add_argument("--limit", type=int, help="stop after this many conversations")

    r = sub.add_parser("rules", help="list, check or test the rule catalog")
    r.add_argument("action", choices=["list", "check", "test"])
    r.add_argument("--rules", metavar="DIR")
    r.add_argument("--rule", help="only this rule id (test)")
    r.add_argument("-v", "--verbose", action="store_true")
    return ap


def judge_options(args: argparse.Namespace) -> dict[str, Any]:
    """Options for make_judge from the command line (None means 'use config')."""
    keys = ["prompt", "model", "base_url", "concurrency", "max_cost", "cache_dir"]
    opts = {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}
    if getattr(args, "no_mask", False):
        opts["mask"] = False
    if getattr(args, "no_cache", False):
        opts["cache"] = False
    return opts


def cmd_audit(args: argparse.Namespace) -> int:
    from .audit import Auditor, audit_file
    from .config import load_settings
    from .judge import make_judge
    from .rules import load_catalog

    settings = load_settings(args.config)
    catalog = load_catalog(args.rules)
    judge = make_judge(args.judge, settings=settings, **judge_options(args))
    auditor = Auditor(catalog, judge, settings)
    records: list[Any] | None = [] if args.report else None
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(args.output, "w", encoding="utf-8")) if args.output else None
        rej_path = args.rejects or (f"{args.output}.rejects.jsonl" if args.output else "rejects.jsonl")
        rejects = stack.enter_context(open(rej_path, "w", encoding="utf-8")) if args.on_error == "skip" else None
        try:
            summary = audit_file(args.input, auditor, out, args.on_error, rejects, args.progress, records)
        finally:
            judge.close()
    if args.report and records is not None:
        from .report import write_audit_report

        write_audit_report(args.report, records, summary, catalog, input_path=args.input)
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps(summary.to_json(), ensure_ascii=False, indent=2), encoding="utf-8")
    from .report import format_summary

    print(format_summary(summary, catalog))
    if args.on_error == "skip" and summary.rejected:
        print(f"rejected records written to {rej_path}", file=sys.stderr)
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from .judge import make_judge
    from .rulecheck import check_catalog, run_rule_tests
    from .rules import load_catalog

    catalog = load_catalog(args.rules)
    if args.action == "list":
        print(f"{'id':36} {'severity':8} {'points':>6}  title")
        for r in catalog:
            per = "/order" if r.points_per == "order" else ""
            print(f"{r.id:36} {r.severity:8} {r.points:>6g}{per:6}  {r.title}")
        print(f"{len(catalog)} rules, catalog {catalog.version}")
        return EXIT_OK
    if args.action == "check":
        problems = check_catalog(catalog)
        for p in problems:
            print(f"problem: {p}")
        print(f"{len(catalog)} rules from {len(catalog.files)} files, catalog {catalog.version}: "
              + ("OK" if not problems else f"{len(problems)} problems"))
        return EXIT_OK if not problems else EXIT_ERROR
    results = run_rule_tests(catalog, make_judge("offline"), args.rule)
    failed = [r for r in results if not r.ok]
    per_rule: dict[str, list[int]] = {}
    for r in results:
        per_rule.setdefault(r.rule, [0, 0])[0 if r.ok else 1] += 1
    for rid, (ok, bad) in per_rule.items():
        print(f"{'ok  ' if not bad else 'FAIL'} {rid:36} {ok} passed, {bad} failed")
    for r in failed:
        print(f"\nFAIL {r.rule} test {r.n}: expected {r.expect}, got {r.got}\n  chat: {r.chat}\n  judge: {r.detail}")
    if args.verbose:
        for r in results:
            if r.ok:
                print(f"ok {r.rule}#{r.n} {r.expect}: {r.detail}")
    print(f"rules test: {len(results) - len(failed)} passed, {len(failed)} failed")
    return EXIT_OK if not failed else EXIT_ERROR


def cmd_import(args: argparse.Namespace) -> int:
    from . import importers  # noqa: F401  (registers the importers)
    from .errors import ConfigError
    from .ingest import IMPORTERS

    if args.format not in IMPORTERS:
        raise ConfigError(f"unknown import format {args.format!r}: choose one of {', '.join(sorted(IMPORTERS))}")
    n = 0
    with open(args.output, "w", encoding="utf-8") as out:
        for conv in IMPORTERS[args.format](Path(args.input)):
            out.write(conv.model_dump_json(exclude_none=True, exclude_defaults=True) + "\n")
            n += 1
            if args.limit and n >= args.limit:
                break
    print(f"imported {n} conversations from {args.input} ({args.format}) to {args.output}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "audit":
            return cmd_audit(args)
        if args.command == "rules":
            return cmd_rules(args)
        if args.command == "import":
            return cmd_import(args)
        if args.command == "eval":
            from .evaluate import cmd_eval

            return cmd_eval(args)
        if args.command == "compare":
            from .evaluate import cmd_compare

            return cmd_compare(args)
    except ReviewerError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
