"""Auto-send through the view-model: records leave by themselves when the server is reachable,
locked or not; Home's words follow; the setting turns it off; a revoked tablet is erased.

The real store and the real agency server (in process); the network is a switch the test
flips. The sender runs unthreaded here, one round per ``step()``, as its thread would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.store import Store
from app.ui.autosend import AutoSender, SendLog
from app.ui.model import AppModel, Route
from sync.client import SyncClient
from tests.app.ui.conftest import PIN, QUESTIONNAIRES, Agency, Clock, InProcessTransport
from tests.app.ui.test_model import answer_skeleton, start_skeleton


class Network(httpx.BaseTransport):
    """The agency server behind a switch: ``up = False`` is an outage."""

    def __init__(self, app: Any) -> None:
        self.inner = InProcessTransport(app)
        self.up = True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("down", request=request)
        return self.inner.handle_request(request)


@pytest.fixture
def network(agency: Agency) -> Network:
    return Network(agency.app)


@pytest.fixture
def device(
    store: Store, tmp_path: Path, agency: Agency, clock: Clock, network: Network
) -> AppModel:
    def factory(url: str, token: str | None) -> SyncClient:
        return SyncClient(url, token, transport=network)

    m = AppModel(store, tmp_path / "device", QUESTIONNAIRES, sync_factory=factory, monotonic=clock)
    assert m.set_pin(PIN, PIN)
    assert m.enrol(agency.qr_text())
    return m


def finish_one(m: AppModel) -> None:
    start_skeleton(m)
    answer_skeleton(m)
    assert m.finish()
    m.close_summary()


def test_a_record_sealed_during_an_outage_leaves_by_itself_when_the_server_returns(
    device: AppModel, agency: Agency, network: Network
) -> None:
    assert device.sender.active
    network.up = False
    finish_one(device)
    device.sender.step()
    assert len(device.pending()) == 1
    assert device.sender.log.failing and device.sender.log.last_failure_code == "unreachable"
    assert device.check_sender()  # Home is drawn again with the problem in plain words
    assert agency.envelopes() == []

    network.up = True
    device.sender.step()
    assert device.pending() == []
    (record,) = agency.envelopes()
    assert record["values"]["case_code"] == "BG-7"
    assert not device.sender.log.failing
    assert device.check_sender() and device.sync.last_sync == device.sender.log.last_success
    assert not device.check_sender()  # nothing new, nothing redrawn


def test_records_leave_while_the_app_is_locked(
    device: AppModel, agency: Agency, network: Network
) -> None:
    network.up = False
    finish_one(device)
    device.lock()
    assert device.store.locked and device.route is Route.UNLOCK
    network.up = True
    device.sender.step()
    assert len(agency.envelopes()) == 1
    assert device.pending() == []
    assert device.store.locked  # sending needed no PIN, and unlocked nothing
    assert not device.check_sender()  # the lock screen shows nothing about sending


def test_a_configuration_that_arrives_while_locked_is_saved_at_the_next_unlock(
    device: AppModel, agency: Agency
) -> None:
    site = agency.settings.config_dir / "sites" / "default.yaml"
    site.write_text(site.read_text("utf-8").replace("Medical point", "Clinic by the gate"), "utf-8")
    device.lock()
    device.sender.step()
    assert device.unlock(PIN)
    names = [e["name"] for e in device.referral_directory()]
    assert "Clinic by the gate" in names


def test_auto_send_off_keeps_records_for_send_and_is_remembered(
    device: AppModel, agency: Agency, store: Store, tmp_path: Path, clock: Clock
) -> None:
    device.set_auto_send(False)
    assert not device.sender.active
    finish_one(device)
    device.sender.step()
    assert agency.envelopes() == [] and len(device.pending()) == 1
    saved = json.loads((tmp_path / "device" / "ui-settings.json").read_text("utf-8"))
    assert saved["auto_send"] is False
    again = AppModel(store, tmp_path / "device", QUESTIONNAIRES, monotonic=clock)
    assert again.settings.auto_send is False and not again.sender.enabled

    state = device.sync_now()
    assert state.error_code is None and len(agency.envelopes()) == 1
    (entry,) = device.sender.log.entries
    assert (entry.how, entry.sent, entry.error) == ("manual", 1, None)
    device.set_auto_send(True)
    assert device.sender.active


def test_a_revoked_tablet_is_erased_and_asks_for_a_new_pin(
    device: AppModel, agency: Agency
) -> None:
    from sync.server.admin import revoke_device

    enrolment = device.store.enrolment
    assert enrolment is not None
    revoke_device(agency.settings, enrolment.device_id)
    device.go(Route.SETTINGS)
    device.sender.step()
    assert device.store.needs_pin_setup and not device.sender.active
    assert device.check_sender()
    assert device.route is Route.SET_PIN
    assert device.notice is not None and device.notice.code == "device_revoked"
    # re-enrolment: a new PIN, a new code, and sending starts again
    assert device.set_pin(PIN, PIN) and device.route is Route.ENROL
    assert device.enrol(agency.qr_text()) and device.sender.active


def test_the_send_log_holds_times_counts_and_codes_only(tmp_path: Path) -> None:
    log = SendLog.load(tmp_path)
    log.failed("auto", "unreachable")
    log.failed("auto", "unreachable")  # the same failure again: one line
    log.succeeded("auto", 2, 0)
    again = SendLog.load(tmp_path)
    assert [(e.how, e.sent, e.error) for e in again.entries] == [
        ("auto", 0, "unreachable"),
        ("auto", 2, None),
    ]
    assert not again.failing
    raw = json.loads((tmp_path / "send-log.json").read_text("utf-8"))
    assert set(raw["entries"][0]) == {"at", "how", "sent", "problems", "error"}


def test_a_sender_is_shared_by_every_page_of_one_store(
    store: Store, tmp_path: Path, agency: Agency, clock: Clock
) -> None:
    sender = AutoSender(store, tmp_path / "device", agency.client, threaded=False)
    pages = [
        AppModel(
            store,
            tmp_path / "device",
            QUESTIONNAIRES,
            sync_factory=agency.client,
            sender=sender,
            monotonic=clock,
        )
        for _ in range(2)
    ]
    first, second = pages
    assert first.set_pin(PIN, PIN) and first.enrol(agency.qr_text())
    assert second.sender is first.sender and sender.active
