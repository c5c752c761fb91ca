"""Offline decider for invoice.refusal."""

from __future__ import annotations

import re

from ...models import Verdict
from ..base import JudgeItem
from ..offline import all_indices, decides, find_cues, negated_at, trigger_indices, verdict, window_indices
from .payment import SHOP, corrections

DATE = re.compile(r"(\d+|[一二三四五六七八九十两]+|\[数字x?\])\s*(号|日|天|个工作日|工作日|周|个月|小时|h)|月底|月初|下周|下个月|明天|后天|本周|这周|月中"
                  r"|(订单完成|确认收货|收货|签收)(之)?后")

TAX = re.compile(r"(加|多付|另付|另加|补)[^,，。!！?？]{0,5}(个点|点的税|%的税|税点|点税|税费)"
                 r"|(税点|点税|税费|税钱|税金)[^,，。!！?？]{0,8}(您|你|买家|自己|客人)[^,，。!！?？]{0,4}(出|付|承担|负担|补|自理)"
                 r"|(您|你|买家)[^,，。!！?？]{0,4}(出|付|承担|负担|补)[^,，。!！?？]{0,3}(税点|点税|税费|税钱|税金)"
                 r"|(税点|点税|税费)[^,，。!！?？]{0,4}(另算|另付|另加|另计|要加|得加|自理)")
# "not now, after the order completes": a deferral to a fixed point of the order, not a refusal
DEFER = re.compile(r"(订单完成|完成|确认收货|收货|签收|发货|出库|到货)(之)?后[^。!！?？]{0,14}(开|修改|补|寄|给您|跟进|处理|申请|发)")
NOW = re.compile(r"现在|暂时|目前|当前|暂不|这会")
# what the invoice is about, in the agent's or the buyer's words (票据, 开票, 报销凭证 ...)
INVOICE = re.compile(r"发票|开票|票据|专票|普票|增值税|税票|收据|抬头|税号|统编|统一编号|三联|二联|载具|报销|走票|出票|开个票|开张票|invoice|receipt"
                     r"|(要|有|给|出|开|走|寄)[^,，。!！?？车门机彩邮股]{0,3}票(?!房)|票呢|票的事"
                     r"|(?<![车门机彩股邮投船选支钞球戏粮饭船])票(?![房价务选])")
# postage for sending the invoice put on the buyer: 发票单独寄的运费要您负担, 寄发票邮费到付
POSTAGE = re.compile(r"(邮费|运费|快递费|寄费|邮寄费|快递钱)[^,，。!！?？]{0,8}(您|你|自己|买家|亲)[^,，。!！?？]{0,5}(出|付|承担|负担|负责|自理|支付|补|买单)"
                     r"|(邮费|运费|快递费|寄费|邮寄费|快递钱)[^,，。!！?？]{0,6}算(在)?(您|你|买家)"
                     r"|(您|你|买家)[^,，。!！?？]{0,4}(出|付|承担|负担|补)[^,，。!！?？]{0,4}(邮费|运费|快递费|寄费)"
                     r"|(邮费|运费|快递费|寄费)[^,，。!！?？]{0,4}(到付|自理|另算|另付|另计)|(到付|付邮)[^,，。!！?？]{0,4}(寄|发)给?(您|你)")
# a refusal said softly or indirectly: 票据这块不太好操作, 财务不走票, 发票这边比较麻烦, 我们出不了票
SOFT_NO = re.compile(r"(票|发票|开票|票据)[^,，。!！?？]{0,6}(不太好|不好操作|不好弄|不太方便|不方便|比较麻烦|很麻烦|有点麻烦|困难|做不了|弄不了|搞不了"
                     r"|操作不了|走不了|出不了|不走|不出|不做|不给|给不了|办不了|不办|没法弄|没办法|唔得|唔开|唔出|冇得|冇)"
                     r"|(不走|不出|不做|不带|不含|没法出|出不了|走不了|做不了|唔出|唔开|冇)[^,，。!！?？]{0,2}(票|发票)"
                     # a Taiwan tax id (統編) or a company three-part invoice refused: 不能打統編, 統編沒辦法打, 只開二聯
                     r"|(不能|不可以|没办法|没法|无法|不提供|不接受|不给|不帮)[^,，。!！?？]{0,2}(打|开|加|填|写)?[^,，。!！?？]{0,2}(统编|统一编号|三联)"
                     r"|(统编|统一编号|三联)[^,，。!！?？]{0,5}(打不了|开不了|没办法|没法|不能|不行|不提供|不接受|不给)|只(能|开|给)[^,，。!！?？]{0,2}二联"
                     # talked out of it: 个人的话就没必要开了, 开了也没什么用, 个人买的一般不开
                     r"|没(有)?必要(开|要|弄)|开了也没(有)?(什么|啥)?用|个人(的话|的|买的|购买)?[^,，。!！?？]{0,4}(不开|开不了|没法开|不用开|不给开)")
