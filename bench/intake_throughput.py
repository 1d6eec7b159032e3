#!/usr/bin/env python3
"""Intake throughput: Postfix's smtp-source sends ~100 KB PDF messages over 10 sessions to (a) collecte's SMTP
listener, with durable storage (fsynced file + committed row before 250), and (b) Postfix's smtp-sink, the
protocol-only baseline that discards everything, in the same run. Goal: ours >= 0.5 x smtp-sink.

A measurement: exits 0 whether or not the goal is met (PASS/FAIL is printed); --strict exits 1 on FAIL.
Exits 2 when the benchmark cannot run (e.g. smtp-source cannot be made to work).

    .venv/bin/python bench/intake_throughput.py [--messages 1000] [--sessions 10]
"""
import argparse
import statistics
import sys

import _harness as h

GOAL_RATIO = 0.5


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000, help="messages per run (same N for both targets)")
    parser.add_argument("--sessions", type=int, default=10, help="parallel SMTP sessions (smtp-source -s)")
    parser.add_argument("--pdf-bytes", type=int, default=100_000, help="size of the attached PDF")
    parser.add_argument("--sink-runs", type=int, default=3, help="smtp-sink runs; the median is used")
    parser.add_argument("--drain-timeout", type=float, default=90, help="seconds to wait for the worker afterwards")
    h.add_common_arguments(parser)
    return h.run_main(parser, run)


def run(args):
    tools = h.PostfixTools.prepare()
    h.log(f"smtp-source: {tools.source}")
    with h.Instance("throughput", keep=args.keep) as inst:
        from collecte.intake.models import Document, InboundMessage

        pdf = h.make_pdf("FA-THROUGHPUT-0001", args.pdf_bytes)
        # No Message-ID: smtp-source sends this same file N times, and the pipeline would de-duplicate identical
        # Message-IDs (cheap 'already_received'); without one, each copy is processed like a distinct message.
        raw = h.make_message(inst.address, pdf, "Facture FA-THROUGHPUT-0001", linesep="\n")
        message_file = inst.dir / "message.eml"
        message_file.write_bytes(raw)
        wire_bytes = len(raw) + raw.count(b"\n")  # smtp-source sends every line with CRLF
        h.log(f"instance: {inst.describe()}; message {wire_bytes} bytes (PDF {len(pdf)} bytes)")

        inst.start_smtpd()
        inst.start_worker()

        # (b) the protocol-only baseline
        sink_port = h.free_port()
        sink = tools.start_sink(sink_port)
        sink_runs = []
        try:
            for i in range(args.sink_runs):
                seconds, sent, stderr, code = tools.run_source(message_file, args.messages, args.sessions,
                                                               inst.address, sink_port)
                if code != 0 or sent != args.messages:
                    raise h.BenchError(f"smtp-source against smtp-sink: exit {code}, {sent} sent: {stderr[-1500:]}")
                sink_runs.append(seconds)
                h.log(f"smtp-sink run {i + 1}: {args.messages} messages in {seconds:.2f} s")
        finally:
            h.stop_process(sink)
        sink_seconds = statistics.median(sink_runs)

        # (a) our listener: a short warm-up (imports, DB connections), then the measured run
        warm = 20
        _, warm_sent, stderr, code = tools.run_source(message_file, warm, min(args.sessions, warm), inst.address,
                                                      inst.smtp_port)
        if code != 0 or warm_sent != warm:
            raise h.BenchError(f"warm-up against collecte smtpd: exit {code}, {warm_sent} sent: {stderr[-1500:]}\n"
                               f"{inst.log_tail('smtpd.log')}")
        ours_seconds, ours_sent, ours_stderr, ours_code = tools.run_source(
            message_file, args.messages, args.sessions, inst.address, inst.smtp_port)
        h.log(f"collecte smtpd: {ours_sent} messages in {ours_seconds:.2f} s (exit {ours_code})")
        warnings = [line for line in ours_stderr.splitlines() if line.strip()]

        rows = InboundMessage.objects.count()
        expected_rows = warm_sent + ours_sent

        drained = h.wait_until_processed(args.drain_timeout, stall=30, expected=expected_rows)
        by_status = dict(_status_counts(InboundMessage))
        documents = Document.objects.count()

    sink_rate = args.messages / sink_seconds
    ours_rate = ours_sent / ours_seconds if ours_seconds else 0.0
    ratio = ours_rate / sink_rate if sink_rate else 0.0
    rows_ok = rows == expected_rows
    passed = ratio >= GOAL_RATIO and ours_code == 0 and ours_sent == args.messages and rows_ok
    waiting = by_status.get("received", 0)
    processed = sum(by_status.values()) - waiting
    h.print_table(f"intake_throughput ({inst.engine})", [
        ("database", inst.engine),
        ("message size", f"{wire_bytes} bytes on the wire (PDF {len(pdf)} bytes, base64-encoded)"),
        ("messages per run / sessions", f"{args.messages} / {args.sessions}"),
        ("", None),
        ("smtp-sink (baseline)", f"{sink_rate:8.1f} msg/s  ({sink_seconds:.2f} s, median of {args.sink_runs})"),
        ("collecte smtpd (durable)", f"{ours_rate:8.1f} msg/s  ({ours_seconds:.2f} s)"),
        ("ratio collecte / smtp-sink", f"{ratio:.3f}"),
        ("goal", f"ratio >= {GOAL_RATIO}"),
        ("result", "PASS" if passed else "FAIL"),
        ("", None),
        ("smtp-source sent (measured + warm-up)", f"{ours_sent} + {warm_sent}"),
        ("InboundMessage rows", f"{rows} ({'matches' if rows_ok else 'MISMATCH, expected ' + str(expected_rows)})"),
        ("smtp-source warnings", f"{len(warnings)}" + (f" (first: {warnings[0][:120]})" if warnings else "")),
        ("worker afterwards", f"{processed}/{rows} processed {drained:.1f} s after the run, "
                              f"{waiting} still waiting; statuses {by_status}; {documents} documents"),
    ])
    print("Note: a measurement; this script exits 0 whether the goal is met or not (--strict: exit 1 on FAIL).")
    h.print_json({"bench": "intake_throughput", "database": inst.engine, "messages": args.messages,
                  "sessions": args.sessions, "message_bytes": wire_bytes, "sink_msgs_per_s": round(sink_rate, 1),
                  "collecte_msgs_per_s": round(ours_rate, 1), "ratio": round(ratio, 3), "goal_ratio": GOAL_RATIO,
                  "sent": ours_sent, "rows": rows, "expected_rows": expected_rows, "rows_match": rows_ok,
                  "processed_after_run": processed, "result": "PASS" if passed else "FAIL"})
    return 1 if (args.strict and not passed) else 0


def _status_counts(model):
    from django.db.models import Count

    return model.objects.values_list("status").annotate(n=Count("pk")).order_by("status")


if __name__ == "__main__":
    sys.exit(main())
