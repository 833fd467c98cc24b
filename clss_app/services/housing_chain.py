"""住房链 (the blockchain housing registry), as the app speaks to it: an interface and its HTTP adapter.

Protocol (JSON both ways, every message signed as the bank's are, clss_app/core/signing.py, with the
platform's 住房链 key):

POST {base}/chain/listing/batches       header Idempotency-Key: <batch number>
    batch_no, day, platform_code, platform_name, project, city, rooms (JSON text: a list of
    {ref, room_no, external_code, latitude, longitude, cover, photos}), timestamp, sign
    -> {code: "0000", batch_no, results (JSON text: a list of {ref, ok, chain_code, code, message}), sign}.
The chain keys a day's listing batch by its number: the same batch sent again (a retry after a lost
answer) is answered as before and lists nothing twice. Each room's result says 上架成功 (with the
chain's own code of the room) or why not (code and message, e.g. 4002 来源平台房间编号已被其他房源使用).

CLSS_CHAIN_URL names the chain (default: CLSS_PAY_URL's sandbox, as the demo and the tests run it);
CLSS_CHAIN_KEY is the key the chain gave the platform (default: the sandbox's).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import date
from typing import Protocol

import httpx

from clss_app.services import signed_http
from clss_app.services.pay_gateway import DEFAULT_URL

SANDBOX_KEY = "sandbox-chain-key-7a41d0c2e95b3f68"
TIMEOUT = httpx.Timeout(10.0, connect=2.0)
ATTEMPTS = 3


class ChainError(Exception):
    """住房链 could not be reached or refused the batch; ``str()`` is the message for the user."""


@dataclass(frozen=True)
class RoomListing:
    ref: str  # our room id: the chain answers each room by it
    room_no: str
    external_code: str
    latitude: str
    longitude: str
    cover: str
    photos: int


@dataclass(frozen=True)
class Batch:
    batch_no: str
    day: date
    platform_code: str
    platform_name: str
    project: str
    city: str
    rooms: list[RoomListing]


@dataclass(frozen=True)
class RoomResult:
    ref: str
    ok: bool
    chain_code: str = ""
    message: str = ""  # why not, in the chain's words


class HousingChain(Protocol):
    def list_batch(self, batch: Batch) -> list[RoomResult]: ...


def base_url() -> str:
    return (os.environ.get("CLSS_CHAIN_URL") or os.environ.get("CLSS_PAY_URL") or DEFAULT_URL).rstrip("/")


def key() -> str:
    return os.environ.get("CLSS_CHAIN_KEY") or SANDBOX_KEY


class HttpHousingChain:
    """The chain over HTTP: signed, with a timeout, sent again after a timeout, a lost connection or a 5xx
    under the same batch number (the chain answers a batch it has as before)."""

    def list_batch(self, batch: Batch) -> list[RoomResult]:
        fields = {
            "batch_no": batch.batch_no,
            "day": batch.day.isoformat(),
            "platform_code": batch.platform_code,
            "platform_name": batch.platform_name,
            "project": batch.project,
            "city": batch.city,
            "rooms": json.dumps([asdict(r) for r in batch.rooms], ensure_ascii=False),
        }
        try:
            answer = signed_http.call(
                "POST",
                base_url() + "/chain/listing/batches",
                fields,
                key(),
                timeout=TIMEOUT,
                attempts=ATTEMPTS,
                backoff=0.3,
                headers={"Idempotency-Key": batch.batch_no},
            )
        except signed_http.BadSignature:
            raise ChainError("住房链应答签名错误，请联系技术人员核对住房链通信密钥") from None
        except signed_http.Unreachable as exc:
            raise ChainError(f"住房链暂不可用（{exc}），将在下次日终批量时重试") from None
        if answer.get("code") != "0000" or answer.get("batch_no") != batch.batch_no:
            raise ChainError(f"住房链拒绝受理：{answer.get('message') or answer.get('code')}")
        try:
            raw = json.loads(str(answer.get("results") or "[]"))
            return [
                RoomResult(str(r["ref"]), bool(r["ok"]), str(r.get("chain_code") or ""), str(r.get("message") or ""))
                for r in raw
            ]
        except (ValueError, TypeError, KeyError):
            raise ChainError("住房链返回的上架结果无法识别") from None


def gateway() -> HousingChain:
    return HttpHousingChain()
