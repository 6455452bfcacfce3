"""Alert evaluation on the ingest path: rules and states in memory, persisted states and notices out.

The processor keeps one `RuleBook`: every enabled rule of every device with alerts on, each with the state
stored for it in `alert_states`. It is loaded once; a device's entries are reloaded when the ALERTING_CHANGED
NOTIFY names it (database triggers send it whenever a rule, a device's alerts switch or a stored state
changes, whoever wrote it). A batch of readings is then evaluated in memory, set-wise: readings of devices
without rules, metrics without a rule, and values on the safe side of a quiet rule cost a look-up and nothing
more; the database is asked only which devices came back online and, when a state really changed, to write
it and fan the notices out. The memory mirrors `alert_states` exactly: what a batch changes without
persisting it (the last value and time of a rule that stays where it was) is forgotten after the batch, as
when every batch re-read the rows, so a restart, a second processor or `evaluate_batch` see the same states.

Everything happens in the caller's transaction; nothing is committed here, so states, alert rows, outbox rows
and the NOTIFY land together or not at all. A caller whose transaction does not commit calls `forget_all`.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core import payloads
from core.alerts import InvalidRule, Rule, State, Status, Transition, TransitionKind, evaluate
from core.services import notices, presence

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeviceReading:
    """One reading of one device: `values` maps metric names (co2, pm25, …) to values; None means absent."""

    device_id: int
    ts: datetime
    values: Mapping[str, float | None]


@dataclass(slots=True)
class _Watched:
    """A rule with the state stored for it, and the state it reaches as a batch's readings go through."""

    rule_id: int
    device_id: int
    rule: Rule
    stored: State
    # alert_states.updated_at as stored (None: no row yet); the write-back only lands if it is unchanged.
    stored_at: datetime | None
    state: State = field(init=False)
    transitions: list[Transition] = field(default_factory=list)
    in_play: bool = False  # some reading of the current batch was evaluated against it

    def __post_init__(self) -> None:
        self.state = self.stored

    @property
    def changed(self) -> bool:
        # last_value/last_ts move with every reading; writing them each time would cost a row update per
        # rule per reading. They are saved whenever something that matters is.
        before, after = self.stored, self.state
        moved = (before.status, before.since, before.peak) != (after.status, after.since, after.peak)
        return moved or bool(self.transitions)

    def settle(self, *, stored: bool) -> None:
        """End of a batch: the evaluated state is now the stored one, or is forgotten (it was not stored)."""
        if stored:
            self.stored, self.stored_at = self.state, self.state.last_ts
        else:
            self.state = self.stored
        self.transitions = []
        self.in_play = False


@dataclass(frozen=True, slots=True)
class Outcome:
    transitions: int = 0
    fan_out: notices.FanOut = field(default_factory=notices.FanOut)


_RULES = """
SELECT r.id, r.device_id, r.metric, r.direction, r.threshold, r.clear_level, r.hold_seconds, r.critical,
       s.state, s.since, s.last_value, s.peak_value, s.updated_at
FROM alert_rules r
JOIN device_configs c ON c.device_id = r.device_id AND c.alerts_enabled
LEFT JOIN alert_states s ON s.rule_id = r.id
WHERE r.enabled
"""
_ALL_RULES = text(_RULES)
_RULES_OF = text(_RULES + " AND r.device_id = ANY(CAST(:ids AS int[]))")


