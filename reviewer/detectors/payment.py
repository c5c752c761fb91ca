"""Detectors over payment facts: cash-on-delivery orders and what happened to them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..rules import DetectorHit, detector

if TYPE_CHECKING:
    from ..rules import DetectorTrigger, Prepared

# agent words worth showing the judge next to a COD order: refusal, delay, closing, charging
COD_CONTEXT = ("货到付款", "到付", "关闭", "关了", "关掉", "取消", "不发", "发不了", "没法发", "不能发", "晚", "延迟", "推迟",
               "延后", "等等", "排", "在线支付", "先付款", "重新拍", "重拍", "加收", "另加", "服务费", "手续费", "加钱", "额外")


@detector("cod_order")
def cod_order(p: Prepared, t: DetectorTrigger) -> list[DetectorHit]:
    """Each cash-on-delivery order (cod true), with whether the seller closed it and the agent messages about it.

    Fires for every COD order (recall): the judge decides from the agent's words and the close events
    whether the shop refused, delayed, closed or surcharged it.
    """
    hits = []
    for o in p.conv.orders:
        if not o.cod:
            continue
        closes = [e for e in o.events if e.type == "closed"]
        msgs = [m.id or "" for i, m in enumerate(p.conv.messages)
                if m.role == "agent" and any(w in p.text(i) for w in COD_CONTEXT)]
        hits.append(DetectorHit(messages=msgs[:8], order=o.id, label="cod_order", facts={
            "cod": True,
            "closed_by": closes[-1].by if closes else None,
            "shipped": o.shipped_at is not None or any(e.type == "shipped" for e in o.events),
        }))
    return hits
