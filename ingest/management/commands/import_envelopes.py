"""`manage.py import_envelopes FILE...`: store the records of NDJSON and HAR files.

Every record goes through the API's validation (``ingest.intake.rejection``); rejected ones
are reported by line number (NDJSON) or entry index (HAR) and the rest are stored directly,
in chunks. A record is keyed by its own ``id`` when it has one, else by the file's SHA-256
and its place in the file, so importing a file again stores nothing twice.
"""

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ingest.fold import fold_when_due
from ingest.importing import Entry, NotAHarFile, har_entries, looks_like_har, ndjson_entries
from ingest.intake import rejection
from ingest.parse import parse_record
from ingest.store import store_envelopes
from ingest.validate import validate_record

# Records are stored in chunks of this many places of a file, each chunk a batch named after
# the file and the chunk's place; changing it would make files imported before import again.
CHUNK_RECORDS = 1_000
HEAD_BYTES = 4_096
READ_BYTES = 1 << 20


@dataclass
class FileReport:
    """What importing one file did."""

    path: Path
    is_har: bool
    read: int = 0
    stored: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return "entry" if self.is_har else "line"

    @property
    def duplicates(self) -> int:
        return self.read - len(self.rejected) - self.stored


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while block := source.read(READ_BYTES):
            digest.update(block)
    return digest.hexdigest()


def _counted_lines(path: Path, bar: tqdm) -> Iterator[bytes]:
    """The file's lines, advancing the progress bar by their size."""
    with path.open("rb") as source:
        for line in source:
            bar.update(len(line))
            yield line


def _entries(path: Path, is_har: bool, bar: tqdm) -> Iterator[Entry]:
    if not is_har:
        yield from ndjson_entries(_counted_lines(path, bar))
        return
    entries = har_entries(path.read_bytes())
    bar.reset(total=len(entries))
    for entry in entries:
        bar.update(1)
        yield entry


def import_entries(report: FileReport, entries: Iterable[Entry], file_id: str) -> None:
    """Validate, parse and store the entries in chunks of CHUNK_RECORDS places of the file.
    Each chunk is a batch named after the file and its place in it: importing the file again
    (or the rest of it, after an interruption) stores only the chunks not stored yet."""
    received_at = datetime.now(UTC)
    chunk: list = []
    chunk_number = 0
    for entry in entries:
        report.read += 1
        if entry.position // CHUNK_RECORDS != chunk_number:
            report.stored += _store(f"{file_id}:{chunk_number}", chunk, received_at)
            chunk, chunk_number = [], entry.position // CHUNK_RECORDS
        problem = entry.problem or rejection(entry.record)
        if problem is not None:
            report.rejected.append((entry.position, problem))
            continue
        record = validate_record(entry.record, check_storable=False)  # walked by rejection()
        chunk.append(parse_record(record, received_at))
    report.stored += _store(f"{file_id}:{chunk_number}", chunk, received_at)


def _store(batch_id: str, envelopes: list, received_at: datetime) -> int:
    stored = store_envelopes(batch_id, envelopes, received_at)
    fold_when_due()  # as workers do: a long import must not leave every batch to one fold
    return stored


def import_file(path: Path) -> FileReport:
    """Import one file (NotAHarFile when a HAR file is not one)."""
    with path.open("rb") as source:
        head = source.read(HEAD_BYTES)
    report = FileReport(path, is_har=looks_like_har(path.name, head))
    file_id = f"import:{file_sha256(path)}"
    unit = {"unit": "entry"} if report.is_har else {"unit": "B", "unit_scale": True}
    with tqdm(total=path.stat().st_size, desc=path.name, disable=None, **unit) as bar:
        import_entries(report, _entries(path, report.is_har, bar), file_id)
    return report


class Command(BaseCommand):
    help = "Import ingest records from NDJSON files and HAR archives; re-importing is harmless."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="NDJSON or HAR file")

    def handle(self, *args, **options):
        unreadable = 0
        for name in options["files"]:
            try:
                report = import_file(Path(name))
            except (OSError, NotAHarFile) as exc:
                self.stderr.write(f"{name}: cannot import: {exc}")
                unreadable += 1
                continue
            self._report(report)
        if unreadable:
            raise CommandError(f"{unreadable} file(s) could not be imported")

    def _report(self, report: FileReport) -> None:
        for position, problem in report.rejected:
            self.stderr.write(f"{report.path}: {report.unit} {position}: {problem}")
        self.stdout.write(
            f"{report.path}: {report.read} records: {report.stored} stored, "
            f"{report.duplicates} already stored, {len(report.rejected)} rejected"
        )
