"""`involve serve`: check settings, migrate, start the mail sink (if no SMTP is configured), the
runner and uvicorn. SIGTERM/SIGINT stop uvicorn, then the runner finishes its current cycle;
accepted claims are already committed, so nothing is lost."""
from __future__ import annotations

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
    """Every Prefect ephemeral API subprocess this process starts, recorded so `serve` can stop them all.
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


def uvicorn_options() -> dict:
    """How `serve` runs uvicorn (the benchmarks serve their yardstick the same way)."""
    return {"log_level": "warning", "access_log": False, "timeout_graceful_shutdown": 20}


def settle_heap() -> None:
    """Collect once and freeze what start-up built (modules, settings, the app, the runner's imports
    so far): the collector's full passes then skip those objects instead of pausing every request
    for tens of milliseconds (intake p99)."""
    gc.collect()
    gc.freeze()


def _stopped_by_signal(signum, _frame) -> None:
    logging.getLogger("involve.serve").info("stopped by %s", signal.Signals(signum).name)


def run(*, host: str, port: int) -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY", "false")
    from involve.migrate import upgrade
    from involve.runner import DeploymentHandoff, EmbeddedRunner
    from involve.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "mail.log", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    check_settings()
    upgrade()
    from involve.services.keys import require_readable_data

    require_readable_data()
    track_ephemeral_servers()
    sink = None
    if not settings.smtp_url and settings.runner == "embedded":
        from involve.mail.smtp import MaildirSink

        sink = MaildirSink(settings.mail_dir).start()
        os.environ["INVOLVE_SMTP_URL"] = sink.url
        reset_settings()
        print(f"embedded mail sink: {sink.url}, storing mail in {settings.mail_dir}/new", flush=True)
    runner = (EmbeddedRunner() if settings.runner == "embedded" else DeploymentHandoff()).start()
    print(f"involve is running on http://{host}:{port}  (health: /health, claim form: /claim, "
          f"webhook: POST /webhooks/claims, API docs: /docs)", flush=True)
    # uvicorn catches SIGTERM/SIGINT, drains in-flight requests, runs the app's shutdown (which stops
    # the runner after its current cycle) and then raises the signal again; answer that with a
    # plain return, so the mail sink is stopped below and the process exits 0 after a clean stop.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stopped_by_signal)
    app = create_app(runner, mail_dir=sink.directory if sink else None)
    settle_heap()
    try:
        uvicorn.run(app, host=host, port=port, **uvicorn_options())
    finally:
        runner.stop()
        stop_ephemeral_servers()
        if sink:
            sink.stop()
