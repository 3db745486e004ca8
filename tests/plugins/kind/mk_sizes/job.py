"""The kind's job: one folder's files and bytes. A picklable dataclass, as every job is."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from mediakeeper.batch.job import ItemFailure, ItemResult
from mediakeeper.core.findings import finding_of, finding_record


@dataclass
class SizesJob:
    smallest: int = 0
    hidden: bool = False

    def measure(self, folder: str) -> tuple[int, int]:
        files = size = 0
        for top, dirs, names in os.walk(folder):
            if not self.hidden:
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                names = [n for n in names if not n.startswith(".")]
            files += len(names)
            size += sum(os.path.getsize(os.path.join(top, n)) for n in names)
        return files, size

    def process(self, item: dict[str, Any]) -> ItemResult:
        try:
            files, size = self.measure(item["path"])
        except OSError as err:
            raise ItemFailure("measure", str(err)) from err
        found = []
        if size < self.smallest:
            found.append(finding_of("small-folder", "", f"{size} bytes in {files} files"))
        return ItemResult(
            counts={"issues_found": len(found)},
            details={"files": files, "bytes": size,
                     "findings": [finding_record(f) for f in found]},
            summary=f"{files} files, {size} bytes",
        )
