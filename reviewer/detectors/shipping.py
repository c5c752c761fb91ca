"""Detectors over shipping facts: late shipment against the platform or agreed limit."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..rules import DetectorHit, detector

if TYPE_CHECKING:
    from ..models import Order
    from ..rules import DetectorTrigger, Prepared

# an agreed shipping time stated in the chat for presale/custom items: 付款后15天内发货, 7个工作日内发出, 48小时内发
AGREED = re.compile(r"(\d+|[一二两三四五六七八九十]+)\s*(个)?\s*(小时|天|日|工作日|个工作日)\s*(内|之内|以内|左右|前后|后|之后)?\s*"
                    r"(发货|发出|寄出|安排发|出货|出库|发)(?!票)")
# the sentence names the presale/custom item: its time wins over a general "48小时内发货"
PRESALE_WORD = re.compile(r"预售|定制|订做|订制|现做|手工做|排单|尾款")
SENTENCE = re.compile(r"[。!！?？;；\n]")
CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
CHASE = ("发货", "催", "还没发", "没发", "不发", "发了吗", "发了没", "物流", "快递", "什么时候发", "几时发", "啥时候发", "单号")


def _cn_int(s: str) -> int | None:
    if s.isdigit():
        return int(s)
    if s in CN_NUM:
        return CN_NUM[s]
    if s.startswith("十"):  # 十五
        return 10 + CN_NUM.get(s[1:], 0)
    if len(s) >= 2 and s[1] == "十":  # 二十, 二十五
        return CN_NUM.get(s[0], 0) * 10 + CN_NUM.get(s[2:], 0)
    return None


def agreed_hours_in_chat(p: Prepared) -> float | None:
    """The shipping time the agent or the platform states in the chat (hours), if any: the first one said of the
    presale/custom item (its sentence names 预售/定制), else the first one."""
    first: float | None = None
    for i, m in enumerate(p.conv.messages):
        if m.role not in ("agent", "system", "bot"):
            continue
        text = p.text(i)
        for hit in AGREED.finditer(text):
            n = _cn_int(hit.group(1))
            if not n:
                continue
            hours = float(n) if hit.group(3) == "小时" else float(n) * 24
            left = max((b.end() for b in SENTENCE.finditer(text, 0, hit.start())), default=0)
            right = SENTENCE.search(text, hit.end())
            if PRESALE_WORD.search(text[left:right.start() if right else len(text)]):
                return hours
            if first is None:
                first = hours
    return first


def _event_time(o: Order, kind: str, first: bool = True) -> datetime | None:
    times = [e.at for e in o.events if e.type == kind and e.at is not None]
    if not times:
        return None
    return min(times) if first else max(times)


def ship_limit(p: Prepared, o: Order) -> tuple[float | None, str]:
    """Hours the order had to ship in, and where that limit comes from.

    The order's own ship_within_hours wins. Presale and custom items ship by their agreed time: without
    one on the order, a time stated in the chat is used, else the limit is unknown. Other orders use
    the platform limit (72 h by default, per platform in settings).
    """
    if o.ship_within_hours:
        return o.ship_within_hours, "order"
    if o.presale or o.custom:
        h = agreed_hours_in_chat(p)
        return (h, "chat") if h else (None, "unknown")
    return p.settings.shipping.limit_for(p.conv.platform), "platform"


@detector("late_shipment")
def late_shipment(p: Prepared, t: DetectorTrigger) -> list[DetectorHit]:
    """Orders shipped after their deadline, or unshipped when the chat's last timestamp is past it.

    Cash-on-delivery orders are outside the rule (handout). An order without a payment time, or a
    presale/custom order without an agreed time, is unknown and not flagged. An unshipped order that
    was closed or refunded before its deadline owed no shipment. Compensation is the configured share
    of the order amount (30%), capped per order (500 yuan).
    """
    hits = []
    last = p.conv.last_ts
    rate = p.settings.shipping.compensation_rate
    cap = p.settings.shipping.compensation_cap
    chase = [m.id or "" for i, m in enumerate(p.conv.messages)
             if m.role == "buyer" and any(w in p.text(i) for w in CHASE)]
    for o in p.conv.orders:
        if o.cod:
            continue
        paid = o.paid_at or _event_time(o, "paid")
        hours, source = ship_limit(p, o)
        if paid is None or hours is None:
            continue
        deadline = paid + timedelta(hours=hours)
        shipped = o.shipped_at or _event_time(o, "shipped")
        when: datetime | None
        if shipped is not None:
            when = shipped
        else:
            ended = [x for x in (_event_time(o, "closed"), _event_time(o, "refunded")) if x is not None]
            when = min(ended) if ended else last
        if when is None or when <= deadline:
            continue
        hours_late = (when - deadline).total_seconds() / 3600
        limit = int(hours) if hours == int(hours) else hours
        comp: float | int | None = None
        if o.amount is not None:
            comp = min(round(o.amount * rate, 2), cap)
            comp = int(comp) if comp == int(comp) else comp
        hits.append(DetectorHit(messages=chase[:3], order=o.id, label="late_shipment", facts={
            "late": True, "shipped": shipped is not None, "hours_late": round(hours_late, 1),
            "limit_hours": limit, "limit_source": source,
            "paid_at": paid.isoformat(), "deadline": deadline.isoformat(),
            "shipped_at": shipped.isoformat() if shipped else None,
            "checked_at": None if shipped else when.isoformat(),
            "amount": o.amount, "compensation": comp,
        }))
    return hits
