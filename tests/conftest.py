"""Shared fixtures: the real PostgreSQL and Redis that `make test` starts, and a real
Celery worker process for pipeline tests."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from helpers import wait_for

from ingest.queue import redis_client
from ingest.tokens import issue_token

ROOT = Path(__file__).resolve().parent.parent
WORKER_READY_SECONDS = 60


@pytest.fixture(scope="session")
def django_db_setup():
    """Use the database `make test` created and migrated (the worker process needs the same
    database, so pytest-django's separate test database cannot be used)."""


@pytest.fixture
def stack(transactional_db):
    """Committed writes visible to other processes; Redis emptied of earlier tests' batches."""
    redis_client().flushdb()
    yield
    redis_client().flushdb()


class WorkerProcess:
    """A real `celery worker` in its own process group, so it can be killed whole."""

    def __init__(self, name: str, concurrency: int = 1, env: dict | None = None):
        self.name = f"{name}-{os.getpid()}@localhost"
        log = open(ROOT / ".data" / f"{name}.log", "ab")  # noqa: SIM115 - lives with the process
        command = [sys.executable, "-m", "celery", "-A", "dashboard", "worker",
                   "-Q", "ingest,alerts", "--loglevel", "INFO", "--concurrency", str(concurrency),
                   "--hostname", self.name, "--without-mingle", "--without-gossip"]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
        self.wait_ready()

    def wait_ready(self):
        from dashboard.celery import app

        def ready():
            assert self.process.poll() is None, "worker exited during start-up"
            return bool(app.control.ping(destination=[self.name], timeout=0.5))

        wait_for(ready, WORKER_READY_SECONDS, f"worker {self.name}")

    def kill(self):
        """SIGKILL the worker and its pool children: nothing gets to clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def worker():
    process = WorkerProcess("test-worker")
    yield process
    process.stop()


@pytest.fixture
def make_worker():
    started = []

    def start(name: str = "crash-worker", concurrency: int = 1, env=None) -> WorkerProcess:
        started.append(WorkerProcess(name, concurrency, env))
        return started[-1]

    yield start
    for process in started:
        process.stop()


def token_client(scopes: list[str]) -> Client:
    return Client(headers={"authorization": f"Bearer {issue_token('test', scopes)}"})


@pytest.fixture
def ingest_client(stack) -> Client:
    return token_client(["ingest"])


@pytest.fixture
def read_client(stack) -> Client:
    return token_client(["read"])


@pytest.fixture
def api_client(stack) -> Client:
    return token_client(["ingest", "read"])


@pytest.fixture(autouse=True)
def _no_debug():
    assert not settings.DEBUG