# only part of the amount, or something other than the goods, on the invoice: 最多只能开一半金额, 只能开运费
AMOUNT_COND = re.compile(r"(只能|最多|只|顶多)[^,，。!！?？]{0,3}开[^,，。!！?？]{0,4}(一半|一部分|[一二三四五六七八九]成)")
# an excuse worded freely: 额度已经用完了, 票还没申领下来, 要看税务那边什么时候批, 会计这周请假
EXCUSE = re.compile(
    r"(机器|打印机|税控|设备|开票系统|税盘|金税盘|开票机|开票软件)[^,，。!！?？]{0,4}(坏|故障|维修|出问题|有问题|异常|升级)"
    r"|(额度|票量|发票|票)[^,，。!！?？]{0,5}(用完|用光|用尽|没了|不够|不足|满了|超了|已满|领完|没有了)"
    r"|(财务|会计|开票员|开票的|管票的|负责开票的?)[^,，。!！?？]{0,5}(不在|休假|请假|放假|没上班|出差|走了|离职|没来|回老家)"
    # waiting on whoever issues it, with no date: 得等财务有空了, 等会计回来再看, 财务那边排不过来
    r"|等[^,，。!！?？]{0,3}(财务|会计|开票员|开票的|管票的|老板|领导)[^,，。!！?？]{0,5}(有空|空了|回来|上班|方便|忙完|安排|处理)"
    r"|(财务|会计|开票员)[^。!！?？]{0,10}(她|他|人)[^,，。!！?？]{0,6}(不在|休假|请假|放假|没上班|出差|没来)"
    r"|(财务|会计|开票)[^,，。!！?？]{0,6}(排不过来|忙不过来|顾不上|没空|太忙|很忙|比较忙)"
    r"|(还没|未|没有|没)(申领|领到|领下来|批下来|批|下来|到位)|(税务|税局|税务局)[^,，。!！?？]{0,8}(批|审|核|申领|卡)"
    r"|(纳税|主体|公司|执照)[^,，。!！?？]{0,4}(变更|注销|更换|在换|迁移)")
# a deferral with no point in time: 您先等等 有了会通知您, 这个真的不好说, 过段时间再问问, 要走流程 时间不定
VAGUE = re.compile(r"不好说|说不准|说不好|不确定什么时候|没法确定|等通知|(有了|到了|好了|开了|出来)[^,，。!！?？]{0,3}(再|会|就)?(通知|告诉|联系|跟您说|说一声)"
                   r"|过段时间|过些天|回头再说|以后再说|再说吧|再说(哈|哦|呢|啦)?([,，。!！~～]|$)|看情况|到时候再看|到时再看|时间不定|时间不确定|(时间|什么时候|几时|啥时候)[^,，。!！?？]{0,4}(不清楚|不知道|不一定|没准|定不了)"
                   r"|(要看|得看|看)[^,，。!！?？]{0,6}(什么时候|几时|啥时候|有没有空|有空|安排)|(我|我们)?也?不(太)?清楚(呢|哦|哈|啊)?([,，。!！~～]|$)"
                   r"|(要|得|需要)走(个)?流程[^,，。!！?？\d]{0,4}([,，。!！?？~～]|$)|(攒|凑)(够|齐|满)?[^,，。!！?？]{0,4}(一批|一起|统一)")