class RuleBook:
    """The rules and stored states of the devices, in memory (see the module docstring)."""

    def __init__(self, devices: Iterable[int] | None = None) -> None:
        """A book of every device (the processor's), or of `devices` only (one batch's, e.g. in tests)."""
        self._devices: dict[int, list[_Watched]] = {}
        self._stale: set[int] = set(devices or ())
        self._all_stale = devices is None
        # ALERTING_CHANGED signals our own state writes will cause, per device: those need no reload (the
        # book already holds what was written). Counted before the commit, since the signal may be handled
        # before the commit's answer; PostgreSQL folds one device's repeats within a transaction into one.
        self._own_signals: Counter[int] = Counter()

    def watches(self, device_id: int) -> bool:
        """Whether a reading of this device may matter (any may, until the book is first loaded)."""
        return self._all_stale or device_id in self._devices or device_id in self._stale

    def crosses(self, device_id: int, reading: payloads.Reading, clock: Callable[[], datetime]) -> bool:
        """Whether `reading` alone would take a rule of the device from its stored state to a transition: a
        notice is probably due. Memory only, no side effect, a few look-ups for the usual quiet reading
        (`clock` is read only when a rule has to be evaluated); a hint for the writer's haste, never a
        decision (the evaluation after commit decides)."""
        for item in self._devices.get(device_id, ()):
            value = reading.value(item.rule.metric)
            if value is None:
                continue
            if item.stored.status is Status.OK and not item.rule.is_beyond(value, item.rule.threshold):
                continue
            at = datetime.fromtimestamp(reading.ts, UTC)
            if evaluate(item.rule, item.stored, value, at, clock())[1] is not None:
                return True
        return False

    def forget(self, device_id: int) -> None:
        """Reload this device's rules and states from the database before the next evaluation."""
        self._stale.add(device_id)

    def changed(self, device_id: int) -> None:
        """An ALERTING_CHANGED signal named the device: reload it, unless the signal is the echo of our own
        committed state write (`evaluate` counts those)."""
        if self._own_signals[device_id] > 0:
            self._own_signals[device_id] -= 1
            if not self._own_signals[device_id]:
                del self._own_signals[device_id]
            return
        self._stale.add(device_id)

    def forget_all(self) -> None:
        """Reload everything before the next evaluation (NOTIFYs were missed, or a transaction failed)."""
        self._all_stale = True
        self._stale.clear()
        # A signal we counted on may never come (the transaction did not commit, the LISTEN connection was
        # lost): an echo is taken for someone else's change from now on, which costs a reload at most.
        self._own_signals.clear()

    async def evaluate(
        self,
        session: AsyncSession,
        readings: Sequence[DeviceReading],
        now: datetime,
        *,
        seen: Collection[int] | None = None,
    ) -> Outcome:
        """Run the alert engine over `readings` (any order; taken per device in time order) at server time
        `now`.

        Guarantees: devices with alerts disabled are skipped; a device that was offline (among `seen`, by
        default the readings' devices) is back online; each transition of a rule is announced once (state
        persisted with it, so a restart neither re-fires nor forgets); backlog readings fire nothing. Runs in
        the caller's transaction; the caller commits, or calls `forget_all` when it cannot.
        """
        if seen is None:
            seen = {reading.device_id for reading in readings}
        if not seen:
            return Outcome()
        await presence.mark_back_online(session, await _offline_among(session, seen), now)
        if not readings:
            return Outcome()
        await self._refresh(session)
        try:
            return await self._evaluate(session, readings, now)
        except BaseException:
            self.forget_all()  # states half-way through a batch must not outlive it
            raise

    async def _evaluate(
        self, session: AsyncSession, readings: Sequence[DeviceReading], now: datetime
    ) -> Outcome:
        in_play = self._run(readings, now)
        if not in_play:
            return Outcome()
        landed = await _persist(session, [item for item in in_play if item.changed])
        self._own_signals.update({item.device_id for item in in_play if item.rule_id in landed})
        fired = sorted(
            ((item, tr) for item in in_play if item.rule_id in landed for tr in item.transitions),
            key=lambda pair: pair[1].at,  # a user's alert history reads in the order things happened
        )
        due = [_notice(item.device_id, transition) for item, transition in fired]
        for item in in_play:
            if item.changed and item.rule_id not in landed:
                self.forget(item.device_id)  # another evaluator wrote it meanwhile: read what it wrote
            item.settle(stored=item.rule_id in landed)
        result = await notices.fan_out(session, due, now)
        return Outcome(transitions=len(fired), fan_out=result)

    async def load(self, session: AsyncSession) -> None:
        """Read what is marked for reloading (at first: everything) now rather than at the next evaluation."""
        await self._refresh(session)

    async def _refresh(self, session: AsyncSession) -> None:
        # Marks are taken before the query: a NOTIFY arriving meanwhile marks again for the next batch.
        if self._all_stale:
            self._all_stale, self._stale = False, set()
            try:
                self._devices = _group(await session.execute(_ALL_RULES))
            except BaseException:
                self._all_stale = True
                raise
            log.info("alert rules loaded devices=%s", len(self._devices))
        elif self._stale:
            ids, self._stale = sorted(self._stale), set()
            try:
                loaded = _group(await session.execute(_RULES_OF, {"ids": ids}))
            except BaseException:
                self._stale.update(ids)
                raise
            for device_id in ids:
                self._devices.pop(device_id, None)
            self._devices.update(loaded)

    def _run(self, readings: Iterable[DeviceReading], now: datetime) -> list[_Watched]:
        """Evaluate in memory; the rules some reading was evaluated against, in the order first met."""
        devices = self._devices
        mine = sorted((r for r in readings if r.device_id in devices), key=lambda r: (r.device_id, r.ts))
        in_play: list[_Watched] = []
        for reading in mine:
            for item in devices[reading.device_id]:
                value = reading.values.get(item.rule.metric)
                if value is None:
                    continue
                if not item.in_play:
                    # A quiet rule and a value on its safe side: the engine would change nothing but the
                    # last value, which is not stored anyway. Only a rule that is not OK, or a value beyond
                    # the threshold, puts the rule in play for the rest of the batch.
                    if item.state.status is Status.OK and not item.rule.is_beyond(value, item.rule.threshold):
                        continue
                    item.in_play = True
                    in_play.append(item)
                item.state, transition = evaluate(item.rule, item.state, value, reading.ts, now)
                if transition is not None:
                    item.transitions.append(transition)
        return in_play


