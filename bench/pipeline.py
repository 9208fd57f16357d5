"""Benchmarks 2 and 3: processing queued claims, then delivering their emails.

2. processing: N submitted claims to awaiting_approval through the `process-claims` flow
   (batches), against the naive design, one flow run per claim (`process-one-claim` below,
   the same service work for one claim). The naive side runs a sample and is extrapolated.
3. email delivery: the outbox those N claims filled (received + approval emails), drained by
   the `deliver-outbox` flow into an aiosmtpd sink in its own process, against raw aiosmtplib
   sending the same number of pre-rendered messages to the same sink over one connection.

Each side runs in a process of its own (`python -m bench.pipeline SIDE ...`) against the one
Prefect API server of the benchmark run, so its peak RSS is its own.
"""
from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

from bench.common import (
    PYTHON,
    ROOT,
    PrefectServer,
    Row,
    base_env,
    copy_db,
    free_port,
    popen,
    run_json,
    self_peak_mb,
    stop,
)


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as c:
        return c.execute(sql).fetchone()[0]


# --- sides (each in its own process) -----------------------------------------------------

def side_seed(claims: int) -> dict:
    from bench.common import seed_people, seed_submitted
    from involve.migrate import upgrade

    t = time.perf_counter()
    upgrade()
    seed_people()
    seed_submitted(claims)
    return {"seconds": time.perf_counter() - t}


def side_batched() -> dict:
    from flows.claims import process_claims

    t = time.perf_counter()
    done = asyncio.run(process_claims())
    return {"claims": done, "seconds": time.perf_counter() - t, "peak_mb": self_peak_mb()}


def side_naive(sample: int) -> dict:
    from prefect import flow, task

    from involve.services import processing

    @task(name="process-one-claim-task", retries=2, retry_delay_seconds=[1, 5], persist_result=False)
    async def one_task() -> int:
        return len(await asyncio.to_thread(processing.process_batch, limit=1))

    @flow(name="process-one-claim", persist_result=False)
    async def process_one_claim() -> int:
        return await one_task()

    async def main() -> int:
        return sum([await process_one_claim() for _ in range(sample)])

    t = time.perf_counter()
    done = asyncio.run(main())
    return {"claims": done, "seconds": time.perf_counter() - t, "peak_mb": self_peak_mb()}


def side_deliver() -> dict:
    from flows.outbox import deliver_outbox

    t = time.perf_counter()
    res = asyncio.run(deliver_outbox())
    return {"sent": res["sent"], "failed": res["failed"], "seconds": time.perf_counter() - t,
            "peak_mb": self_peak_mb()}


def side_raw_smtp(url: str) -> dict:
    """Pre-render every outbox row (untimed), then send them all over one aiosmtplib connection."""
    import aiosmtplib
    from sqlalchemy import select

    from involve.db import reader
    from involve.mail.render import build_message
    from involve.mail.smtp import SmtpTarget
    from involve.settings import settings
    from models import OutboxEmail

    with reader() as s:
        rows = list(s.execute(select(OutboxEmail).where(OutboxEmail.sent_at.is_(None))
                              .order_by(OutboxEmail.id)).scalars())
    messages = [(r.to_addr, build_message(template=r.template, context=r.context, to=r.to_addr,
                                          sender=settings.mail_from, outbox_id=r.id).as_bytes())
                for r in rows]  # rendered to wire bytes before the clock starts

    async def send() -> int:
        target = SmtpTarget.from_url(url)
        client = aiosmtplib.SMTP(hostname=target.host, port=target.port, timeout=30)
        await client.connect()
        for to, raw in messages:
            await client.sendmail(settings.mail_from, [to], raw)
        await client.quit()
        return len(messages)

    t = time.perf_counter()
    sent = asyncio.run(send())
    return {"sent": sent, "seconds": time.perf_counter() - t, "peak_mb": self_peak_mb()}


def side_sink(port: int, record: Path | None = None) -> None:
    """An aiosmtpd server that accepts and counts (the 'real SMTP sink' both sides send to). With
    `record` (bench/e2e.py), each message's arrival is kept, (time.time(), the outbox id from its
    Message-ID or None), and written there as JSON when it is stopped (SIGTERM)."""
    import re
    import signal
    import threading

    from aiosmtpd.controller import Controller

    outbox_id = re.compile(rb"Message-ID: <outbox-(\d+)\.")
    arrivals: list[tuple[float, int | None]] = []

    class Handler:
        count = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            Handler.count += 1
            if record is not None:
                m = outbox_id.search(envelope.original_content or envelope.content)
                arrivals.append((time.time(), int(m.group(1)) if m else None))
            return "250 OK"

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    c = Controller(Handler(), hostname="127.0.0.1", port=port)
    c.start()
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        c.stop()
        if record is not None:
            record.write_text(json.dumps(arrivals))


# --- orchestration -----------------------------------------------------------------------

def _side(env: dict, cwd: Path, *args: str) -> dict:
    return run_json([PYTHON, "-m", "bench.pipeline", *args], env, cwd)