# a refusal phrased as a question that talks the buyer out of it: 您确定一定要发票吗, 非要开票吗, 发票真的用得上吗
DISCOURAGE = re.compile(r"(确定|一定|非得|非要|真的|必须|真)[^,，。!！?？]{0,3}要(开)?[^,，。!！?？]{0,2}(发票|票|开票)[^,，。!！?？]{0,3}(吗|么|嘛|[?？])"
                        r"|(发票|票)[^,，。!！?？]{0,4}(真的|确定|一定)?(用得上|有用|需要|要用)(吗|么|嘛)"
                        r"|(不开|不要)(发票|票)?的话[^,，。!！?？]{0,8}(便宜|优惠|少|减|送|快)"
                        r"|(真的|确定|一定)?(用得上|用得着|用不上|用不着)(吗|么|嘛)|一般(个人|大家|都|很多人)[^,，。!！?？]{0,6}(不要|不开|用不上|用不着)")
# the price changes with the invoice: 要发票的话价格要另外算, 开票的话这个价格就做不了了
PRICE_COND = re.compile(r"(要|开|带|含)(发)?票[^,，。!！?？]{0,4}(的话)?[^,，。!！?？]{0,8}(价格|价钱|价位|价|钱)[^,，。!！?？]{0,6}"
                        r"(?<![不没无])(另外算|另算|不一样|不同|高|贵|要加|得加|上浮|做不了|不是这个|没这个|变|调)")
# the invoice is tied to a good review or confirming receipt first: 先确认收货给个好评 后面再帮您问, 五星好评后再开
FAVOUR = re.compile(r"(好评|五星|5星|晒图|追评)[^。!！?？]{0,16}(再|才|后面|之后|以后|然后)[^。!！?？]{0,8}(开|帮|问|给|申请|处理|安排|弄)"
                    r"|先[^,，。!！?？]{0,8}(好评|五星|5星)[^。!！?？]{0,10}(再|才)")
# receipts instead of the invoice: 先给您开个收据, 只能收据, 收据一样能报
RECEIPT = re.compile(r"(只能|只有|只给|只开|先给|先开|开个|开张|给您开|给你开|出个|出张|可以开|能开|盖章的?)[^,，。!！?？]{0,4}(收据|收条|白条|凭条)"
                     r"|(收据|收条|白条)[^,，。!！?？]{0,6}(代替|替代|顶替|一样|也能|也可以|能报|可以报|盖章)")
# the invoice comes from someone other than the shop: 合作的贸易公司给您开, 第三方代开, 用另一个公司的名义开
OTHER_ISSUER = re.compile(r"(?<!不)代开|(合作|挂靠|关联|朋友|兄弟)[^,，。!！?？]{0,6}(公司|单位|商家|厂|店)[^,，。!！?？]{0,8}(开|出|名义|的票)"
                          # another/other company only when it is the shop's choice: 我们用另外一家公司的票, 走别的公司名义
                          r"|(我们|咱们|我家|我司|我这边|用|走|以|找)[^,，。!！?？]{0,4}(另一|另外一|另外的|别家|其他|其它|别的)[^,，。!！?？]{0,4}"
                          r"(公司|单位|商家|厂)[^,，。!！?？]{0,8}(开|出|名义|的票)"
                          r"|(用|以|走)[^,，。!！?？]{0,6}(公司|单位)的?名义"
                          # the invoice goes through another entity: 开票走的是关联公司, 开票单位会是另外一家
                          r"|(开票|出票|票)[^,，。!！?？]{0,4}(走|由|是由|用|挂)[^,，。!！?？]{0,3}(合作|挂靠|关联|朋友|兄弟|另外|另一|别的|其他)[^,，。!！?？]{0,4}(公司|单位|商家|厂|店|那边)"
                          r"|(开票单位|开票方|开票公司|开票主体|销售方|销方|出票方)[^,，。!！?？]{0,6}(另外|另一|别的|其他|其它|不是我们|不是本店|第三方|合作)")
