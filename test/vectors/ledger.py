#!/usr/bin/env python3
"""The ledger's payload, content and chain hashes computed from docs/ledger.md ("Hash formats")
alone, with Python's hashlib and json, independently of api/ledger/canonical.ts.

Regenerate with: python3 test/vectors/ledger.py > test/vectors/ledger.json
"""
import hashlib
import json


def canonical_json(value):
    """Compact JSON as JavaScript's JSON.stringify writes it, object keys sorted recursively."""
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical_json(value[k]) for k in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical_json(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def account_ref(ref):
    if "id" in ref:
        return f"id:{ref['id']}"
    return f"{ref['ownerType']}:{ref['ownerId']}:{ref['purpose']}"


def payload_hash(entry):
    postings = sorted(
        ([account_ref(p["account"]), p["currency"], p["amountMinor"]] for p in entry["postings"]),
        key=lambda row: "|".join(row),
    )
    metadata = sorted(([k, v] for k, v in (entry.get("metadata") or {}).items()), key=lambda pair: pair[0])
    hold = entry.get("hold")
    hold_row = None
    if hold is not None:
        hold_row = [
            account_ref(hold["holdingAccount"]),
            account_ref(hold["postAccount"]),
            account_ref(hold["voidAccount"]),
            hold["amountMinor"],
            hold["currency"],
            hold.get("expiresAt"),
            hold.get("expiryAction") or "void",
        ]
    return sha256_hex(compact(["payload-v1", entry["kind"], entry["reference"]["type"], entry["reference"]["id"], postings, metadata, hold_row]))


def content_hash(stored):
    postings = [[p["accountId"], p["currency"], p["amountMinor"]] for p in sorted(stored["postings"], key=lambda p: int(p["accountId"]))]
    return sha256_hex(
        compact(
            [
                "entry-v1",
                stored["id"],
                stored["idempotencyKey"],
                stored["payloadHash"],
                stored["kind"],
                stored["referenceType"],
                stored["referenceId"],
                canonical_json(stored["metadata"]),
                stored["createdAtMicros"],
                postings,
            ]
        )
    )


PLATFORM_EPAY = {"ownerType": "platform", "ownerId": "0", "purpose": "clearing_epay"}
SHOP_PAYABLE = {"ownerType": "shop", "ownerId": "17", "purpose": "payable"}
PLATFORM_FEES = {"ownerType": "platform", "ownerId": "0", "purpose": "fees"}
SHOP_HOLDS = {"ownerType": "shop", "ownerId": "17", "purpose": "holds"}
PLATFORM_PAYOUTS = {"ownerType": "platform", "ownerId": "0", "purpose": "payouts"}

PAYLOADS = [
    {
        "name": "a sale, postings listed out of order, metadata keys out of order",
        "input": {
            "idempotencyKey": "sale:order:42",
            "kind": "sale",
            "reference": {"type": "order", "id": "42"},
            "postings": [
                {"account": SHOP_PAYABLE, "amountMinor": "950", "currency": "CNY"},
                {"account": PLATFORM_EPAY, "amountMinor": "-1000", "currency": "CNY"},
                {"account": PLATFORM_FEES, "amountMinor": "50", "currency": "CNY"},
            ],
            "metadata": {"tradeNo": "T-1", "attempt": 2, "manual": False, "note": None, "商品": "点卡"},
        },
    },
    {
        "name": "accounts by id, no metadata, two currencies",
        "input": {
            "idempotencyKey": "adjust:1",
            "kind": "adjustment",
            "reference": {"type": "adjustment", "id": "adj-1"},
            "postings": [
                {"account": {"id": "12"}, "amountMinor": "5", "currency": "USDC"},
                {"account": {"id": "3"}, "amountMinor": "-5", "currency": "USDC"},
                {"account": {"id": "12"}, "amountMinor": "-7", "currency": "CNY"},
                {"account": {"id": "100"}, "amountMinor": "7", "currency": "CNY"},
            ],
        },
    },
    {
        "name": "a payout request holding money, with expiry and the default action",
        "input": {
            "idempotencyKey": "payout:9",
            "kind": "payout_request",
            "reference": {"type": "payout", "id": "9"},
            "postings": [
                {"account": SHOP_PAYABLE, "amountMinor": "-300", "currency": "CNY"},
                {"account": SHOP_HOLDS, "amountMinor": "300", "currency": "CNY"},
            ],
            "metadata": {},
            "hold": {
                "holdingAccount": SHOP_HOLDS,
                "postAccount": PLATFORM_PAYOUTS,
                "voidAccount": SHOP_PAYABLE,
                "amountMinor": "300",
                "currency": "CNY",
                "expiresAt": "2026-12-31T23:59:59.000Z",
            },
        },
    },
    {
        "name": "a hold without expiry that posts on expiry, text with quotes and a newline",
        "input": {
            "idempotencyKey": "resale:5",
            "kind": "resale_sale",
            "reference": {"type": "resale", "id": "5"},
            "postings": [
                {"account": {"id": "8"}, "amountMinor": "-120", "currency": "CNY"},
                {"account": {"ownerType": "reseller", "ownerId": "4", "purpose": "holds"}, "amountMinor": "120", "currency": "CNY"},
            ],
            "metadata": {"memo": "say \"hi\"\nthen \\ go"},
            "hold": {
                "holdingAccount": {"ownerType": "reseller", "ownerId": "4", "purpose": "holds"},
                "postAccount": {"ownerType": "reseller", "ownerId": "4", "purpose": "proceeds"},
                "voidAccount": {"id": "8"},
                "amountMinor": "120",
                "currency": "CNY",
                "expiryAction": "post",
            },
        },
    },
]

STORED = [
    {
        "id": "1",
        "idempotencyKey": "sale:order:42",
        "kind": "sale",
        "referenceType": "order",
        "referenceId": "42",
        "metadata": {"tradeNo": "T-1", "attempt": 2, "nested": {"b": [1, {"z": True, "a": None}], "a": "x"}},
        "createdAtMicros": "1796083200123456",
        "postings": [
            {"accountId": "10", "amountMinor": "950", "currency": "CNY"},
            {"accountId": "9", "amountMinor": "-1000", "currency": "CNY"},
            {"accountId": "2", "amountMinor": "50", "currency": "CNY"},
        ],
    },
    {
        "id": "2",
        "idempotencyKey": "adjust:1",
        "kind": "adjustment",
        "referenceType": "adjustment",
        "referenceId": "adj-1",
        "metadata": {},
        "createdAtMicros": "1796083200999999",
        "postings": [
            {"accountId": "100", "amountMinor": "7", "currency": "CNY"},
            {"accountId": "12", "amountMinor": "-7", "currency": "CNY"},
        ],
    },
    {
        "id": "3",
        "idempotencyKey": "resale:5",
        "kind": "resale_sale",
        "referenceType": "resale",
        "referenceId": "5",
        "metadata": {"memo": "点卡 \"x\""},
        "createdAtMicros": "1796083201000000",
        "postings": [
            {"accountId": "8", "amountMinor": "-120", "currency": "CNY"},
            {"accountId": "31", "amountMinor": "120", "currency": "CNY"},
        ],
    },
]


def main():
    payloads = [{**case, "payloadHash": payload_hash(case["input"])} for case in PAYLOADS]
    by_key = {case["input"]["idempotencyKey"]: case["payloadHash"] for case in payloads}
    chain = []
    previous = bytes(32)
    for entry in STORED:
        stored = {**entry, "payloadHash": by_key[entry["idempotencyKey"]]}
        content = content_hash(stored)
        link = hashlib.sha256(previous + bytes.fromhex(content)).digest()
        chain.append({"entry": stored, "contentHash": content, "chainHash": link.hex()})
        previous = link
    print(
        json.dumps(
            {"generatedBy": "python3 test/vectors/ledger.py (hashlib, json; docs/ledger.md)", "payloads": payloads, "chain": chain},
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
