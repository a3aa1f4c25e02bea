"""Rewrites Pebble snapshots, dropping keys not accessed within a retention window."""
import json
import sys
import time
from pathlib import Path

DEFAULT_RETENTION_DAYS = 30


def compact_snapshot(path: Path, retention_days: int = DEFAULT_RETENTION_DAYS) -> int:
    """Removes expired keys from one snapshot file and returns how many were dropped."""
    entries = json.loads(path.read_text())
    cutoff_ms = (time.time() - retention_days * 86400) * 1000
    kept = {key: entry for key, entry in entries.items() if entry["lastAccess"] >= cutoff_ms}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(kept))
    temporary.replace(path)
    return len(entries) - len(kept)


class SnapshotFolder:
    """All snapshots in a folder, oldest first."""

    def __init__(self, folder: Path):
        self.folder = folder

    def snapshots(self):
        return sorted(self.folder.glob("*.json"), key=lambda p: p.stat().st_mtime)

    def compact_all(self, retention_days: int = DEFAULT_RETENTION_DAYS) -> int:
        return sum(compact_snapshot(p, retention_days) for p in self.snapshots())


if __name__ == "__main__":
    folder = SnapshotFolder(Path(sys.argv[1] if len(sys.argv) > 1 else "data"))
    print(f"dropped {folder.compact_all()} expired keys")