# a category the shop imposes instead of the real goods: 品名统一写办公用品, 都开成日用品
CATEGORY = re.compile(r"(品名|名目|类目|品类|项目|内容)[^,，。!！?？]{0,4}(统一|只能|一律|都|固定|全部|只可以)[^,，。!！?？]{0,3}(写|开|是|为|打|填)"
                      r"|(统一|只能|一律|都)(开成|写成|开为|写为|改成)")
REAL_GOODS = re.compile(r"实际|如实|按实|实物|明细|商品名称|商品名")
# the price with an invoice is the same: 开票价格不变, 含税价都一样
SAME_PRICE = re.compile(r"不变|一样|不会变|没有区别|没区别|不加|不另|不收|免费|同价")
# a minimum before the shop will issue one: 金额太小不单独开, 满200才开
MINIMUM = re.compile(r"(金额|钱数|单价|订单|单子)[^,，。!！?？]{0,3}(太|比较|有点|过|这么)(小|少|低)|不划算|满\d+[^,，。!！?？]{0,3}(才|再)[^,，。!！?？]{0,2}(开|给)")
# a bare 不开 refusal: 就不开了, 一般不单独开 (not 打不开 / 开不开)
BARE_NO = re.compile(r"(?<![打点下载开])不(单独|另外|另|帮您|给您|给你|帮你|再)?开(了|啦|哈|喔|哦|呢|的|啊)?(?![心始通关话吗么嘛]|的话)")
# the invoice will be issued/downloadable at a stated time (an excuse with this is a remedy, e.g. 系统升级 延长至订单完成48h)
ISSUE = re.compile(r"开具|开出|开好|下载|生成|推送|补开|补寄|寄出|寄给|发到|换开|延长至|延至")
# documents that are not the shop's invoice: a flight itinerary (行程单) is JD-air's own paid postal service
NOT_INVOICE = re.compile(r"行程单")
# the agent is handling the invoice request: asking for the title, changing, re-issuing, explaining where to get it
HANDLING = re.compile(r"提供|修改|换开|改成|改为|申请|登记|备注|处理|帮您|为您|给您|下载|寄到|邮寄|查询|核实|查看|确认|提交|反馈|专员|资质")
# what has no invoice is the courier fee: 到付快递，没有发票 / 运费没有发票
FEE_SUBJECT = re.compile(r"(到付|快递费|运费|邮费|寄费|快递)[^。!！?？]{0,6}$")
# postage for returning goods is a returns matter, not invoice postage
RETURN_POSTAGE = re.compile(r"退货|退回|寄回|换货|返修|质量问题|售后|退换|上门取件")
# the refusal words themselves sit in a yes: 不是不能开, 没有不给开的
DENIED = re.compile(r"(不是|并不是|并非|没有说|不存在)[^,，。!！?？]{0,4}$")


