"""«Экспорт» of the chats without a responsible (10% of bench.list_scale's chats): time and
peak RSS. ``DATABASE_URL=… python -m bench.export_scale`` on a database bench.list_scale made;
bench.list_scale runs it itself. It imports only the export, so the RSS is the export's."""

from __future__ import annotations

import sys
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). Not getrusage: after fork and exec, Linux keeps
    the parent's larger peak in ru_maxrss."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    from chat_crm.services import export
    from chat_crm.services.list_query import COLUMNS, ListView

    employee_id = 2  # bench.list_scale's employees all hold every permission
    baseline = peak_rss_mb()
    started = time.perf_counter()
    made = export.export_chats(
        employee_id=employee_id, view=ListView(scope="unassigned"), columns=list(COLUMNS)
    )
    seconds = time.perf_counter() - started
    peak = peak_rss_mb()
    path = export.file_for(employee_id=employee_id, token=made.token)
    size = path.stat().st_size
    path.unlink()
    print(
        f"export: {made.rows:,} rows in {seconds:.1f} s ({made.rows / seconds:,.0f} rows/s), "
        f"file {size / 1e6:.1f} MB, peak RSS {peak:.0f} MB (after imports {baseline:.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
