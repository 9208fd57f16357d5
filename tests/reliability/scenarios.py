"""The reliability scenarios against a real `involve serve`, real database and real SMTP.

Longer than ~300 lines on purpose: every scenario of the soak table in one file, in table order.

Each function runs one scenario at a given size, asserts its outcome (AssertionError names what
went wrong) and returns a `Result` row. The fast tests call them small; `make soak` calls them
with the full numbers and prints the table.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import sqlite3
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

from tests.e2e.harness import act_on_link, links, text_of
from tests.reliability.support import (
    FINANCE,
    LEAD,
    Attempt,
    Failed,
    Ledger,
    PrefectApi,
    Result,
    Server,
    Sink,
    account,
    claim,
    items_for,
    post_all,
    retry_unanswered,
    sign,
    signed_headers,
    wait_until,
)


def _tag(name: str) -> str:
    return f"{name}{secrets.token_hex(3)}"


# ---- 1. signatures -----------------------------------------------------------------------------


def signature_matrix(srv: Server) -> Result:
    """Every signature case answers as the contract says, and only the valid ones store a claim."""
    tag = _tag("sig")
    now = int(time.time())
    bodies = {i: json.dumps(claim(i, tag=tag)).encode() for i in range(20)}
    other = "whsec_" + "QUJD" * 11
    cases: list[tuple[str, int, bytes, dict]] = []

    def case(
        name: str,
        expect: int,
        i: int,
        *,
        body: bytes | None = None,
        secret: str | None = None,
        ts: int | None = None,
        sig: str | None = None,
        drop: str | None = None,
        ctype: str | None = None,
    ):
        raw = bodies[i]
        msg_id = f"msg_{tag}_{i}"
        h = signed_headers(secret or srv.secret, msg_id, raw, now if ts is None else ts)
        if sig is not None:
            h["webhook-signature"] = sig
        if drop:
            h.pop(drop)
        if ctype:
            h["content-type"] = ctype
        cases.append((name, expect, body if body is not None else raw, h))

    good = lambda i, ts=now: sign(srv.secret, f"msg_{tag}_{i}", ts, bodies[i])  # noqa: E731
    case("valid", 202, 0)
    tampered = json.loads(bodies[1])
    tampered["expenses"][0]["amount"] = "60.80"
    case("body tampered", 401, 1, body=json.dumps(tampered).encode())
    case("wrong secret", 401, 2, secret=other)
    case("timestamp 6 minutes old", 401, 3, ts=now - 360)
    case("timestamp 6 minutes ahead", 401, 4, ts=now + 360)
    case("missing webhook-id", 401, 5, drop="webhook-id")
    case("missing webhook-timestamp", 401, 6, drop="webhook-timestamp")
    case("missing webhook-signature", 401, 7, drop="webhook-signature")
    case("several signatures, one valid (v1,bad v1,good)", 202, 8, sig=f"v1,bad {good(8)}")
    case("several signatures, valid one first", 202, 9, sig=f"{good(9)} v1,{'A' * 44}")
    case(
        "re-serialised JSON (same data, other bytes)",
        401,
        10,
        body=json.dumps(json.loads(bodies[10]), indent=2, sort_keys=True).encode(),
    )
    case("signature without version", 401, 11, sig="garbage")
    case("signature not base64", 401, 12, sig="v1,!!!not-base64!!!")
    case("valid signature under another version", 401, 13, sig=good(13).replace("v1,", "v2,"))
    case("timestamp not a number", 401, 14, ts=0, sig=good(14, 0))
    cases[-1][3]["webhook-timestamp"] = "soon"
    case("all signatures bad", 401, 15, sig="v1,YmFk v1,c3RpbGwgYmFk")
    bad_utf8 = b"\xff\xfe" + bodies[16]
    case("body not UTF-8, unsigned", 401, 16, body=bad_utf8)
    failures = []
    with httpx.Client(timeout=30) as client:
        for name, expect, raw, headers in cases:
            r = client.post(srv.url + "/webhooks/claims", content=raw, headers=headers)
            if r.status_code != expect:
                failures.append(f"{name}: expected {expect}, got {r.status_code} {r.text[:200]}")
            elif expect == 401 and not r.headers.get("content-type", "").startswith(
                "application/problem+json"
            ):
                failures.append(f"{name}: 401 is not problem+json")
    stored = {sub for _, sub, _ in srv.claims(tag)}
    should = {f"{tag}-{i}" for i in (0, 8, 9)}
    if stored != should:
        failures.append(f"stored {sorted(stored)}, expected exactly {sorted(should)}")
    assert not failures, "\n".join(failures)
    return Result("signature matrix", len(cases), len(should - stored), len(stored - should), 0)


# ---- 2. the same delivery again and again ---------------------------------------------------------


def same_delivery(
    srv: Server, *, times: int = 50, gap: float = 0.05, long_gaps: dict[int, float] | None = None
) -> Result:
    """One delivery sent `times` times (re-signed each time, as senders retry), `gap` seconds apart
    (`long_gaps` {index: seconds} adds longer pauses) -> one claim, first 202 then 200 with the same body."""
    tag = _tag("same")
    body = json.dumps(claim(0, tag=tag)).encode()
    msg_id = f"msg_{tag}"
    answers = []
    with httpx.Client(timeout=60) as client:
        for i in range(times):
            r = srv.post(body, msg_id, client=client)
            answers.append((r.status_code, r.text))
            time.sleep((long_gaps or {}).get(i, gap))
    first_status, first_body = answers[0]
    assert first_status == 202, answers[0]
    wrong = [
        (i, a)
        for i, a in enumerate(answers[1:], 1)
        if a[0] != 200 or json.loads(a[1]) != json.loads(first_body)
    ]
    assert not wrong, f"{len(wrong)} repeats did not answer 200 with the first body: {wrong[:3]}"
    stored = srv.claims(tag)
    assert len(stored) == 1, f"{len(stored)} claims stored for one delivery"
    return Result(
        f"same delivery x{times}",
        times,
        1 - len(stored) if not stored else 0,
        len(stored) - 1,
        0,
        note=f"spread over {sum((long_gaps or {}).values()) + gap * times:.0f}s",
    )


# ---- 3. many deliveries and duplicates, concurrently --------------------------------------------


def load(
    srv: Server,
    *,
    distinct: int = 1000,
    duplicates: int = 200,
    concurrency: int = 32,
    wait_processed: float = 600,
) -> Result:
    """`distinct` deliveries and `duplicates` copies of some of them, `concurrency` at a time: each
    answered (202 new, 200 a copy, never 5xx), each delivery stored once. A request with no answer at
    all fails the row, but is first sent again as a webhook sender would (same delivery id), so the
    row still counts what was lost or doubled, and says whether the server had stored it."""
    tag = _tag("load")
    items = items_for(tag, distinct, canary=srv.canary)
    rnd = random.Random(7)
    sent = items + rnd.choices(items, k=duplicates)
    rnd.shuffle(sent)
    ledger = post_all(srv, sent, concurrency)
    first = len(ledger.attempts)
    statuses = Counter(a.status for a in ledger.attempts)
    retry_unanswered(srv, sent, ledger)
    acc = account(ledger, srv, tag)
    result = Result(
        f"{distinct} deliveries + {duplicates} duplicates, {concurrency} at a time",
        len(ledger.attempts),
        len(acc.lost),
        len(acc.duplicated),
        0,
        note=f"answers {dict(statuses)}",
    )
    failures = []
    unanswered = [a for a in ledger.attempts[:first] if a.status is None]
    if unanswered:
        retries = {a.delivery_id: a.status for a in ledger.attempts[first:]}  # the last retry of each
        failures.append(
            f"{len(unanswered)} requests got no answer ({Counter(a.error for a in unanswered).most_common(3)}); "
            f"sent again with the same delivery id: {_unanswered_outcomes(unanswered, retries)}"
        )
    every = Counter(a.status for a in ledger.attempts)
    five = sum(n for st, n in every.items() if st is not None and st >= 500)
    if five:
        failures.append(f"{five} answers were 5xx: {dict(every)}")
    if every[202] != distinct or set(every) - {200, 202, None}:
        failures.append(f"expected {distinct} answers 202 and the rest 200: {dict(every)}")
    if acc.lost or acc.duplicated or acc.unexpected or acc.stored != distinct or acc.acked != distinct:
        failures.append(str(acc))
    if failures:
        raise Failed("; ".join(failures), result)
    wait_until(
        lambda: set(srv.statuses(tag)) == {"awaiting_approval"},
        wait_processed,
        what="every claim to be processed",
    )
    return result


def _unanswered_outcomes(unanswered: list, retries: dict[str, int | None]) -> str:
    """What sending an unanswered delivery again showed: 202, the server had not stored it (it never
    read the request, or refused it before storing); 200, it had stored it and only the answer was
    lost; not sent again, another copy of the same delivery was answered."""
    kinds = Counter(
        "not stored before (202)" if retries.get(a.delivery_id) == 202
        else "stored, answer lost (200)" if retries.get(a.delivery_id) == 200
        else "a copy was answered" if a.delivery_id not in retries
        else f"still {retries[a.delivery_id]}"
        for a in unanswered
    )
    return ", ".join(f"{n} {kind}" for kind, n in kinds.items())


def idle_reuse(
    srv: Server, *, connections: int = 48, rounds: int = 3, expiry: float = 5.0, busy: int = 8
) -> Result:
    """Senders with httpx's keep-alive expiry (5 s) each send a claim, stay idle for a moment in the
    last 0.2 s before `expiry`, then send the next on the same connection, as a sender does between
    two deliveries, while other claims keep the server busy (`busy` at a time). A server that closes
    idle connections after about the same time resets some of them with the request unread (no
    answer; uvicorn's default 5 s did, more often the busier its event loop); each must be answered."""
    tag = _tag("idle")
    items = items_for(tag, 2 * connections * rounds, canary=srv.canary)
    background = items_for(tag, 400 * rounds, canary=srv.canary, start=len(items))
    ledger = Ledger()
    reused = 0
    stop = threading.Event()
    loader = threading.Thread(target=post_all, args=(srv, background, busy, ledger, stop))
    loader.start()

    async def sender(first: tuple, second: tuple, idle: float) -> bool:
        limits = httpx.Limits(max_connections=1, keepalive_expiry=expiry)
        async with httpx.AsyncClient(base_url=srv.url, timeout=60, limits=limits) as client:
            ports = []
            for (delivery_id, submission_id, body), pause in ((first, idle), (second, 0)):
                try:
                    r = await client.post(
                        "/webhooks/claims", content=body, headers=signed_headers(srv.secret, delivery_id, body)
                    )
                    ref = r.json().get("reference") if r.status_code in (200, 202) else None
                    ledger.add(Attempt(delivery_id, submission_id, r.status_code, ref))
                    ports.append(r.extensions["network_stream"].get_extra_info("client_addr"))
                except (httpx.HTTPError, ValueError) as exc:
                    ledger.add(Attempt(delivery_id, submission_id, None, None, f"{type(exc).__name__}: {exc}"))
                await asyncio.sleep(pause)
            return len(ports) == 2 and ports[0] == ports[1]

    async def round_(k: int) -> list[bool]:
        chunk = items[2 * connections * k : 2 * connections * (k + 1)]
        idles = [expiry - 0.2 * i / connections for i in range(connections)]
        return await asyncio.gather(*(sender(chunk[2 * i], chunk[2 * i + 1], idles[i]) for i in range(connections)))

    try:
        for k in range(rounds):
            reused += sum(asyncio.run(round_(k)))
    finally:
        stop.set()
        loader.join(300)
    first = len(ledger.attempts)
    unanswered = [a for a in ledger.attempts if a.status is None]
    sent = items + [it for it in background if it[0] in {a.delivery_id for a in ledger.attempts}]
    retry_unanswered(srv, sent, ledger)
    acc = account(ledger, srv, tag)
    result = Result(
        f"idle keep-alive connections reused at {expiry:g} s ({connections} x {rounds})",
        len(ledger.attempts),
        len(acc.lost),
        len(acc.duplicated),
        0,
        note=f"{reused} of {connections * rounds} second requests went over the idle connection",
    )
    failures = []
    if unanswered:
        retries = {a.delivery_id: a.status for a in ledger.attempts[first:]}
        failures.append(
            f"{len(unanswered)} requests got no answer ({Counter(a.error for a in unanswered).most_common(2)}); "
            f"sent again with the same delivery id: {_unanswered_outcomes(unanswered, retries)}"
        )
    other = Counter(a.status for a in ledger.attempts[:first] if a.status not in (202, None))
    if other:
        failures.append(f"answers other than 202 to new deliveries: {dict(other)}")
    if acc.lost or acc.duplicated or acc.unexpected or acc.stored != len(sent):
        failures.append(str(acc))
    if not reused:
        failures.append("no second request went over the idle connection: the scenario tested nothing")
    if failures:
        raise Failed("; ".join(failures), result)
    return result


# ---- 4. the same delivery twice at once; same id, other body -------------------------------------


def concurrent_same(srv: Server, *, pairs: int = 10) -> Result:
    tag = _tag("pair")
    items = items_for(tag, pairs)
    ledger = post_all(srv, [it for it in items for _ in (0, 1)], concurrency=2 * pairs)
    by_sub: dict[str, list] = {}
    for a in ledger.attempts:
        by_sub.setdefault(a.submission_id, []).append(a)
    for sub, attempts in by_sub.items():
        assert sorted(a.status for a in attempts) == [200, 202], (
            sub,
            [(a.status, a.error) for a in attempts],
        )
        assert len({a.reference for a in attempts}) == 1, sub
    acc = account(ledger, srv, tag)
    assert acc.stored == pairs and not acc.duplicated, str(acc)
    # the same delivery id with another body is refused, and stores nothing
    msg_id, sub, raw = items[0]
    changed = json.loads(raw)
    changed["expenses"][0]["amount"] = "7.80"
    r = srv.post(changed, msg_id)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
    assert len(srv.claims(tag)) == pairs
    return Result("same delivery twice at once", 2 * pairs + 1, len(acc.lost), len(acc.duplicated), 0)


# ---- 5. SIGKILL under load and at each step -----------------------------------------------------


def crash_under_load(
    srv: Server, *, claims: int = 300, rounds: int = 1, concurrency: int = 16, wait_processed: float = 300
) -> tuple[Result, Ledger]:
    """Post while SIGKILLing the server mid-stream, `rounds` times; restart; senders retry what was
    not acknowledged. Then: every acknowledged claim exists once, none is stuck."""
    tag = _tag("crash")
    items = items_for(tag, claims, canary=srv.canary)
    ledger = Ledger()
    per_round = max(1, claims // rounds)
    kills = 0
    for r in range(rounds):
        chunk = items[r * per_round : (r + 1) * per_round] if r < rounds - 1 else items[r * per_round :]
        before = ledger.count(lambda a: a.status in (200, 202))
        t = threading.Thread(target=post_all, args=(srv, chunk, concurrency, ledger))
        t.start()
        target = before + max(1, len(chunk) // 3)
        end = time.monotonic() + 120
        while (
            ledger.count(lambda a: a.status in (200, 202)) < target
            and t.is_alive()
            and time.monotonic() < end
        ):
            time.sleep(0.01)
        srv.kill()
        kills += 1
        t.join(300)
        srv.start()
    retry = [it for it in items if it[1] not in ledger.acked()]
    post_all(srv, retry, concurrency, ledger)
    acc = account(ledger, srv, tag)
    assert not acc.lost, f"lost: {acc.lost[:10]} ({acc})"
    assert not acc.duplicated, f"duplicated: {acc.duplicated[:10]} ({acc})"
    assert not acc.unexpected, f"unexpected: {acc.unexpected[:10]}"
    assert acc.stored == claims, str(acc)
    wait_until(
        lambda: set(srv.statuses(tag)) == {"awaiting_approval"},
        wait_processed,
        what="every claim to reach awaiting_approval after the restart",
    )
    failed = ledger.count(lambda a: a.status not in (200, 202))
    return Result(
        f"SIGKILL under load ({kills}x)",
        len(ledger.attempts),
        len(acc.lost),
        len(acc.duplicated),
        0,
        note=f"{acc}; {failed} requests cut off by the kill were retried",
    ), ledger


def _approval_link(sink: Sink, ref: str, word: str = "Approve") -> str:
    mails = wait_until(lambda: sink.find(ref, "approval", to=LEAD), 60, what=f"the approval email of {ref}")
    return links(text_of(mails[0]), word)[0]


def _outbox_idle(srv: Server) -> None:
    wait_until(
        lambda: srv.query("SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0] == 0,
        90,
        what="the outbox to empty",
    )


def _audit_count(srv: Server, ref: str, action: str) -> int:
    return srv.query(
        "SELECT count(*) FROM audit_records WHERE reference = :r AND action = :a", {"r": ref, "a": action}
    )[0][0]


def crash_steps(srv: Server, sink: Sink, *, full: bool = True) -> Result:
    """SIGKILL at each step (just before and just after the commit) of intake, processing, approval,
    email delivery and payment, then restart and retry as a sender or a person would. The server
    lives several short lives, each armed with the next crash point. `full=False` (the fast suite)
    skips three of the server's crash points: intake.before_commit, process.after_commit and
    approve.before_commit."""
    tag = _tag("step")
    requests = 0
    problems: list[str] = []
    a_body, b_body = (json.dumps(claim(n, tag=tag, canary=srv.canary)).encode() for n in (0, 1))
    a_id, b_id = f"msg_{tag}_0", f"msg_{tag}_1"

    def life(point: str | None) -> None:
        srv.restart(INVOLVE_FAULTPOINTS=point)

    def post(body: bytes, msg_id: str) -> int | None:
        nonlocal requests
        requests += 1
        try:
            return srv.post(body, msg_id).status_code
        except httpx.HTTPError:
            return None

    def act(link: str) -> int | None:
        nonlocal requests
        requests += 1
        try:
            return act_on_link(link).status_code
        except httpx.HTTPError:
            return None

    def expect(what: str, got, want) -> None:
        if got != want:
            problems.append(f"{what}: got {got}, expected {want}")

    def status(ref: str) -> str:
        return srv.query("SELECT status FROM claims WHERE reference = :r", {"r": ref})[0][0]

    # earlier scenarios on the same server may have queued thousands of emails (the soak's load rows:
    # ~5,500); the approval emails waited for below must not queue behind them
    _outbox_idle(srv)
    srv.kill()
    # intake: killed after the commit (the sender gets no answer, retries, and is told it is stored)
    life("intake.after_commit")
    expect("intake.after_commit: answer", post(a_body, a_id), None)
    srv.wait_dead()
    if full:
        life("intake.before_commit")
        expect("intake.after_commit: retry", post(a_body, a_id), 200)
        expect("intake.before_commit: answer", post(b_body, b_id), None)
        srv.wait_dead()
    expect("claims stored after intake crashes", len(srv.claims(tag)), 1)
    ref_a = srv.claims(tag)[0][0]
    # processing: the runner picks A up at start-up and is killed inside, then just after, its commit
    life("process.before_commit")
    srv.wait_dead()
    expect("process.before_commit: status", status(ref_a), "submitted")
    if full:
        life("process.after_commit")
        srv.wait_dead()
        expect("process.after_commit: status", status(ref_a), "awaiting_approval")
    # approval through the email link, killed before and after the commit; B is sent again meanwhile
    if full:
        life("approve.before_commit")
        expect("intake.before_commit: retry", post(b_body, b_id), 202)
        link = _approval_link(sink, ref_a)
        expect("approve.before_commit: answer", act(link), None)
        srv.wait_dead()
        expect("approve.before_commit: status", status(ref_a), "awaiting_approval")
    life("approve.after_commit")
    if not full:
        expect("intake.after_commit: retry", post(a_body, a_id), 200)
        expect("B", post(b_body, b_id), 202)
        link = _approval_link(sink, ref_a)
    expect("approve.after_commit: answer", act(link), None)
    srv.wait_dead()
    expect("approve.after_commit: status", status(ref_a), "approved")
    # delivery: killed right after the SMTP server accepted an email, before it is marked sent
    life("deliver.after_send")
    srv.wait_dead()
    life(None)
    expect("used link", act(link), 410)
    ref_b = wait_until(
        lambda: [r for r, _, st in srv.claims(f"{tag}-1") if st == "awaiting_approval"],
        90,
        what="B processed",
    )[0]
    expect("approve B", act(_approval_link(sink, ref_b)), 200)
    # payment, recorded by the CLI: killed before and after its commit, then tried again
    for point, ref, again_code in (("pay.before_commit", ref_a, 0), ("pay.after_commit", ref_b, 2)):
        requests += 2
        r = _cli(srv, point, "claims", "pay", ref, "--by", FINANCE)
        expect(f"{point}: CLI exit", r.returncode, -9)
        again = srv.cli("claims", "pay", ref, "--by", FINANCE)
        expect(f"{point}: paying again ({again.stderr.strip()})", again.returncode, again_code)
    _outbox_idle(srv)
    refs = (ref_a, ref_b)
    for ref in refs:
        expect(f"{ref} status", status(ref), "paid")
        for action in ("submit", "process", "approve", "pay"):
            expect(f"{ref} {action} records", _audit_count(srv, ref, action), 1)
        expect(f"{ref} paid emails", len({str(m["Message-ID"]) for m in sink.find(ref, "paid")}), 1)
    payments = srv.query(
        "SELECT c.reference, count(*) FROM payments p JOIN claims c ON c.id = p.claim_id "
        "WHERE c.reference IN (:a, :b) GROUP BY c.reference",
        {"a": ref_a, "b": ref_b},
    )
    expect("payments", sorted(n for _, n in payments), [1, 1])
    subs = Counter(s for _, s, _ in srv.claims(tag))
    dup_claims = sum(n - 1 for n in subs.values())
    dup_payments = sum(n - 1 for _, n in payments)
    ids = Counter(str(m["Message-ID"]) for ref in refs for m in sink.find(ref))
    dup_mails = sum(n - 1 for n in ids.values())
    if problems:
        problems.append(srv.log_tail(60))
    assert not problems, "\n".join(problems)
    return Result(
        f"SIGKILL at each step ({9 if full else 6} crash points)",
        requests,
        0,
        dup_claims + dup_payments,
        0,
        note=f"{dup_mails} email(s) sent twice, same Message-ID (killed between SMTP accept and "
        f"marking it sent)",
    )


def _cli(srv: Server, point: str, *args: str):
    import subprocess

    from tests.e2e.harness import INVOLVE

    return subprocess.run(
        [str(INVOLVE), *args],
        cwd=srv.workdir,
        env=dict(srv.env, INVOLVE_FAULTPOINTS=point),
        capture_output=True,
        text=True,
        timeout=120,
    )


# ---- 6. SMTP down for a while ---------------------------------------------------------------------


def smtp_outage(
    prefect: PrefectApi,
    workdir: Path,
    *,
    claims: int = 8,
    outage: float = 6.0,
    base: float = 1.0,
    cap: float = 4.0,
) -> Result:
    sink = Sink().start()
    sink.stop()  # the port is known, nothing listens: connection refused
    srv = Server(
        workdir,
        sink.port,
        prefect=prefect,
        extra_env={"INVOLVE_SMTP_RETRY_BASE_SECONDS": str(base), "INVOLVE_SMTP_RETRY_MAX_SECONDS": str(cap)},
    ).start()
    try:
        srv.add_staff()
        tag = _tag("smtp")
        ledger = post_all(srv, items_for(tag, claims, canary=srv.canary), concurrency=8)
        assert ledger.count(lambda a: a.status == 202) == claims
        wait_until(lambda: set(srv.statuses(tag)) == {"awaiting_approval"}, 120, what="processing")
        wait_until(
            lambda: (
                srv.query("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND attempts >= 1")[0][0]
                >= 2 * claims
            ),
            120,
            what="the first failed sending attempts",
        )
        time.sleep(outage)  # SMTP stays down; the outbox keeps retrying with backoff
        sink.start()
        wait_until(
            lambda: srv.query("SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0] == 0,
            cap * 3 + 60,
            what="every email to be sent once SMTP is back",
        )
        refs = [r for r, _, _ in srv.claims(tag)]
        missing = [f"{ref} {w}" for ref in refs for w in ("received", "approval") if not sink.find(ref, w)]
        ids = sink.message_ids()
        dups = sum(n - 1 for n in ids.values())
        retries = srv.query("SELECT max(attempts) FROM outbox")[0][0]
        leaks = srv.leaks(sink)
        assert not missing, f"emails never delivered: {missing}"
        assert not leaks, leaks
        return Result(
            f"SMTP down {outage:.0f}s, then back",
            claims,
            len(missing),
            dups,
            len(leaks),
            note=f"{len(ids)} emails delivered, {dups} twice; up to {retries} attempts each",
        )
    finally:
        srv.stop()
        sink.stop()


# ---- 7. database unavailable -------------------------------------------------------------------


def _is_503(r: httpx.Response) -> bool:
    return r.status_code == 503


def pg_outage(
    prefect: PrefectApi, workdir: Path, pg_base: str, sink: Sink, *, posts: int = 6, outage: float = 4.0
) -> Result:
    """PostgreSQL refuses connections: every claim answers 503 (never 2xx), /health 503; once it is
    back, the same deliveries are stored and the runner (which lived through it) processes them."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"involve_outage_{uuid.uuid4().hex[:8]}"
    admin = create_engine(make_url(pg_base).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_base).set(database=name).render_as_string(hide_password=False)
    srv = Server(workdir, sink.port, prefect=prefect, database_url=url).start()
    try:
        srv.add_staff()
        tag = _tag("pgdown")
        items = items_for(tag, posts + 1, canary=srv.canary)
        first = post_all(srv, items[:1], 1)
        assert first.attempts[0].status == 202
        with admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            c.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            )
        down = post_all(srv, items[1:], 3)
        health = httpx.get(srv.url + "/health", timeout=30)
        time.sleep(outage)  # the runner keeps cycling against a database that is not there
        answers = Counter(a.status for a in down.attempts)
        with admin.connect() as c:
            c.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        assert answers == {503: posts}, f"while the database was down: {answers}"
        assert health.status_code == 503, health.text
        wait_until(
            lambda: httpx.get(srv.url + "/health", timeout=30).status_code == 200, 60, what="health 200"
        )
        retry = post_all(srv, items[1:], 3, ledger=down)
        assert Counter(a.status for a in retry.attempts if a.status != 503) == {202: posts}
        wait_until(
            lambda: set(srv.statuses(tag)) == {"awaiting_approval"},
            120,
            what="the runner to process the claims after the outage",
        )
        acc = account(down, srv, tag)
        assert srv.proc.poll() is None, "the server died during the outage"
        return Result(
            "PostgreSQL refusing connections",
            posts * 2 + 1,
            len(acc.lost),
            len(acc.duplicated),
            0,
            note=f"{posts} answers 503 while down, health 503; the runner carried on",
        )
    finally:
        srv.stop()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def sqlite_locked(
    prefect: PrefectApi, workdir: Path, sink: Sink, *, busy: float = 2.0, hold: float = 4.0
) -> Result:
    """Another process holds SQLite's write lock longer than the busy timeout: the claim answers 503
    problem+json with Retry-After (after about the busy timeout, not hanging), /health 503; nothing
    is stored; once released, the same delivery is stored."""
    srv = Server(
        workdir, sink.port, prefect=prefect, extra_env={"INVOLVE_SQLITE_BUSY_TIMEOUT_SECONDS": str(busy)}
    ).start()
    try:
        tag = _tag("locked")
        ((msg_id, sub, body),) = items_for(tag, 1)
        locker = sqlite3.connect(srv.workdir / "involve.db", isolation_level=None, timeout=30)
        locker.execute("BEGIN IMMEDIATE")
        try:
            t0 = time.monotonic()
            r = srv.post(body, msg_id)
            took = time.monotonic() - t0
            health = httpx.get(srv.url + "/health", timeout=30)
            time.sleep(max(0.0, hold - (time.monotonic() - t0)))
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith("application/problem+json") and r.headers.get(
            "retry-after"
        )
        assert took < busy + 10, f"the 503 took {took:.1f}s"
        assert health.status_code == 503, health.text
        assert not srv.claims(tag)
        r2 = srv.post(body, msg_id)
        assert r2.status_code == 202, r2.text
        assert httpx.get(srv.url + "/health", timeout=30).status_code == 200
        return Result(
            "SQLite write-locked past busy timeout",
            3,
            0,
            len(srv.claims(tag)) - 1,
            0,
            note=f"503 problem+json after {took:.1f}s, Retry-After {r.headers.get('retry-after')}",
        )
    finally:
        srv.stop()
