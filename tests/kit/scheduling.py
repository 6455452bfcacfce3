"""How the suite is spread over pytest-xdist workers (`./start.sh test` runs `--dist loadgroup`).

A package's bot (`python -m bot`: ~2 s of CPU to start, forked by tests/kit/forkserver.py, and its rendering
pool ~2 s more) is built once per worker that runs one of the package's files. So the files whose tests take
the package's `tg` or `bot` as a parameter go to one worker, as one unit; every other file is a unit of its
own, as with `--dist loadfile`, so its module fixtures are still built once. The units that take longest go
first (tests/kit/durations.py, else a few seconds a test), so that no long unit starts last and holds up the
end of the run; a worker takes the next unit when it is almost done with its own.

The unit is chosen from the test file's text: the scheduler runs in xdist's controller, which sees test ids,
not fixtures (and xdist's own `xdist_group` marks do not reach it under pytest 9). A file that reaches the
bot only through another fixture stays a unit of its own: it costs one more bot start, nothing else.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from xdist.scheduler import LoadScopeScheduling
from xdist.workermanage import WorkerController

from tests.kit.durations import SECONDS

# A file with no measured figure: about what a test takes on average.
_SECONDS_A_TEST = 3
_TAKES_THE_BOT = re.compile(r"(^|[(,])\s*(tg|bot)\s*:", re.MULTILINE)


@cache
def unit_of(root: Path, path: str) -> str:
    """The scheduling unit of the test file at `path` (relative to `root`): its package's bot unit, or
    the file itself."""
    try:
        takes_the_bot = bool(_TAKES_THE_BOT.search((root / path).read_text(encoding="utf-8")))
    except OSError:
        takes_the_bot = False
    return f"{Path(path).parent}: the bot's files" if takes_the_bot else path


class BotUnitScheduling(LoadScopeScheduling):
    def _split_scope(self, nodeid: str) -> str:
        return unit_of(self.config.rootpath, nodeid.split("::", 1)[0])

    def _assign_work_unit(self, node: WorkerController) -> None:
        longest = max(self.workqueue, key=lambda unit: _seconds(self.workqueue[unit]))
        self.workqueue.move_to_end(longest, last=False)
        super()._assign_work_unit(node)


def _seconds(tests: dict[str, bool]) -> int:
    """How long a unit (its tests' node ids) is expected to take."""
    counts: dict[str, int] = {}
    for nodeid in tests:
        path = nodeid.split("::", 1)[0]
        counts[path] = counts.get(path, 0) + 1
    return sum(SECONDS.get(path, _SECONDS_A_TEST * count) for path, count in counts.items())
