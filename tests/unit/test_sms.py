"""The SMS adapter against the sandbox's gateway: a message sent lands in the outbox once with its id; a
refused number, a gateway that stays down or answers unsigned raise SmsFailed with a Chinese reason; a
lost answer is sent again under the same key and delivered once."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest

from clss_app.services import sms
from tests.sandbox_server import sandbox_call


@pytest.fixture
def gateway(sandbox_url, monkeypatch) -> Iterator[str]:
    monkeypatch.setenv("CLSS_SMS_URL", sandbox_url)
    monkeypatch.setattr(sms, "TIMEOUT", sms.httpx.Timeout(1.0, connect=1.0))
    sandbox_call(sandbox_url, "/sandbox/sms/control", {"reset": True})
    yield sandbox_url
    sandbox_call(sandbox_url, "/sandbox/sms/control", {"reset": True})  # no fault left for the API tests


def _outbox(url: str, phone: str = "") -> list[dict]:
    with urllib.request.urlopen(f"{url}/sandbox/sms/outbox?phone={phone}", timeout=10) as r:
        return json.loads(r.read())["messages"]


def test_sent_message_lands_in_the_outbox(gateway):
    mid = sms.send("13800000001", "您的验证码是 123456")
    assert mid.startswith("SM")
    got = _outbox(gateway, "13800000001")
    assert [(m["message_id"], m["text"]) for m in got] == [(mid, "您的验证码是 123456")]
    assert _outbox(gateway, "13800000002") == []


def test_bad_input_is_refused_before_sending(gateway):
    for phone, text in (("1380000", "x"), ("13800000001", ""), ("abc", "x"), ("13800000001", "字" * 501)):
        with pytest.raises(sms.SmsFailed):
            sms.send(phone, text)
    assert _outbox(gateway) == []


def test_refused_number_gives_the_reason(gateway):
    sandbox_call(gateway, "/sandbox/sms/control", {"refuse": {"13800000003": "该号码已停机"}})
    with pytest.raises(sms.SmsFailed) as caught:
        sms.send("13800000003", "hi")
    assert caught.value.reason == "该号码已停机"


def test_lost_answer_is_sent_again_and_delivered_once(gateway):
    sandbox_call(gateway, "/sandbox/sms/control", {"lose_next": 1})
    sms.send("13800000004", "验证码 654321")
    assert len(_outbox(gateway, "13800000004")) == 1


def test_gateway_down_raises_with_chinese_reason(gateway):
    sandbox_call(gateway, "/sandbox/sms/control", {"fail_next": 5})
    with pytest.raises(sms.SmsFailed) as caught:
        sms.send("13800000005", "x")
    assert "短信平台暂不可用" in caught.value.reason
    assert _outbox(gateway, "13800000005") == []


def test_wrong_key_is_refused(gateway, monkeypatch):
    monkeypatch.setenv("CLSS_SMS_KEY", "not-the-gateway-key")
    with pytest.raises(sms.SmsFailed):  # the sandbox answers 400 unsigned: not a message id
        sms.send("13800000006", "x")
    assert _outbox(gateway, "13800000006") == []


def test_a_callers_ref_makes_a_resend_one_message_and_a_bad_ref_is_refused(gateway):
    first = sms.send("13800000007", "您的账单已确认", "nm42tabcdef")
    assert sms.send("13800000007", "您的账单已确认", "nm42tabcdef") == first
    assert len(_outbox(gateway, "13800000007")) == 1
    for bad in ("short", "含中文的编号abcdefg", "x" * 65):
        with pytest.raises(sms.SmsFailed):
            sms.send("13800000007", "x", bad)
    assert len(_outbox(gateway, "13800000007")) == 1
