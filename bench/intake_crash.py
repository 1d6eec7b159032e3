#!/usr/bin/env python3
"""Intake crash safety: while a client sends 1,000 messages (smtplib, a few threads, a new connection per message,
retrying on 4xx and connection errors like a real MTA), `kill -9` the SMTP listener or the worker at random moments
(every 2-5 s one of them) and restart it. Afterwards every message that got a 250 must exist exactly once as an
InboundMessage (raw stored, Message-ID parsed) with its documents. Goal: 0 lost, 0 duplicated.

A message whose 250 was lost with the connection (the listener killed after its commit, before the reply reached
the client) is legitimately delivered twice: the client retries, and the pipeline's Message-ID de-duplication
turns the second copy into 'already_received'. "duplicated" counts Message-IDs with more than one copy NOT in
'already_received'; the already_received count is reported beside it.

After the sending, the worker gets time to finish; messages still 'received' then (their job was lost with a
killed worker) would be requeued by the sweeper only 10 minutes later, or when a worker or listener starts (collecte/intake/tasks.py SWEEP_AFTER), so to
keep the run short the benchmark processes them at once with `collecte shell -c` (the pipeline's
process_message, which is what the sweeper's job runs) and reports how many needed that.

A measurement: exits 0 whether or not the goal is met (PASS/FAIL is printed); --strict exits 1 on FAIL.
Exits 2 when the benchmark cannot run.

    .venv/bin/python bench/intake_crash.py [--messages 1000] [--threads 4] [--rate 15]
"""
import argparse
import random
import smtplib
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict

import _harness as h