@decides("invoice.refusal")
def invoice_refusal(item: JudgeItem) -> Verdict:
    """Did the agent refuse an invoice, or attach a condition to it (tax points, postage, receipt only, title)?

    Refusal, condition and excuse words count only in the agent's messages about the invoice: a message
    naming it, or the agent's answer to the buyer's invoice question. An excuse with a free re-send and a
    date is compliant; so is a refusal the agent corrects in a later message.
    """
    p = item.prepared
    buyer_all = all_indices(item, ("buyer",))
    # the agent messages about the invoice: they name it, or answer the buyer's invoice question
    asked = [i for i in buyer_all if INVOICE.search(p.text(i))]
    about = {i for i in all_indices(item, SHOP) if INVOICE.search(p.text(i))} | set(_answers(item, asked))
    # the buyer's short follow-ups to an invoice answer (大概要等多久? 那怎么办?) keep the thread on the invoice
    for _ in range(3):
        more = _followups(item, about, set(asked))
        if not more:
            break
        asked = sorted(set(asked) | set(more))
        about |= set(_answers(item, asked))
    agent = [i for i in window_indices(item, SHOP) if i in about]
    # a flight itinerary (行程单) and its postage are not the shop's invoice
    not_invoice = {i for i in agent if NOT_INVOICE.search(p.text(i))}

    def live(name: str, idx: list[int]) -> list:
        return [h for h in find_cues(item, name, idx) if not h.negated
                and not DENIED.search(p.text(h.index)[max(0, h.start - 8):h.start])]

    buyer_no = live("buyer_declines", buyer_all)
    # "到付快递，没有发票的": the refusal is about the courier fee, not the goods' invoice
    refuse = [h for h in live("refuse", agent) if h.index not in not_invoice
              and not FEE_SUBJECT.search(p.text(h.index)[max(0, h.start - 14):h.start])
              and not _hypothetical(p.text(h.index), h.start, h.start + len(h.cue))]
    refuse += [_Soft(i, m.group(0), m.start()) for i in agent for m in SOFT_NO.finditer(p.text(i))
               if not DENIED.search(p.text(i)[max(0, m.start() - 8):m.start()])
               and not any(h.index == i and abs(h.start - m.start()) < 4 for h in refuse)]
    # 加税号 (add the tax id) is not 加税 (add tax)
    cond = [h for h in live("conditions", agent) if h.index not in not_invoice
            and p.text(h.index)[h.start + len(h.cue):h.start + len(h.cue) + 1] != "号"
            and not (h.cue.endswith("价") and SAME_PRICE.search(_clause(p.text(h.index), h.start, h.start + len(h.cue))))]
    cond += [_Soft(i, m.group(0), m.start()) for i in agent if i not in not_invoice for m in POSTAGE.finditer(p.text(i))
             if not any(h.index == i for h in cond) and not RETURN_POSTAGE.search(_clause(p.text(i), m.start(), m.end()))]
    refuse += [_Soft(i, m.group(0), m.start()) for i in agent for m in BARE_NO.finditer(p.text(i))
               if not DENIED.search(p.text(i)[max(0, m.start() - 8):m.start()])
               and not any(h.index == i and abs(h.start - m.start()) < 6 for h in refuse)]
    # another company on the invoice, or a category the shop imposes (not the one the buyer asked for)
    buyer_text = "".join(p.text(i) for i in buyer_all)
    cond += [_Soft(i, m.group(0), m.start()) for i in agent if i not in not_invoice for m in OTHER_ISSUER.finditer(p.text(i))
             if not negated_at(p.text(i), m.start()) and not any(h.index == i for h in cond)]
    cond += [_Soft(i, m.group(0), m.start()) for i in agent for m in CATEGORY.finditer(p.text(i))
             if not REAL_GOODS.search(_clause(p.text(i), m.start(), m.end()))
             and not _echoes_buyer(_clause(p.text(i), m.start(), m.end()), buyer_text)
             and not any(h.index == i for h in cond)]
    excuse = live("excuse", agent)
    # receipts instead of the invoice, and the invoice tied to a good review, are conditions
    cond += [_Soft(i, m.group(0), m.start()) for i in agent for m in AMOUNT_COND.finditer(p.text(i))
             if not negated_at(p.text(i), m.start()) and not any(h.index == i for h in cond)]
    cond += [_Soft(i, m.group(0), m.start()) for i in agent for m in PRICE_COND.finditer(p.text(i))
             if not negated_at(p.text(i), m.start()) and not any(h.index == i for h in cond)]
    cond += [_Soft(i, m.group(0), m.start()) for i in agent if i not in not_invoice and not buyer_no
             for m in RECEIPT.finditer(p.text(i))
             if not negated_at(p.text(i), m.start()) and not clause_negated_any(p.text(i), m.start())
             and not re.search(r"发票|专票|普票", _clause(p.text(i), m.start(), m.end()))
             and not any(h.index == i for h in cond)]
    cond += [_Soft(i, m.group(0), m.start()) for i in agent for m in FAVOUR.finditer(p.text(i))
             if not any(h.index == i for h in cond)]
    discourage = [_Soft(i, m.group(0), m.start()) for i in agent for m in DISCOURAGE.finditer(p.text(i))]
    excuse += [_Soft(i, m.group(0), m.start()) for i in agent for m in MINIMUM.finditer(p.text(i))
               if not negated_at(p.text(i), m.start())]
    excuse += [_Soft(i, m.group(0), m.start()) for i in agent for m in EXCUSE.finditer(p.text(i))
               if not DENIED.search(p.text(i)[max(0, m.start() - 8):m.start()])
               and not any(h.index == i and abs(h.start - m.start()) < 6 for h in excuse)]
    free = live("remedy_free", agent)
    send = live("remedy_send", agent)
    dated = [i for i in agent if DATE.search(p.text(i))]
    # the invoice will be issued or downloadable at a stated time (电子发票订单完成48小时后下载)
    issued = [i for i in dated if ISSUE.search(p.text(i))]
    vague = [_Soft(i, m.group(0), m.start()) for i in agent for m in VAGUE.finditer(p.text(i))]
    taxed = [i for i in agent if TAX.search(p.text(i)) and not any(
        h.negated for h in find_cues(item, "conditions", [i]))]
    positive = live("positive", agent)
    remedy = (bool(send or free) and bool(dated)) or bool(issued)
    # "现在不能开, 订单完成后给您开/改": the refusal is only about now and names when it will be done
    deferred = [i for i in window_indices(item, SHOP) if DEFER.search(p.text(i))]
    only_now = all(NOW.search(p.text(h.index)[max(0, h.start - 8):h.start + 2]) for h in refuse) if refuse else False

    # the agent took a refusal or a condition back in a later message and then offered the invoice freely
    bad = sorted({h.index for h in refuse + cond + excuse} | set(taxed))
    fixed = corrections(item, bad, {h.index for h in positive})
    if fixed:
        late_bad = [i for i in bad if i > fixed[-1]]
        if not late_bad:
            return verdict(item, "compliant", 0.7, [*bad, *fixed],
                           "客服起初说法有误，但随后主动更正为可以免费开具发票，买家最终得到了发票")

    if buyer_no and not cond:
        return verdict(item, "compliant", 0.8, [h.index for h in buyer_no],
                       "买家自己表示不需要发票，客服顺从买家意愿，不属于拒开")
    if taxed and not cond:
        return verdict(item, "violation", 0.8, taxed, "客服要求买家为开票多付税点或费用，发票应无偿开具")
    if cond:
        return verdict(item, "violation", 0.85, [h.index for h in cond],
                       f"客服对开票附加了条件（“{cond[0].cue}”），发票应无偿按实开具，寄送发票的邮费也不能让买家承担")
    if (refuse or excuse) and remedy:
        conf = 0.8 if free else 0.65
        return verdict(item, "compliant", conf, [*(h.index for h in refuse + excuse), *dated],
                       "客服说明暂时无法开具，但承诺了补寄并给出明确时间" + ("且免费" if free else ""))
    if refuse and only_now and deferred and not excuse:
        return verdict(item, "compliant", 0.6, [*(h.index for h in refuse), *deferred],
                       "客服说明的是现在暂不能开，并明确了订单完成后给予开具/修改，不是拒开")
    alternative = [h for h in positive if not any(r.index == h.index and abs(r.start - h.start) < 3 for r in refuse)]
    if refuse and alternative:
        return verdict(item, "compliant", 0.6, [h.index for h in refuse + alternative],
                       f"客服拒绝的是某种发票形式（“{refuse[0].cue}”），但同时提供了可开的发票（“{alternative[0].cue}”）")
    if refuse:
        return verdict(item, "violation", 0.9, [h.index for h in refuse],
                       f"客服拒绝开具发票（“{refuse[0].cue}”）")
    if excuse:
        return verdict(item, "violation", 0.75, [h.index for h in excuse + vague],
                       f"客服以“{excuse[0].cue}”为由推脱，没有承诺免费补寄并给出明确日期")
    handling = [i for i in agent if HANDLING.search(p.text(i))]
    if discourage and not positive and not dated and not handling:
        return verdict(item, "violation", 0.6, [h.index for h in discourage + vague],
                       f"买家要发票，客服反问“{discourage[0].cue}”劝买家不要，既没有答应开具也没有给出开具时间")
    if vague and not positive and not dated and set(_answers(item, asked)) & {h.index for h in vague}:
        return verdict(item, "violation", 0.6, [h.index for h in vague],
                       f"买家要发票，客服只说“{vague[0].cue}”，既没有开具也没有给出明确的开具或补寄时间")
    if positive:
        return verdict(item, "compliant", 0.8, [h.index for h in positive], "客服明确表示可以开具发票")
    if not agent:
        return verdict(item, "compliant", 0.6, trigger_indices(item), "窗口内客服没有就发票作出拒绝或附加条件的表述")
    if handling:
        return verdict(item, "compliant", 0.55, handling,
                       "客服在为买家办理发票事宜（核实、修改、换开、说明开具方式），没有拒开或附加条件")
    return verdict(item, "uncertain", 0.4, trigger_indices(item), "提到了发票，但看不出是否拒开或附加条件")


