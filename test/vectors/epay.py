#!/usr/bin/env python3
"""EPay (易支付) v1 MD5 signatures computed from the published signing rule, independently of
api/payments/epay.ts: drop `sign`, `sign_type` and empty values; sort the remaining keys in
ASCII order; join them as k=v with "&", values raw (not URL-encoded); append the merchant key
directly; sign = lowercase hex MD5 of the UTF-8 bytes.

Regenerate with: python3 test/vectors/epay.py > test/vectors/epay.json
"""
import hashlib
import json

CASES = [
    {
        "name": "a notification as the gateway sends it (sign and sign_type present, dropped)",
        "key": "89unJUB8HZ54Hj7x4nUj56HN4nUzUJ8i",
        "params": {
            "pid": "1001",
            "trade_no": "2026120612345678",
            "out_trade_no": "42",
            "type": "alipay",
            "name": "Game card",
            "money": "12.30",
            "trade_status": "TRADE_SUCCESS",
            "sign": "0123456789abcdef0123456789abcdef",
            "sign_type": "MD5",
        },
    },
    {
        "name": "empty values are dropped; values with & and = stay raw; UTF-8 names",
        "key": "k3y-with-中文",
        "params": {
            "pid": "7",
            "param": "",
            "name": "点卡 & more=yes",
            "money": "0.01",
            "out_trade_no": "900000000000000001",
            "type": "wxpay",
        },
    },
    {
        "name": "ASCII order: capitals before underscore before lowercase",
        "key": "K",
        "params": {"b": "2", "a": "1", "B": "3", "_z": "4", "a_": "5", "aa": "6"},
    },
    {
        "name": "a submit request (what buildEpaySubmitUrl signs)",
        "key": "merchant-secret",
        "params": {
            "pid": "1001",
            "type": "alipay",
            "out_trade_no": "123",
            "notify_url": "http://127.0.0.1:8080/api/payments/epay/notify/5",
            "return_url": "http://127.0.0.1:8080/orders/123?t=abc",
            "name": "Order 123",
            "money": "1000.05",
        },
    },
]


def signing_string(params):
    kept = {k: v for k, v in params.items() if k not in ("sign", "sign_type") and v != ""}
    # Python sorts str by code point, which for these ASCII keys is ASCII order.
    return "&".join(f"{k}={kept[k]}" for k in sorted(kept))


def main():
    vectors = []
    for case in CASES:
        text = signing_string(case["params"])
        vectors.append(
            {
                **case,
                "signingString": text,
                "sign": hashlib.md5((text + case["key"]).encode("utf-8")).hexdigest(),
            }
        )
    print(json.dumps({"generatedBy": "python3 test/vectors/epay.py (hashlib.md5)", "vectors": vectors}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
