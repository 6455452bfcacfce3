"""The rules of OTA rollouts and firmware versions, without a database, broker or Telegram."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.services.ota import signing
from core.services.ota.rules import (
    Counts,
    NotAllowed,
    RolloutState,
    Scope,
    TargetState,
    Verdict,
    advance,
    after_action,
    canary_stages,
    is_silent,
    parse_soak,
    stage_quota,
    stages_for,
    verdict,
    widens_at,
)
from core.services.ota.versions import NotAVersion, Version, is_newer

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_semver_orders_numbers_not_text_and_releases_above_their_prereleases() -> None:
    assert Version("2.0.10") > Version("2.0.9")
    assert Version("2.1.0") > Version("2.1.0-rc.2") > Version("2.1.0-rc.1") > Version("2.0.9")
    assert Version("1.0.0-alpha.beta") > Version("1.0.0-alpha.1")


@pytest.mark.parametrize("text", ["2.0", "v2.0.1", "02.0.1", "2.0.1 beta", "1.2.3-", "", "1.2.3-" + "x" * 20])
def test_not_a_semantic_version_is_refused(text: str) -> None:
    with pytest.raises(NotAVersion):
        Version(text)


def test_newer_than_the_latest_or_than_nothing() -> None:
    assert is_newer("2.0.2", "2.0.1")
    assert not is_newer("2.0.1", "2.0.1")
    assert not is_newer("1.9.9", "2.0.1")
    assert is_newer("1.0.0", None)


def test_a_canary_of_a_small_fleet_still_updates_one_device_and_100_percent_covers_all() -> None:
    assert stage_quota(10, 5) == 1
    assert stage_quota(200, 5) == 10
    assert stage_quota(7, 25) == 2
    assert stage_quota(7, 100) == 7
    assert stage_quota(0, 5) == 0


def test_canary_stages_must_rise_to_100_and_others_are_one_stage() -> None:
    assert stages_for(Scope.CANARY) == [5, 25, 100]
    assert stages_for(Scope.ALL) == [100]
    assert stages_for(Scope.DEVICE) == [100]
    for bad in ([5, 25], [25, 5, 100], [0, 100], []):
        with pytest.raises(ValueError):
            stages_for(Scope.CANARY, bad)


def test_a_finished_device_stays_finished_whatever_it_repeats() -> None:
    assert advance(TargetState.PENDING, TargetState.DOWNLOADING) is TargetState.DOWNLOADING
    assert advance(TargetState.INSTALLING, TargetState.ROLLED_BACK) is TargetState.ROLLED_BACK
    assert advance(TargetState.SUCCESS, TargetState.DOWNLOADING) is TargetState.SUCCESS
    assert advance(TargetState.FAILED, TargetState.SUCCESS) is TargetState.FAILED


def test_a_device_silent_past_the_timeout_counts_as_failed_but_not_before_publication() -> None:
    timeout = timedelta(minutes=30)
    assert is_silent(NOW - timedelta(minutes=31), None, NOW, timeout)
    assert not is_silent(NOW - timedelta(minutes=31), NOW - timedelta(minutes=5), NOW, timeout)
    assert not is_silent(None, None, NOW, timeout)


def _counts(**by_state: int) -> Counts:
    return Counts(by_state)


def test_a_canary_with_more_failures_than_the_threshold_halts() -> None:
    assert (
        verdict(_counts(failed=1, rolled_back=1, success=3), threshold=1, last_stage=False, now=NOW)
        is Verdict.HALT
    )
    assert verdict(_counts(failed=2, downloading=4), threshold=1, last_stage=False, now=NOW) is Verdict.HALT


def test_failures_up_to_the_threshold_let_the_stage_finish_and_widen() -> None:
    assert (
        verdict(_counts(failed=1, installing=2), threshold=1, last_stage=False, now=NOW) is Verdict.CONTINUE
    )
    assert verdict(_counts(failed=1, success=4), threshold=1, last_stage=False, now=NOW) is Verdict.STAGE_DONE
    assert verdict(_counts(success=5), threshold=0, last_stage=True, now=NOW) is Verdict.DONE


def test_a_stage_that_ended_within_the_threshold_widens_by_itself_once_its_soak_is_over() -> None:
    ended = NOW - timedelta(minutes=10)
    soaked = widens_at(ended, timedelta(minutes=10))
    soaking = widens_at(ended, timedelta(minutes=11))
    done = _counts(failed=1, success=4)
    assert verdict(done, threshold=1, last_stage=False, widen_at=soaked, now=NOW) is Verdict.WIDEN
    assert verdict(done, threshold=1, last_stage=False, widen_at=soaking, now=NOW) is Verdict.STAGE_DONE
    # Without a soak time only the operator widens; a stage still working, or over its threshold, never.
    assert widens_at(ended, None) is None and widens_at(None, timedelta(minutes=1)) is None
    assert verdict(done, threshold=1, last_stage=False, widen_at=None, now=NOW) is Verdict.STAGE_DONE
    working = _counts(success=4, installing=1)
    assert verdict(working, threshold=1, last_stage=False, widen_at=soaked, now=NOW) is Verdict.CONTINUE
    failing = _counts(failed=2, success=3)
    assert verdict(failing, threshold=1, last_stage=False, widen_at=soaked, now=NOW) is Verdict.HALT
    assert verdict(done, threshold=1, last_stage=True, widen_at=soaked, now=NOW) is Verdict.DONE


def test_a_canary_of_the_operators_size_goes_on_to_a_quarter_and_then_all() -> None:
    assert canary_stages(5) == [5, 25, 100]
    assert canary_stages(25) == [25, 100]
    assert canary_stages(50) == [50, 100]
    assert stages_for(Scope.CANARY, canary_stages(1)) == [1, 25, 100]
    for size in (0, 100, -5):
        with pytest.raises(ValueError):
            canary_stages(size)


@pytest.mark.parametrize(
    ("text", "seconds"), [("45s", 45), ("30m", 1800), ("2h", 7200), ("1 d", 86400), ("90 MIN", 5400)]
)
def test_an_operator_types_a_soak_time_with_its_unit(text: str, seconds: int) -> None:
    assert parse_soak(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "30", "0m", "8d", "2 hours", "1h30m", "-5m"])
def test_a_soak_time_without_a_unit_or_beyond_a_week_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_soak(text)


def test_operator_actions_apply_only_where_they_make_sense() -> None:
    assert after_action(RolloutState.RUNNING, "pause") is RolloutState.PAUSED
    assert after_action(RolloutState.PAUSED, "resume") is RolloutState.RUNNING
    assert after_action(RolloutState.HALTED, "resume") is RolloutState.RUNNING
    assert after_action(RolloutState.HALTED, "cancel") is RolloutState.CANCELLED
    for state, action in (
        (RolloutState.CANCELLED, "resume"),
        (RolloutState.DONE, "cancel"),
        (RolloutState.PAUSED, "pause"),
    ):
        with pytest.raises(NotAllowed):
            after_action(state, action)


def test_a_signature_verifies_only_for_its_digest_and_its_key() -> None:
    key = signing.load_private_key(signing.new_private_pem())
    public = signing.load_public_key(signing.public_pem(key))
    digest = signing.sha256_of([b"firmware ", b"image"])
    signature = signing.sign(key, digest)
    assert signing.verify(public, digest, signature)
    assert not signing.verify(public, signing.sha256_of([b"tampered image"]), signature)
    other = signing.load_public_key(signing.public_pem(signing.load_private_key(signing.new_private_pem())))
    assert not signing.verify(other, digest, signature)
    assert not signing.verify(public, digest, "not base64!")


def test_a_key_that_is_not_ed25519_pem_is_refused() -> None:
    with pytest.raises(signing.BadKey):
        signing.load_private_key("-----BEGIN PRIVATE KEY-----\nnonsense\n-----END PRIVATE KEY-----\n")
