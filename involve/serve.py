"""`involve serve`: check settings, migrate, start the mail sink (if no SMTP is configured), the
runner and uvicorn. The embedded runner runs in a child process, and the Prefect API it uses in
another (involve/runner_process.py), which serve starts, restarts if they die and stops; /health
answers 503 until that API answers (at most INVOLVE_RUNNER_READY_WAIT_SECONDS), so the first claim
does not wait for it. SIGTERM/SIGINT stop uvicorn, then the runner finishes its current cycle; accepted claims
are already committed, so nothing is lost."""
from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal

import uvicorn

from involve.settings import reset_settings, settings


def check_settings() -> None:
    """Fail fast, naming the variable, before anything starts."""
    from involve.crypto import fernet
    from involve.domain.policy import load_policy
    from involve.errors import PolicyError, SettingsError

    settings.database_url  # noqa: B018 - loads and validates every INVOLVE_* variable
    try:
        load_policy()
    except PolicyError as exc:
        raise SettingsError(f"INVOLVE_POLICY_FILE: {exc}") from None
    settings.resolved_webhook_secret  # noqa: B018
    fernet()
    if settings.runner == "deployments":
        from prefect.settings import get_current_settings

        if not get_current_settings().api.url:
            raise SettingsError("PREFECT_API_URL: INVOLVE_RUNNER=deployments hands work to a Prefect server; "
                                "set PREFECT_API_URL to its API, e.g. http://prefect:4200/api")


def track_ephemeral_servers() -> list:
    """Every Prefect ephemeral API subprocess this process starts, recorded so it can stop them all (the
    runner child calls it; serve gives the runner an API of its own, so this is the safety net).
    When one does not answer in time Prefect raises but leaves it running, and the next flow starts
    another: only the last would be stopped at exit."""
    from prefect.server.api.server import SubprocessASGIServer

    started = getattr(SubprocessASGIServer, "_involve_started", None)
    if started is not None:
        return started
    started = []
    original = SubprocessASGIServer._run_uvicorn_command

    def run_and_record(self):
        proc = original(self)
        started.append(proc)
        return proc

    SubprocessASGIServer._run_uvicorn_command = run_and_record
    SubprocessASGIServer._involve_started = started
    return started


def stop_ephemeral_servers(timeout: float = 5.0) -> int:
    """Stop every recorded Prefect subprocess that is still running (terminate, then kill); returns how many."""
    import subprocess

    from prefect.server.api.server import SubprocessASGIServer

    stopped = 0
    for proc in getattr(SubprocessASGIServer, "_involve_started", []):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            stopped += 1
    for server in list(SubprocessASGIServer._instances.values()):
        server.stop()
    return stopped


# How long an idle keep-alive connection stays open. Closing one races any client that reuses it
# at that moment: the request it has just written is never read, the close resets the connection,
# and the sender gets no answer (nothing is stored; a webhook sender retries). Clients stop reusing
# an idle connection after their own timeout (httpx 5 s, aiohttp 15 s, nginx upstream keepalive and
# AWS ALB 60 s, Go, hyper and Traefik 90 s, Caddy 2 min), so the server waits longer than all of
# them. uvicorn's default, 5 s, equals httpx's: the soak's load row saw 1 in 1,200 unanswered.
KEEP_ALIVE_SECONDS = 130


def uvicorn_options() -> dict:
    """How `serve` runs uvicorn (the benchmarks serve their yardstick the same way)."""
    return {"log_level": "warning", "access_log": False, "timeout_graceful_shutdown": 20,
            "timeout_keep_alive": KEEP_ALIVE_SECONDS}


def settle_heap() -> None:
    """Collect once and freeze what start-up built (modules, settings, the app, the runner's imports
    so far): the collector's full passes then skip those objects instead of pausing every request
    for tens of milliseconds (intake p99)."""
    gc.collect()
    gc.freeze()


def _prefect_api_url() -> str | None:
    from prefect.settings import get_current_settings

    return get_current_settings().api.url


def _stopped_by_signal(signum, _frame) -> None:
    logging.getLogger("involve.serve").info("stopped by %s", signal.Signals(signum).name)


def quiet_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "mail.log", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run(*, host: str, port: int) -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY", "false")
    # the ephemeral API's start-up (Prefect's default wait is 20 s) takes longer on a busy machine;
    # giving up only starts it again from the beginning at the next cycle
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from involve.migrate import upgrade
    from involve.runner import DeploymentHandoff
    from involve.runner_process import PrefectApiProcess, RunnerProcess
    from involve.web.app import create_app

    quiet_logging()
    check_settings()
    # everything started is stopped again, and this process's environment put back, also when the
    # start-up is refused half-way (e.g. a data key that cannot read the stored rows)
    with contextlib.ExitStack() as started:
        api = None
        if settings.runner == "embedded" and not _prefect_api_url():
            api = PrefectApiProcess().start()  # boots while serve migrates and starts; the runner waits for it
            started.callback(api.stop, timeout=10)
            started.enter_context(_environ("PREFECT_API_URL", api.url))
        upgrade()
        from involve.services.keys import require_readable_data

        require_readable_data()
        sink = None
        if not settings.smtp_url and settings.runner == "embedded":
            from involve.runner_process import MailSinkProcess

            sink = MailSinkProcess(settings.mail_dir).start()  # a child process: not under the web app's GIL
            started.callback(sink.stop)
            started.enter_context(_environ("INVOLVE_SMTP_URL", sink.url))
            print(f"embedded mail sink: {sink.url}, storing mail in {settings.mail_dir}/new", flush=True)
        runner = (RunnerProcess() if settings.runner == "embedded" else DeploymentHandoff()).start()
        started.callback(runner.stop)
        print(f"involve is running on http://{host}:{port}  (health: /health, claim form: /claim, "
              f"webhook: POST /webhooks/claims, API docs: /docs)", flush=True)
        # uvicorn catches SIGTERM/SIGINT, drains in-flight requests, runs the app's shutdown (which stops
        # the runner after its current cycle) and then raises the signal again; answer that with a
        # plain return, so the children are stopped on the way out and the process exits 0 after a clean stop.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _stopped_by_signal)
        app = create_app(runner, mail_dir=sink.directory if sink else None, flows_ready=api.ready if api else None)
        settle_heap()
        uvicorn.run(app, host=host, port=port, **uvicorn_options())


@contextlib.contextmanager
def _environ(name: str, value: str):
    """`name`=`value` in this process's environment (the children inherit it) until the block ends."""
    before = os.environ.get(name)
    os.environ[name] = value
    reset_settings()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before
        reset_settings()
