"""What the fake API served, counted the way the dashboard counts: requests, failed
requests and errors, by status, error code, endpoint and account."""

from collections import Counter, defaultdict

from ingest.fakeapi.replies import Reply


class Ledger:
    """Counts of the answers served (control requests excluded). Not thread-safe: the
    caller serialises (FakeAdsApi holds its lock)."""

    def __init__(self) -> None:
        self.totals: Counter = Counter()
        self.by_status: Counter = Counter()
        self.code_errors: Counter = Counter()
        self.code_responses: Counter = Counter()
        self.unnamed_failures: Counter = Counter()
        self.by_endpoint: defaultdict[str, Counter] = defaultdict(Counter)
        self.by_account: defaultdict[str | None, Counter] = defaultdict(Counter)

    def record(self, endpoint: str, account: str | None, reply: Reply) -> None:
        """Count one answer."""
        counts = {"requests": 1, "failed": int(reply.failed), "errors": reply.error_count}
        self.totals.update(counts)
        self.by_endpoint[endpoint].update(counts)
        self.by_account[account].update(counts)
        self.by_status[reply.status] += 1
        self.code_errors.update(reply.codes)
        self.code_responses.update(set(reply.codes))
        if reply.failed and not reply.codes:
            self.unnamed_failures[reply.status] += 1

    def snapshot(self) -> dict:
        """A JSON-ready summary. ``errors`` counts each error object, and one for a failed
        answer that names no error (an empty 500, an HTML 404), as the dashboard does;
        ``by_code`` counts the codes the bodies named, and ``unnamed_failures`` by status
        the failed answers that named none (the dashboard names them after their status)."""
        return {
            "requests": self.totals["requests"],
            "failed": self.totals["failed"],
            "errors": self.totals["errors"],
            "by_status": _by_status(self.by_status),
            "by_code": {
                code: {"errors": n, "responses": self.code_responses[code]}
                for code, n in sorted(self.code_errors.items())
            },
            "unnamed_failures": _by_status(self.unnamed_failures),
            "by_endpoint": _plain(self.by_endpoint),
            "by_account": _plain(self.by_account),
        }


def _by_status(counts: Counter) -> dict[str, int]:
    return {str(status): n for status, n in sorted(counts.items())}


def _plain(groups: dict) -> dict:
    return {
        ("null" if key is None else key): {
            name: counts[name] for name in ("requests", "failed", "errors")
        }
        for key, counts in sorted(groups.items(), key=lambda item: str(item[0]))
    }
