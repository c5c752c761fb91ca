"""Detectors over shipping facts: late shipment against the platform or agreed limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..rules import DetectorHit, detector

if TYPE_CHECKING:
    from ..rules import DetectorTrigger, Prepared


@detector("late_shipment")
def late_shipment(p: Prepared, t: DetectorTrigger) -> list[DetectorHit]:
    """Orders shipped after their deadline, or unshipped when the chat's last timestamp is past it.

    Cash-on-delivery orders are outside the rule (handout). An order without paid_at is unknown.
    """
    hits = []
    last = p.conv.last_ts
    rate = p.settings.shipping.compensation_rate
    cap = p.settings.shipping.compensation_cap
    for o in p.conv.orders:
        if o.cod:
            continue
        dl = p.deadline(o)
        if dl is None:
            continue
        when = o.shipped_at if o.shipped_at is not None else last
        if when is None or when <= dl:
            continue
        hours_late = (when - dl).total_seconds() / 3600
        comp = min(round((o.amount or 0) * rate, 2), cap) if o.amount is not None else None
        # buyer messages chasing the shipment are useful context
        chase = [m.id for i, m in enumerate(p.conv.messages)
                 if m.role == "buyer" and any(w in p.text(i) for w in ("发货", "催", "还没发", "物流", "快递", "什么时候发"))]
        hits.append(DetectorHit(messages=[x for x in chase if x][:3], order=o.id, label="late_shipment", facts={
            "late": True, "shipped": o.shipped_at is not None, "hours_late": round(hours_late, 1),
            "limit_hours": o.ship_within_hours or p.settings.shipping.limit_for(p.conv.platform),
            "compensation": comp,
        }))
    return hits