def _answers(item: JudgeItem, asked: list[int], limit: int = 2) -> list[int]:
    """The shop's answers to the buyer's invoice messages: up to ``limit`` shop turns after each, stopping at the
    buyer's next message about something else (a chat that moves on to a scratched basket is not about the invoice)."""
    msgs = item.prepared.conv.messages
    asked_set = set(asked)
    out: list[int] = []
    for b in asked:
        n = 0
        for j in range(b + 1, len(msgs)):
            role = msgs[j].role
            if role == "buyer":
                if j in asked_set:
                    break
                if n:
                    break
                continue
            if role in SHOP:
                out.append(j)
                n += 1
                if n >= limit:
                    break
    return sorted(set(out))


FOLLOWUP = re.compile(r"多久|多长时间|什么时候|几时|啥时候|几号|哪天|怎么办|为什么|为啥|咋|怎么|那我|要等|等到|还要|吗|么|呢|[?？]")


def _followups(item: JudgeItem, about: set[int], asked: set[int]) -> list[int]:
    """Short buyer questions right after an agent message about the invoice (大概要等多久, 那怎么办)."""
    msgs = item.prepared.conv.messages
    out = []
    last_shop = None
    for j, m in enumerate(msgs):
        if m.role in SHOP:
            last_shop = j
        elif m.role == "buyer":
            text = item.prepared.text(j)
            if j not in asked and last_shop is not None and last_shop in about and len(text) <= 20 and FOLLOWUP.search(text):
                out.append(j)
            last_shop = None
    return out


