"""Quick structural check of a hand-written eval part (the real loader validates more)."""
import json
import sys

RULES = {
    "invoice.refusal", "shipping.free_shipping_surcharge", "payment.card_refusal_or_fee",
    "payment.cod_refusal", "payment.off_platform", "privacy.leak", "order.unauthorized_close",
    "shipping.late", "promise.gift", "product.authenticity_doubt",
    "promise.unfounded_guarantee", "attitude.abusive", "attitude.mechanical",
}
ROLES = {"buyer", "agent", "system", "bot"}
PLATFORMS = {"tmall", "taobao", "pdd", "jd", "douyin", "other"}

def main(path: str) -> None:
    seen, counts = set(), {}
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip():
            continue
        c = json.loads(line)
        assert c["id"] not in seen, f"line {n}: duplicate id {c['id']}"
        seen.add(c["id"])
        assert c.get("platform", "other") in PLATFORMS, f"line {n}: platform"
        ids = []
        for i, m in enumerate(c["messages"], 1):
            assert m["role"] in ROLES, f"line {n}: messages[{i-1}].role"
            assert m.get("text"), f"line {n}: messages[{i-1}].text empty"
            ids.append(m.get("id", f"m{i}"))
        assert len(ids) == len(set(ids)), f"line {n}: duplicate message ids"
        order_ids = {o["id"] for o in c.get("orders", [])}
        for lab in c.get("labels", []):
            assert lab["rule"] in RULES, f"line {n}: unknown rule {lab['rule']}"
            for e in lab.get("evidence", []):
                assert e in ids, f"line {n}: evidence {e} not a message id"
            if lab.get("order"):
                assert lab["order"] in order_ids, f"line {n}: label order {lab['order']} unknown"
            counts[lab["rule"]] = counts.get(lab["rule"], 0) + 1
        if "labels" not in c:
            raise AssertionError(f"line {n}: eval rows need a labels list (may be empty)")
    print(len(seen), "conversations; violations per rule:", json.dumps(counts, ensure_ascii=False))

if __name__ == "__main__":
    main(sys.argv[1])