HUEY_ARGS = ["--delay", "0.05", "--max-delay", "0.5"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4, help="sending threads")
    parser.add_argument("--rate", type=float, default=15,
                        help="overall sending pace in messages/s (0: as fast as possible); paced so that the "
                             "sending lasts long enough for many kills")
    parser.add_argument("--kill-every", type=float, nargs=2, default=(2.0, 5.0), metavar=("MIN", "MAX"),
                        help="seconds between kills, drawn uniformly")
    parser.add_argument("--pdf-bytes", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--max-seconds", type=float, default=200, help="stop sending after this long")
    h.add_common_arguments(parser)
    return h.run_main(parser, run)


class Client:
    """Sending threads that behave like an MTA's queue: retry on 4xx and on connection trouble, give up on 5xx."""

    MAX_ATTEMPTS = 100

    def __init__(self, port, address, messages, threads, rate):
        self.port, self.address, self.threads, self.rate = port, address, threads, rate
        self.todo = list(messages)
        self.lock = threading.Lock()
        self.acked = {}  # message-id -> attempts it took
        self.rejected = {}  # message-id -> 5xx reply
        self.gave_up = []
        self.attempts = 0
        self.errors = Counter()
        self.start = None
        self.issued = 0
        self.abort = threading.Event()  # set when the benchmark itself broke (a restart failed) or ran too long

    def run(self):
        self.start = time.monotonic()
        workers = [threading.Thread(target=self._work, daemon=True) for _ in range(self.threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    def _next(self):
        with self.lock:
            if not self.todo or self.abort.is_set():
                return None
            item = self.todo.pop(0)
            due = self.start + self.issued / self.rate if self.rate else 0
            self.issued += 1
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return item

    def _work(self):
        while (item := self._next()) is not None:
            self._deliver(*item)

    def _deliver(self, message_id, raw):
        for attempt in range(1, self.MAX_ATTEMPTS + 1):
            if self.abort.is_set():
                return
            with self.lock:
                self.attempts += 1
            smtp = None
            try:
                smtp = smtplib.SMTP("127.0.0.1", self.port, timeout=20)
                smtp.sendmail("factures@fournisseur.example", [self.address], raw)
                with self.lock:
                    self.acked[message_id] = attempt
                _quit(smtp)
                return
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply = next(iter(exc.recipients.values()))
                if self._permanent(message_id, code, reply):
                    return
            except smtplib.SMTPResponseException as exc:  # MAIL or DATA refused
                if self._permanent(message_id, exc.smtp_code, exc.smtp_error):
                    return
            except (smtplib.SMTPException, OSError) as exc:  # refused, reset, dropped mid-transaction
                self._count(type(exc).__name__)
            finally:
                if smtp is not None:
                    smtp.close()
            time.sleep(min(1.0, 0.1 * attempt) * random.uniform(0.5, 1.5))
        with self.lock:
            self.gave_up.append(message_id)

    def _permanent(self, message_id, code, reply):
        if 500 <= code < 600:
            with self.lock:
                self.rejected[message_id] = f"{code} {reply!r}"
            return True
        self._count(f"{code}")
        return False

    def _count(self, kind):
        with self.lock:
            self.errors[kind] += 1


def _quit(smtp):
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):  # the 250 is what counts; the listener may be gone by now
        pass


class Killer(threading.Thread):
    """Every few seconds, kill -9 the listener or the worker, and start it again."""

    def __init__(self, inst, every, rng, client):
        super().__init__(daemon=True)
        self.inst, self.every, self.rng, self.client = inst, every, rng, client
        self.stop = threading.Event()
        self.kills = Counter()
        self.failure = None

    def run(self):
        try:
            while not self.stop.wait(self.rng.uniform(*self.every)):
                which = self.rng.choice(["smtpd", "worker"])
                if which == "smtpd":
                    self.inst.kill(self.inst.smtpd)
                    time.sleep(self.rng.uniform(0, 0.5))
                    self.inst.start_smtpd()
                else:
                    self.inst.kill(self.inst.worker)
                    time.sleep(self.rng.uniform(0, 0.5))
                    self.inst.start_worker()
                self.kills[which] += 1
        except Exception as exc:  # a restart failed: report it rather than hang the client
            self.failure = exc
            self.client.abort.set()


def run(args):
    rng = random.Random(args.seed)
    with h.Instance("crash", huey_args=HUEY_ARGS, keep=args.keep) as inst:
        from django.db import close_old_connections

        from collecte.intake.models import Document, InboundMessage

        run_id = uuid.uuid4().hex[:8]
        messages = []
        for i in range(args.messages):
            message_id = f"crash-{run_id}-{i:05d}@bench.collecte.example"
            pdf = h.make_pdf(f"FA-{run_id}-{i:05d}", args.pdf_bytes)
            messages.append((message_id, h.make_message(inst.address, pdf, f"Facture FA-{run_id}-{i:05d}",
                                                        message_id=f"<{message_id}>")))
        h.log(f"instance: {inst.describe()}; {len(messages)} messages of ~{len(messages[0][1])} bytes, "
              f"{args.threads} threads at {args.rate or 'max'} msg/s; kill every {args.kill_every[0]:g}-"
              f"{args.kill_every[1]:g} s")
        inst.start_smtpd()
        inst.start_worker()

        client = Client(inst.smtp_port, inst.address, messages, args.threads, args.rate)
        killer = Killer(inst, args.kill_every, rng, client)
        began = time.monotonic()
        killer.start()
        deadline = threading.Timer(args.max_seconds, client.abort.set)
        deadline.daemon = True
        deadline.start()
        client.run()
        deadline.cancel()
        killer.stop.set()
        killer.join(120)
        send_seconds = time.monotonic() - began
        if killer.failure:
            raise h.BenchError(f"restarting after a kill failed: {killer.failure}")
        h.log(f"sent: {len(client.acked)} acknowledged in {send_seconds:.1f} s, {client.attempts} attempts, "
              f"kills {dict(killer.kills)}")
        for process, start in ((inst.smtpd, inst.start_smtpd), (inst.worker, inst.start_worker)):
            if process.poll() is not None:
                start()

        # Let the worker finish what it can, then run the jobs that killed workers lost (the sweeper's work).
        drained = h.wait_until_processed(120, stall=20)
        close_old_connections()
        waiting = list(InboundMessage.objects.filter(status=InboundMessage.Status.RECEIVED)
                       .values_list("pk", flat=True))
        h.log(f"worker finished after {drained:.1f} s; {len(waiting)} messages still 'received' (lost jobs)")
        if waiting:
            h.stop_process(inst.worker)
            inst.collecte("shell", "-c", (
                "from collecte.intake.models import InboundMessage as M\n"
                "from collecte.intake.pipeline import process_message\n"
                "for pk in M.objects.filter(status='received').values_list('pk', flat=True):\n"
                "    process_message(pk)\n"), timeout=300)
        close_old_connections()
        result = verify(inst, client, InboundMessage, Document)
        worker_tracebacks = inst.count_in_log("worker.log", "Traceback")
        smtpd_tracebacks = inst.count_in_log("smtpd.log", "Traceback")

    kills = sum(killer.kills.values())
    passed = result["lost"] == 0 and result["duplicated"] == 0 and result["unprocessed"] == 0 and kills > 0
    h.print_table(f"intake_crash ({inst.engine})", [
        ("database", inst.engine),
        ("sending", f"{send_seconds:.1f} s, {args.threads} threads, paced at {args.rate or 'max'} msg/s"),
        ("", None),
        ("sent (messages)", args.messages),
        ("acknowledged (250)", len(client.acked)),
        ("rejected (5xx) / gave up / not sent (time)",
         f"{len(client.rejected)} / {len(client.gave_up)} / "
         f"{args.messages - len(client.acked) - len(client.rejected) - len(client.gave_up)}"),
        ("SMTP attempts (incl. retries)", f"{client.attempts}  errors seen: {dict(client.errors)}"),
        ("kills (kill -9)", f"{kills}  {dict(killer.kills)}"),
        ("", None),
        ("lost", result["lost"]),
        ("duplicated", result["duplicated"]),
        ("unprocessed (no documents)", result["unprocessed"]),
        ("already_received (resent, de-duplicated)", result["already_received"]),
        ("raw missing or altered", result["raw_bad"]),
        ("Message-ID not parsed on the kept copy", result["no_message_id"]),
        ("stored but never acknowledged", result["unacked_stored"]),
        ("jobs lost with a killed worker (run at the end)", len(waiting)),
        ("orphan raw files (stored, row never committed)", result["orphans"]),
        ("final statuses", str(result["statuses"])),
        ("tracebacks in logs (worker / smtpd)", f"{worker_tracebacks} / {smtpd_tracebacks}"),
        ("goal", "0 lost, 0 duplicated (and every acknowledged message with documents)"),
        ("result", "PASS" if passed else "FAIL"),
    ])
    for label, examples in result["examples"].items():
        if examples:
            print(f"  e.g. {label}: {examples[:3]}")
    print("Messages left 'received' by killed workers were processed with `collecte shell -c` (pipeline."
          "process_message), standing in for the sweeper that requeues them after 2 minutes.\n"
          "Note: a measurement; this script exits 0 whether the goal is met or not (--strict: exit 1 on FAIL).")
    h.print_json({"bench": "intake_crash", "database": inst.engine, "sent": args.messages,
                  "acknowledged": len(client.acked), "kills": kills, "kills_smtpd": killer.kills["smtpd"],
                  "kills_worker": killer.kills["worker"], "lost": result["lost"],
                  "duplicated": result["duplicated"], "unprocessed": result["unprocessed"],
                  "already_received": result["already_received"], "raw_bad": result["raw_bad"],
                  "jobs_run_at_end": len(waiting), "attempts": client.attempts,
                  "result": "PASS" if passed else "FAIL"})
    return 1 if (args.strict and not passed) else 0


def verify(inst, client, InboundMessage, Document):
    Status = InboundMessage.Status
    rows = list(InboundMessage.objects.values("pk", "message_id", "status", "raw", "raw_sha256", "raw_size"))
    docs = Counter(Document.objects.values_list("message_id", flat=True))
    by_id = defaultdict(list)
    raw_bad, referenced = [], set()
    for row in rows:
        path = inst.raw_path(row["raw"])
        referenced.add(str(path))
        message_id = h.normalise_message_id(row["message_id"])
        if not path.exists() or h.sha256_file(path) != row["raw_sha256"]:
            raw_bad.append(row["pk"])
        elif not message_id:  # not processed: read the Message-ID from the stored raw bytes
            message_id = h.header_message_id(path.read_bytes())
        row["parsed_id"] = h.normalise_message_id(row["message_id"])
        by_id[message_id].append(row)
    lost, duplicated, unprocessed, no_message_id = [], [], [], []
    for message_id in client.acked:
        copies = by_id.get(message_id, [])
        kept = [r for r in copies if r["status"] != Status.ALREADY_RECEIVED]
        if not copies:
            lost.append(message_id)
            continue
        if len(kept) > 1:
            duplicated.append(message_id)
        if not kept or kept[0]["status"] != Status.DOCUMENTS or not docs.get(kept[0]["pk"]):
            unprocessed.append((message_id, [(r["pk"], r["status"]) for r in copies]))
        if kept and kept[0]["parsed_id"] != message_id:
            no_message_id.append(message_id)
    acked = set(client.acked)
    unacked_stored = sum(1 for message_id in by_id if message_id not in acked)
    files_root = inst.raw_path("inbound")
    stored = {str(p) for p in files_root.rglob("*.eml")} if files_root.exists() else set()
    return {"lost": len(lost), "duplicated": len(duplicated), "unprocessed": len(unprocessed),
            "already_received": sum(1 for r in rows if r["status"] == Status.ALREADY_RECEIVED),
            "raw_bad": len(raw_bad), "no_message_id": len(no_message_id), "unacked_stored": unacked_stored,
            "orphans": len(stored - referenced), "statuses": dict(Counter(r["status"] for r in rows)),
            "examples": {"lost": lost, "duplicated": duplicated, "unprocessed": unprocessed,
                         "raw missing/altered (pk)": raw_bad}}


if __name__ == "__main__":
    sys.exit(main())