def clause_negated_any(text: str, start: int) -> bool:
    """A negation just before a receipt offer (不是只给收据, 不会只开收据)."""
    return bool(re.search(r"(不是|并非|不会|不用|不再)[^,，。!！?？]{0,2}$", text[max(0, start - 6):start]))


def _hypothetical(text: str, start: int, end: int) -> bool:
    """A refusal word in a condition or a question (不开的话, 开不了吗, 如果开不了) or about a link (打不开)."""
    return bool(IF_AFTER.match(text, end) or IF_BEFORE.search(text[max(0, start - 4):start]))


IF_AFTER = re.compile(r"的?话|吗|么|嘛|[?？]")
IF_BEFORE = re.compile(r"(如果|要是|若是|假如|万一|打|点|下载|链接)[^,，。!！?？]{0,2}$")


def _echoes_buyer(clause: str, buyer_text: str) -> bool:
    """The category in the agent's clause is what the buyer asked for (a 2-character run of it in the buyer's words)."""
    m = CATEGORY.search(clause)
    tail = clause[m.end():] if m else clause
    # the category itself, without quotes and closing particles: '家居用品'哈 -> 家居用品
    tail = re.sub(r"[\'\"‘’“”「」『』《》\s]", "", tail.lstrip("成为"))
    tail = re.sub(r"(哈|哦|喔|呢|的|啦|了|吧|呀|啊|~|～)+$", "", tail)[:8]
    return len(tail) >= 2 and tail in buyer_text


def _clause(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in CLAUSE.finditer(text, 0, start)), default=0)
    right = CLAUSE.search(text, end)
    return text[left:right.start() if right else len(text)]


CLAUSE = re.compile(r"[,，。!！?？;；\n~～]")


class _Soft:
    """A hit found by a pattern rather than a cue list (same shape as a cue hit)."""

    __slots__ = ("index", "cue", "start", "negated")

    def __init__(self, index: int, cue: str, start: int) -> None:
        self.index, self.cue, self.start, self.negated = index, cue, start, False