def _group(rows: Iterable[Any]) -> dict[int, list[_Watched]]:
    devices: dict[int, list[_Watched]] = {}
    for row in rows:
        try:
            rule = Rule.from_row(row)
        except InvalidRule as error:
            log.warning("alert rule skipped rule_id=%s device_id=%s error=%s", row.id, row.device_id, error)
            continue
        stored = State.from_row(row if row.state is not None else None)
        devices.setdefault(row.device_id, []).append(
            _Watched(row.id, row.device_id, rule, stored, row.updated_at)
        )
    return devices


# Optimistic write-back: a row another evaluator changed since we read it is left alone (and our
# transitions for it are dropped), so two processors sharing a device never announce one episode twice.
_UPDATE = text("""
UPDATE alert_states AS s
SET state = v.state, since = v.since, last_value = v.last_value, peak_value = v.peak_value,
    updated_at = v.updated_at
FROM unnest(CAST(:ids AS int[]), CAST(:states AS text[]), CAST(:since AS timestamptz[]),
            CAST(:last AS float8[]), CAST(:peak AS float8[]), CAST(:updated AS timestamptz[]),
            CAST(:prev AS timestamptz[]))
    AS v(rule_id, state, since, last_value, peak_value, updated_at, prev)
WHERE s.rule_id = v.rule_id AND s.updated_at = v.prev
RETURNING s.rule_id
""")
_INSERT = text("""
INSERT INTO alert_states (rule_id, state, since, last_value, peak_value, updated_at)
SELECT * FROM unnest(CAST(:ids AS int[]), CAST(:states AS text[]), CAST(:since AS timestamptz[]),
                     CAST(:last AS float8[]), CAST(:peak AS float8[]), CAST(:updated AS timestamptz[]))
ON CONFLICT (rule_id) DO NOTHING
RETURNING rule_id
""")


async def evaluate_batch(session: AsyncSession, readings: Sequence[DeviceReading], now: datetime) -> Outcome:
    """`RuleBook.evaluate` with the rules and states of the batch's devices read afresh (one batch, no book
    kept): the same guarantees, in the caller's transaction."""
    book = RuleBook(devices={reading.device_id for reading in readings})
    return await book.evaluate(session, readings, now)


# Devices with an open offline episode are few: finding them costs one small query, where checking every
# device of the batch by id (thousands) was a tenth of the processor's time in the ingest benchmark.
_OPEN_EPISODES = text("SELECT id FROM devices WHERE offline_since IS NOT NULL")


async def _offline_among(session: AsyncSession, device_ids: Collection[int]) -> list[int]:
    """Those of `device_ids` with an open offline episode now (mark_back_online locks and rechecks them)."""
    open_episodes = set(await session.scalars(_OPEN_EPISODES))
    if not open_episodes:
        return []
    return sorted(open_episodes.intersection(device_ids))


async def _persist(session: AsyncSession, changed: list[_Watched]) -> set[int]:
    """Write the changed states back; returns the rule ids whose write landed."""
    existing = [item for item in changed if item.stored_at is not None]
    new = [item for item in changed if item.stored_at is None]
    landed: set[int] = set()
    if existing:
        params = {**_columns(existing), "prev": [item.stored_at for item in existing]}
        landed.update(await session.scalars(_UPDATE, params))
    if new:
        landed.update(await session.scalars(_INSERT, _columns(new)))
    lost = len(changed) - len(landed)
    if lost:
        log.warning("alert states changed concurrently, transitions left to the other writer count=%s", lost)
    return landed


def _columns(items: list[_Watched]) -> dict[str, list[Any]]:
    rows = [item.state.as_row() for item in items]
    return {
        "ids": [item.rule_id for item in items],
        "states": [row["state"] for row in rows],
        "since": [row["since"] for row in rows],
        "last": [row["last_value"] for row in rows],
        "peak": [row["peak_value"] for row in rows],
        "updated": [row["updated_at"] for row in rows],
    }


def _notice(device_id: int, transition: Transition) -> notices.Notice:
    details: dict[str, Any] = {
        "metric": transition.metric,
        "direction": transition.direction.value,
        "since": transition.since.isoformat(),
        "peak": transition.peak,
        "recovered": transition.kind is TransitionKind.RECOVERED,
    }
    if transition.duration is not None:
        details["duration_seconds"] = round(transition.duration.total_seconds())
    return notices.Notice(
        device_id=device_id,
        alert_type=transition.alert_type,
        value=transition.value,
        threshold=transition.threshold,
        critical=transition.critical,
        details=details,
    )