def run(workdir: Path, prefect: PrefectServer, *, claims: int = 10_000, sample: int = 100) -> list[Row]:
    seed_dir = workdir / "seed"
    seed_dir.mkdir(parents=True)
    env = base_env(seed_dir, PREFECT_API_URL=prefect.api_url)
    secrets_env = {k: env[k] for k in ("INVOLVE_WEBHOOK_SECRET", "INVOLVE_DATA_KEY")}
    seeded = _side(env, seed_dir, "seed", str(claims))
    template = seed_dir / "involve.db"

    def side_env(d: Path, **extra: str) -> dict:
        e = base_env(d, PREFECT_API_URL=prefect.api_url, **secrets_env, **extra)
        e["INVOLVE_DATABASE_URL"] = f"sqlite:///{d}/involve.db"
        return e

    # 2. processing: the batched flow over all claims, the naive design over a sample
    bat_dir, nai_dir = workdir / "batched", workdir / "naive"
    copy_db(template, bat_dir)
    copy_db(template, nai_dir)
    batched = _side(side_env(bat_dir), bat_dir, "batched")
    naive = _side(side_env(nai_dir), nai_dir, "naive", str(sample))
    left = _count(bat_dir / "involve.db", "SELECT count(*) FROM claims WHERE status = 'submitted'")
    b_rate = batched["claims"] / batched["seconds"]
    n_rate = naive["claims"] / naive["seconds"]
    proc = Row(
        name=f"processing {claims:,} claims → awaiting_approval",
        project=f"{b_rate:,.0f} claims/s ({batched['seconds']:.1f} s, `process-claims` in batches of 500)",
        yardstick=f"{n_rate:,.1f} claims/s (one flow run per claim: {naive['seconds']:.1f} s for {sample}, "
                  f"so ~{claims / n_rate / 60:,.0f} min for {claims:,}, extrapolated)",
        ratio=b_rate / n_rate, goal="≥ 1,000 claims/s", met=b_rate >= 1000 and left == 0,
        peak_project_mb=batched["peak_mb"], peak_yardstick_mb=naive["peak_mb"],
        detail={"seed_seconds": seeded["seconds"], "batched": batched, "naive": naive})
    if left:
        proc.notes.append(f"{left} claims were left submitted")

    # 3. email delivery: the outbox of the processed claims, flow vs raw aiosmtplib
    port = free_port()
    sink = popen([PYTHON, "-m", "bench.pipeline", "sink", str(port)], base_env(workdir), workdir,
                 workdir / "sink.log")
    try:
        time.sleep(1.5)
        smtp = f"smtp://127.0.0.1:{port}"
        emails = _count(bat_dir / "involve.db", "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        raw_dir = workdir / "raw-smtp"
        copy_db(bat_dir / "involve.db", raw_dir)
        raw = _side(side_env(raw_dir, INVOLVE_SMTP_URL=smtp), raw_dir, "raw", smtp)
        flow = _side(side_env(bat_dir, INVOLVE_SMTP_URL=smtp), bat_dir, "deliver")
    finally:
        stop(sink)
    unsent = _count(bat_dir / "involve.db", "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
    f_rate, r_rate = flow["sent"] / flow["seconds"], raw["sent"] / raw["seconds"]
    mail = Row(
        name=f"email delivery, {emails:,} emails of those claims",
        project=f"{f_rate:,.0f} emails/s ({flow['seconds']:.1f} s, `deliver-outbox`, rendering included)",
        yardstick=f"{r_rate:,.0f} emails/s ({raw['seconds']:.1f} s, raw aiosmtplib, pre-rendered)",
        ratio=f_rate / r_rate, goal="≥ 0.50×",
        met=f_rate / r_rate >= 0.5 and unsent == 0 and not flow["failed"],
        peak_project_mb=flow["peak_mb"], peak_yardstick_mb=raw["peak_mb"], detail={"flow": flow, "raw": raw})
    if unsent or flow["failed"]:
        mail.notes.append(f"{unsent} emails left unsent, {flow['failed']} failed")
    return [proc, mail]


def main() -> None:
    side = sys.argv[1]
    if side == "sink":
        side_sink(int(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
        return
    result = {"seed": lambda: side_seed(int(sys.argv[2])), "batched": side_batched,
              "naive": lambda: side_naive(int(sys.argv[2])), "deliver": side_deliver,
              "raw": lambda: side_raw_smtp(sys.argv[2])}[side]()
    sys.stdout.flush()
    print(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("seed", "batched", "naive", "deliver", "raw", "sink"):
        main()
    else:
        import tempfile

        from bench.common import table

        claims = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
        with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as d:
            server = PrefectServer(Path(d)).start()
            try:
                rows = run(Path(d), server, claims=claims, sample=int(os.environ.get("BENCH_SAMPLE", "100")))
            finally:
                server.stop()
            print(table(rows))
            for r in rows:
                print(r.name, json.dumps(r.detail), r.notes)
        _ = ROOT
