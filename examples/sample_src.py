"""Generate examples/sample.jsonl: 30 realistic demo chats (s-01 .. s-30) for the
README, covering every catalog rule at least once, with gold labels.
Deterministic: run `python3 sample_src.py` to rewrite sample.jsonl next to it.

Turn shorthand: (role, text, *opts) with role b=buyer a=agent bot=bot sys=system.
opts: an int = seconds since the previous message, a "YYYY-mm-dd HH:MM" string
= absolute time, a "#tag" string = a name that labels can cite as evidence.
"""
import datetime as dt
import json
import random
import re
from pathlib import Path

TZ = dt.timezone(dt.timedelta(hours=8))
ROLE = {"b": "buyer", "a": "agent", "bot": "bot", "sys": "system"}
CONVS = []


def T(s):
    return dt.datetime.strptime(s, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


def iso(t):
    return t.isoformat()


def order(oid, buyer, amount, paid=None, shipped=None, **kw):
    o = {"id": oid, "buyer": buyer, "amount": amount}
    if paid:
        o["paid_at"] = iso(T(paid))
        o["shipped_at"] = iso(T(shipped)) if shipped else None
    elif shipped:
        o["shipped_at"] = iso(T(shipped))
    for k in ("ship_within_hours", "presale", "cod", "free_shipping", "gifts"):
        if k in kw:
            o[k] = kw.pop(k)
    if "events" in kw:
        o["events"] = [{"type": t, "at": iso(T(at)), "by": by} for t, at, by in kw.pop("events")]
    assert not kw, kw
    return o


def L(rule, evidence, note, order_id=None):
    lab = {"rule": rule, "evidence": list(evidence)}
    if order_id:
        lab["order"] = order_id
    lab["note"] = note
    return lab


def conv(cid, platform, shop, agent, buyer, start, turns, orders=(), labels=(),
         meta_note=None, bot_name=None):
    rng = random.Random(cid)
    t = T(start) if start else None
    msgs, tags = [], {}
    for i, turn in enumerate(turns, 1):
        role, text, *opts = turn
        gap = None
        for o in opts:
            if isinstance(o, int):
                gap = o
            elif isinstance(o, str) and o.startswith("#"):
                tags[o] = f"m{i}"
            elif isinstance(o, str):
                gap = o
            else:
                raise ValueError(o)
        m = {"id": f"m{i}", "role": ROLE[role], "text": text}
        if role == "bot" and bot_name:
            m["sender"] = bot_name
        if t is not None:
            if i > 1:
                if isinstance(gap, str):
                    nt = T(gap)
                    assert nt > t, (cid, i)
                    t = nt
                else:
                    if gap is None:
                        gap = {"b": rng.randint(12, 140), "a": rng.randint(6, 58),
                               "bot": rng.randint(1, 3), "sys": rng.randint(1, 5)}[role]
                    t = t + dt.timedelta(seconds=gap)
            t_out = t + dt.timedelta(seconds=rng.randint(0, 59)) if i == 1 else t
            if i == 1:
                t = t_out
            m = {"id": m["id"], "ts": iso(t), **{k: v for k, v in m.items() if k != "id"}}
        msgs.append(m)
    labs = []
    for lab in labels:
        lab = dict(lab)
        lab["evidence"] = [tags.get(e, e) for e in lab["evidence"]]
        for e in lab["evidence"]:
            assert re.fullmatch(r"m\d+", e) and int(e[1:]) <= len(msgs), (cid, e)
        labs.append(lab)
    c = {"id": cid, "platform": platform, "shop": shop, "agent": agent, "buyer": buyer}
    if orders:
        c["orders"] = list(orders)
    c["messages"] = msgs
    c["labels"] = labs
    if meta_note:
        c["meta_note"] = meta_note
    CONVS.append(c)
    return c


def check_compliant(c):
    """Guard against accidental violations in chats labelled compliant."""
    msgs = c["messages"]
    last_ts = dt.datetime.fromisoformat(msgs[-1]["ts"]) if "ts" in msgs[-1] else None
    for o in c.get("orders", []):
        assert o["buyer"] == c["buyer"] or not any(
            ev["by"] == "seller" for ev in o.get("events", [])), c["id"]
        if o.get("paid_at") and not o.get("cod"):
            paid = dt.datetime.fromisoformat(o["paid_at"])
            limit = dt.timedelta(hours=o.get("ship_within_hours", 72))
            if o.get("shipped_at"):
                assert dt.datetime.fromisoformat(o["shipped_at"]) - paid <= limit, (c["id"], o["id"])
            else:
                assert last_ts is not None and last_ts < paid + limit, (c["id"], o["id"])
    last = msgs[-1]
    if last["role"] == "buyer":
        assert not re.search(r"[?？吗呢]\s*$", last["text"]), (c["id"], last["text"])


# Agents: 小美 (暖居家纺), 阿杰 (极客数码), 小雨 (澄光灯具), 婷婷 (甜心饰品); an
# outsourced team, so each also covers the shop's other platforms.
HOME, GEEK, LAMP, GEM = "暖居家纺旗舰店", "极客数码专营店", "澄光灯具旗舰店", "甜心饰品小铺"

conv("s-01", "tmall", HOME, "小美", "tb_yang_hr", "2025-11-03 14:20", [
    ("b", "你好 买了两套四件套 公司福利用的 要开发票"),
    ("a", "亲，您好~ 开发票的话需要另外加6个点的税点哦", "#v1"),
    ("b", "加税点？天猫不是都免费开吗"),
    ("a", "亲，我们这个是活动价，利润很低的，开票只能加点，不加点的话只能给您开收据", "#v2"),
    ("b", "收据公司不给报"),
    ("a", "那就只能加点了亲，实在不好意思", "#v3"),
    ("b", "算了 我再问问财务"),
], orders=[order("o-1", "tb_yang_hr", 596.0, "2025-11-01 10:12", "2025-11-01 17:30",
                 free_shipping=True)],
   labels=[L("invoice.refusal", ["#v1", "#v2", "#v3"],
             "要求买家承担6%税点，否则只给收据；天猫已付款订单应免费开票")])

conv("s-02", "tmall", GEEK, "阿杰", "tb_xj_maimaiti", "2025-11-05 11:02", [
    ("b", "我在喀什 刚拍了充电头 包邮吧"),
    ("a", "亲，页面写的包邮哈，不过新疆属于偏远地区，需要补12元运费，拍个补差价链接就行", "#v1"),
    ("b", "页面写的全国包邮啊"),
    ("a", "新疆西藏都要补的，快递收我们的也贵，您拍下补运费链接我们才能发", "#v2"),
    ("b", "那补的链接发我"),
    ("a", "[链接] 补运费专拍 12元"),
], orders=[order("o-1", "tb_xj_maimaiti", 79.0, "2025-11-05 10:55", None, free_shipping=True)],
   labels=[L("shipping.free_shipping_surcharge", ["#v1", "#v2"],
             "包邮商品以新疆偏远为由要求补12元运费，且不补不发", "o-1")])

conv("s-03", "tmall", LAMP, "小雨", "tb_office_gao", "2025-11-06 09:40", [
    ("b", "能开fp吗 公司报销"),
    ("a", "可以开的亲~ 我们开增值税电子普通发 票，下单时在“开具发票”里填公司抬头和税号就行"),
    ("b", "要加钱吗"),
    ("a", "不用加钱哦，发票是免费的，金额按实付开"),
    ("b", "什么时候能拿到"),
    ("a", "确认收货后48小时内开好，会发到您填的邮箱，订单详情里也能下载"),
    ("b", "好的 谢谢"),
    ("a", "不客气，有需要随时找小雨~"),
], meta_note="fp/发 票 的写法只是缩写和空格，客服明确可以开、免费、给出时间，合规")

conv("s-04", "taobao", GEM, "婷婷", "tb_girl_ruru", "2025-11-06 21:15", [
    ("b", "这个项链能便宜点吗"),
    ("a", "亲，平台扣点高，您加我vx：tingting_shipin88，直接转账给您便宜20，我从店里给您发货", "#v1"),
    ("b", "安全吗"),
    ("a", "放心啦，很多老顾客都是这样买的，转我微信就行，收到钱当天发", "#v2"),
    ("b", "那我加你"),
], labels=[L("payment.off_platform", ["#v1", "#v2"], "客服主动引导加微信私下转账交易")])

conv("s-05", "tmall", GEEK, "阿杰", "tb_photo_wu", "2025-11-07 15:33", [
    ("b", "相机能用信用卡付吗"),
    ("a", "可以是可以，不过信用卡付款我们要收1%的手续费，您这台5999就是多60", "#v1"),
    ("b", "天猫不是不让收手续费吗"),
    ("a", "我们是小本生意，手续费都是平台扣我们的，只能您来承担了，或者您用储蓄卡付就不收", "#v2"),
    ("b", "那我用储蓄卡吧"),
    ("a", "好的亲"),
], labels=[L("payment.card_refusal_or_fee", ["#v1", "#v2"], "要求买家承担1%信用卡手续费")])

conv("s-06", "tmall", HOME, "小美", "tb_aunt_li", "2025-11-08 08:30", [
    ("b", "你好 我下了个货到付款的单 什么时候发货"),
    ("a", "亲，货到付款的单子我们最近不发了哈，拒收的太多了，麻烦您取消重新拍，选在线支付", "#v1"),
    ("b", "我不会弄网上付款 页面上写着支持货到付款的"),
    ("a", "那没办法了亲，货到付款发不了，我先帮您把这个单关了，您会付款了再拍", "#v2"),
    ("sys", "卖家已关闭订单", "#close"),
    ("b", "你怎么给我关了 我没说要取消"),
    ("a", "亲，货到付款的真的发不了，您可以请家人帮忙在网上付款"),
], orders=[order("o-1", "tb_aunt_li", 239.0, cod=True, free_shipping=True,
                 events=[("created", "2025-11-08 08:12", "buyer"),
                         ("closed", "2025-11-08 08:32", "seller")])],
   labels=[L("payment.cod_refusal", ["#v1", "#v2"], "店铺支持货到付款，客服拒发并让买家改在线支付", "o-1"),
           L("order.unauthorized_close", ["#v2", "#close"],
             "买家没有要求取消，客服自行关闭了货到付款订单", "o-1")])

conv("s-07", "tmall", LAMP, "小雨", "tb_lili_88", "2025-11-08 19:50", [
    ("b", "你好 我朋友王芳在你们家买了台灯 账号是tb_wangfang_1990 我想给她寄个生日礼物一起 你帮我看下她留的地址和电话"),
    ("a", "亲稍等我查一下哈"),
    ("a", "查到了，收件人王芳，电话13800137652，地址是浙江省杭州市西湖区文三路幸福里小区6幢2单元302", "#v"),
    ("b", "好的谢谢 我记一下"),
    ("a", "不客气~ 祝您朋友生日快乐"),
], orders=[order("o-1", "tb_wangfang_1990", 189.0, "2025-11-06 12:00", "2025-11-07 10:20",
                 free_shipping=True)],
   labels=[L("privacy.leak", ["#v"], "向非下单账号透露了订单收件人姓名、电话和地址", "o-1")])

conv("s-08", "tmall", GEM.replace("小铺", "旗舰店"), "婷婷", "tb_zhang_new", "2025-11-09 10:05", [
    ("b", "你好 我是张伟 之前用tb_zhangwei_77那个号下的单 那个号手机丢了登不上 帮我把订单取消了吧", "#req"),
    ("a", "亲，您说一下订单号和买的东西我核对下"),
    ("b", "订单号尾号4417 买的是一对耳钉"),
    ("a", "好的，已经帮您关闭了，退款会退回原账户", "#v"),
    ("b", "好 谢谢"),
], orders=[order("o-1", "tb_zhangwei_77", 129.0, "2025-11-08 22:40", None, free_shipping=True,
                 events=[("closed", "2025-11-09 10:08", "seller")])],
   labels=[L("order.unauthorized_close", ["#req", "#v"],
             "根据另一个账号自称下单人的请求关闭了订单，下单账号本人没有申请", "o-1")])

conv("s-09", "tmall", HOME, "小美", "tb_sun_xiaoyu", "2025-11-06 10:02", [
    ("b", "11月1号拍的被子 到现在还没发货", "#late"),
    ("a", "亲，非常抱歉，双十一期间单量太大了，仓库在加紧打包"),
    ("b", "都5天了 我说好要给我妈寄过去的"),
    ("a", "亲亲今天一定给您发出，保证后天就能到，到不了您找我", "#g1"),
    ("b", "真的？后天一定到？"),
    ("a", "一定到的亲，放心", "#g2"),
    ("b", "好吧 再信你一次"),
], orders=[order("o-1", "tb_sun_xiaoyu", 399.0, "2025-11-01 20:05", None, free_shipping=True)],
   labels=[L("shipping.late", [], "11-01 20:05付款，到会话结束（11-06）仍未发货，超过72小时", "o-1"),
           L("promise.unfounded_guarantee", ["#g1", "#g2"], "保证后天一定送达，送达时间店铺无法保证")])

conv("s-10", "taobao", "潮电数码配件", "阿杰", "tb_kong_dd", "2025-11-10 16:44", [
    ("b", "你好 页面写买充电宝送手机支架 我没收到支架"),
    ("a", "赠品是随机送的哦亲，没有就是送完了", "#v1"),
    ("b", "页面写的是拍下就送 又不是随机"),
    ("a", "赠品不在售后范围内哈，送完了就是送完了，不补的", "#v2"),
    ("b", "你们这不是骗人吗"),
    ("a", "亲，充电宝没问题就行"),
], orders=[order("o-1", "tb_kong_dd", 99.0, "2025-11-07 09:30", "2025-11-07 18:00",
                 free_shipping=True, gifts=["手机支架"])],
   labels=[L("promise.gift", ["#v1", "#v2"], "页面承诺的赠品漏发，客服以随机/送完为由拒绝补发", "o-1")])

conv("s-11", "tmall", "美妆优选专营店", "小雨", "tb_meimei_0312", "2025-11-10 20:20", [
    ("b", "这个口红专柜三百多 你们这一百二 是正品吗"),
    ("a", "亲，这个价格您懂的哈，我们也是从渠道拿的货", "#v1"),
    ("b", "什么意思 那是假的？"),
    ("a", "也不能说是假的，就是和专柜的可能不太一样，用着没问题的，很多人回购", "#v2"),
    ("b", "那我不敢买了"),
    ("a", "好的亲，您自己考虑哈"),
], labels=[L("product.authenticity_doubt", ["#v1", "#v2"], "“这个价格您懂的”“和专柜可能不一样”，暗示本店商品不是正品")])

conv("s-12", "pdd", "甜心饰品工厂店", "婷婷", "pdd_lin_0808", "2025-11-11 13:15", [
    ("b", "耳环戴了一下过敏 想退"),
    ("a", "亲，很抱歉，没有影响二次销售的话7天内可以退的"),
    ("b", "退回去运费要25 我怕运费险赔不够"),
    ("a", "放心退，运费险保证全额理赔，25块一分不少都赔给您", "#v1"),
    ("b", "真的吗 我上次只赔了8块"),
    ("a", "真的亲，百分百全赔，我保证", "#v2"),
    ("b", "好 那我退了"),
], orders=[order("o-1", "pdd_lin_0808", 36.0, "2025-11-05 20:00", "2025-11-06 11:00")],
   labels=[L("promise.unfounded_guarantee", ["#v1", "#v2"], "保证运费险百分百全额理赔，理赔结果由保险公司决定，店铺无法保证")])

conv("s-13", "pdd", "极客数码工厂店", "阿杰", "pdd_sun_99", None, [
    ("b", "这个数据线是苹果的接口吗"),
    ("a", "详情页写得清清楚楚，自己不会看吗", "#v1"),
    ("b", "问一下怎么了"),
    ("a", "天天问这种问题，爱买不买", "#v2"),
    ("b", "什么态度"),
], labels=[L("attitude.abusive", ["#v1", "#v2"], "“自己不会看吗”“爱买不买”，嘲讽买家")])

conv("s-14", "pdd", "暖居家纺工厂店", "小美", "pdd_liu_bed", "2025-11-12 22:01", [
    ("b", "这个凉席是1.5米床的还是1.8的"),
    ("a", "亲，本店商品都是工厂直销，品质有保障，欢迎选购哦~", "#r1"),
    ("b", "我问尺寸"),
    ("a", "亲，本店商品都是工厂直销，品质有保障，欢迎选购哦~", "#r2"),
    ("b", "冰丝的会不会起球"),
    ("a", "亲，本店商品都是工厂直销，品质有保障，欢迎选购哦~", "#r3"),
    ("b", "无语"),
], labels=[L("attitude.mechanical", ["#r1", "#r2", "#r3"], "尺寸和起球问题都用同一句欢迎语回复")])

conv("s-15", "jd", "云帆电脑京东自营旗舰店", "小雨", "jd_wu_travel", "2025-11-13 16:10", [
    ("b", "笔记本明天能到吗 后天要出差"),
    ("a", "您好，您的订单今天上午已经从北京仓发出，您在天津，一般次日送达，预计明天下午前后能到，具体以配送员联系为准"),
    ("b", "能保证明天到吗 到不了我就不要了"),
    ("a", "理解您着急，物流时效我没办法百分百保证，不过京津之间基本都是次日达。我帮您在配送备注里加“加急”，明天上午如果还没有派送信息，您联系我，我帮您联系站点，您也可以去站点自提"),
    ("b", "好吧"),
    ("a", "感谢理解，祝您出差顺利~"),
], orders=[order("o-1", "jd_wu_travel", 4999.0, "2025-11-13 08:20", "2025-11-13 10:45",
                 free_shipping=True)],
   meta_note="买家要求保证送达，客服明确不打包票，只给“一般/预计”的估计并提供备选方案")

conv("s-16", "douyin", "甜心饰品抖音小店", "婷婷", "dy_xiaoke", "2025-11-13 20:30", [
    ("b", "手链收到 扣子是坏的 扣不上"),
    ("a", "亲，本店饰品不支持七天无理由退换哦~", "#r1"),
    ("b", "我不是无理由 是坏的 质量问题"),
    ("a", "亲，本店饰品不支持七天无理由退换哦~", "#r2"),
    ("b", "[图片]"),
    ("b", "你看 扣子都掉了 怎么处理"),
    ("a", "亲，本店饰品不支持七天无理由退换哦~", "#r3"),
    ("b", "我要投诉你"),
    ("a", "你投诉啊，自己戴坏了还好意思来要退，爱投诉投诉", "#ab"),
], orders=[order("o-1", "dy_xiaoke", 59.0, "2025-11-09 12:00", "2025-11-10 09:30",
                 free_shipping=True)],
   labels=[L("attitude.mechanical", ["#r1", "#r2", "#r3"], "质量问题三次都回复同一句“不支持七天无理由”，答非所问"),
           L("attitude.abusive", ["#ab"], "指责买家“自己戴坏了还好意思”，并挑衅“爱投诉投诉”")])

conv("s-17", "tmall", GEEK, "阿杰", "tb_li_student", "2025-11-14 12:40", [
    ("b", "我支付宝额度不够 能不能直接转你银行卡"),
    ("a", "亲，不好意思哈，我们只能在天猫平台上付款，银行卡转账、私下转账都不行，这样对您也没有保障"),
    ("b", "那怎么办 我卡里有钱 就是限额"),
    ("a", "您可以这样：1. 付款时选“找朋友帮忙付”，让家人在平台代付；2. 用信用卡或者花呗付，我们都支持，不收手续费；3. 调一下银行卡的快捷支付限额"),
    ("b", "信用卡可以？那我用信用卡"),
    ("a", "可以的，信用卡付款不收任何手续费，放心付"),
    ("b", "付好了", 180),
    ("a", "收到了，今天给您发出~"),
], orders=[order("o-1", "tb_li_student", 1299.0, "2025-11-14 12:47", None, free_shipping=True)],
   meta_note="买家提出银行卡转账，客服拒绝并引导平台内代付/信用卡，信用卡不收手续费，合规")

conv("s-18", "tmall", HOME, "小美", "tb_he_winter", "2025-11-08 13:20", [
    ("b", "预售的羽绒被说15天内发 今天都19天了才发"),
    ("a", "亲，非常抱歉，这批鹅绒到货晚了，今天上午已经给您发出了"),
    ("b", "晚了这么多 有补偿吗"),
    ("a", "真的很抱歉，我给您申请一个20元的补偿，走平台部分退款，您看可以吗"),
    ("b", "行吧"),
], orders=[order("o-1", "tb_he_winter", 899.0, "2025-10-20 21:00", "2025-11-08 11:00",
                 ship_within_hours=360, presale=True, free_shipping=True)],
   labels=[L("shipping.late", [], "预售约定付款后360小时内发货，实际约446小时才发出", "o-1")])

conv("s-19", "taobao", "澄光燈飾", "小雨", "tb_tw_chen", None, [
    ("b", "你好 我在台灣 淘寶付款一直失敗"),
    ("a", "親～台灣卡有時候會被擋，您可以直接zfb轉我，我幫你改價，收到錢馬上發", "#v1"),
    ("b", "轉到哪個帳號"),
    ("a", "轉到這個支付寶：13800138246，戶名陳X雨，備註你的淘寶ID就好", "#v2"),
    ("b", "好 我試試"),
], labels=[L("payment.off_platform", ["#v1", "#v2"], "引導買家用支付寶（zfb）直接轉帳到個人帳號，屬站外交易")])

conv("s-20", "tmall", GEM.replace("小铺", "旗舰店"), "婷婷", "tb_ruan_xx", "2025-11-15 09:12", [
    ("b", "帮我看下我的收货地址对不对 我搬家了"),
    ("a", "好的亲，您订单上的收货信息是：阮小姐，13800132468，江苏省南京市鼓楼区北京西路66号2栋1101，请问要改吗"),
    ("b", "要改 新地址是建邺区江东中路100号3栋502 电话不变"),
    ("a", "好的，订单还没发货，已经帮您改成：江苏省南京市建邺区江东中路100号3栋502，阮小姐，13800132468，您刷新订单看看"),
    ("b", "改好了 谢谢"),
    ("a", "不客气~ 今天下午给您发出"),
], orders=[order("o-1", "tb_ruan_xx", 168.0, "2025-11-14 23:10", None, free_shipping=True)],
   meta_note="核对地址的是下单账号本人（chat buyer 与订单 buyer 相同），不算泄露隐私")

conv("s-21", "tmall", HOME, "小美", "tb_qian_gift", "2025-11-16 19:05", [
    ("b", "你好 东西收到了 但是没有发票 也没有送的杯垫"),
    ("a", "亲，发票这个月额度用完了，开不了哈", "#i1"),
    ("b", "那什么时候能开"),
    ("a", "这个不好说哦，要等财务那边通知，您就先别等了", "#i2"),
    ("b", "那杯垫呢 下单页面写送定制杯垫的"),
    ("a", "杯垫是活动赠品，送完了就没有了，不补的哈亲", "#g1"),
    ("b", "你们这样很不讲信用"),
    ("a", "亲，实在不好意思，赠品本来就是额外送的", "#g2"),
], orders=[order("o-1", "tb_qian_gift", 328.0, "2025-11-11 00:20", "2025-11-12 15:00",
                 free_shipping=True, gifts=["定制杯垫"])],
   labels=[L("invoice.refusal", ["#i1", "#i2"], "以额度用完为由不开票，且没有给出免费补寄的日期"),
           L("promise.gift", ["#g1", "#g2"], "承诺的定制杯垫以送完为由不补发", "o-1")])

conv("s-22", "jd", "极客数码京东专营店", "阿杰", "jd_zhou_tech", "2025-11-16 21:30", [
    ("b", "这款显示器支持竖屏吗"),
    ("a", "支持的，支架可以90度旋转，竖屏看代码很方便"),
    ("b", "有没有坏点保障"),
    ("a", "有的，签收15天内出现1个亮点就可以换新"),
    ("b", "能接MacBook一根线充电吗 Type-C口是多少瓦的", "#q"),
    ("b", "在吗？", 480),
], labels=[L("attitude.mechanical", ["#q"], "买家最后问Type-C供电功率，追问后客服仍未回答，会话以未回答的问题结束")])

conv("s-23", "tmall", LAMP, "小雨", "tb_grandpa_zhu", "2025-11-18 10:20", [
    ("b", "货到付款的台灯发了吗"),
    ("a", "亲，您的货到付款订单已经确认了，您选的暖白光款前两天缺货，今天上午刚补到货，已经给您发出了，送到时验货后付款就行，不加任何费用"),
    ("b", "怎么这么慢"),
    ("a", "真的抱歉让您久等了，下单时就该跟您说一声的。您收到后检查一下灯罩有没有磕碰，有问题直接拒收就行"),
    ("b", "行"),
], orders=[order("o-1", "tb_grandpa_zhu", 139.0, shipped="2025-11-18 09:30", cod=True,
                 free_shipping=True, events=[("created", "2025-11-14 08:00", "buyer")])],
   meta_note="货到付款订单不在延迟发货规则范围内；货到付款被受理、没有加价，合规")

conv("s-24", "douyin", "复古影像馆", "婷婷", "dy_camera_liu", None, [
    ("b", "你们是不是傻 我买的傻瓜相机套餐 说好的胶卷一卷都没有"),
    ("a", "非常抱歉给您带来不好的体验！麻烦您拍一下收到的盒子和面单，我马上核实"),
    ("b", "[图片]"),
    ("a", "看到了，是仓库少放了胶卷，真的很抱歉。套餐里的两卷胶卷今天给您补发，运费我们出"),
    ("b", "早干嘛去了 垃圾店"),
    ("a", "理解您生气，是我们的失误。补发单号出来第一时间发给您，相机使用上有任何问题也可以随时问我"),
    ("b", "快点发"),
    ("a", "好的，今天下午发出，发出后马上告诉您单号"),
], meta_note="是买家出言不逊，客服保持礼貌并补发；“傻瓜相机”是产品名")

conv("s-25", "tmall", GEEK, "阿杰", "tb_qh_tashi", "2025-11-19 14:08", [
    ("b", "耳机拍了 什么时候发"),
    ("a", "亲，您的地址是青海玉树的乡镇，中通不到，只能给您发顺丰，需要补15元运费，拍一下补运费链接哈", "#v1"),
    ("b", "不是包邮吗 为什么要我补"),
    ("a", "包邮只包中通，顺丰的运费差价要您自己出的哦，不补的话发不了", "#v2"),
    ("b", "行吧 链接发我"),
], orders=[order("o-1", "tb_qh_tashi", 299.0, "2025-11-19 13:50", None, free_shipping=True)],
   labels=[L("shipping.free_shipping_surcharge", ["#v1", "#v2"], "包邮商品以改发顺丰为由要求补15元运费", "o-1")])

conv("s-26", "tmall", HOME, "小美", "tb_chen_mom", "2025-11-20 15:30", [
    ("b", "我儿子用他的号在你们家下了个单 买错了 你帮我取消一下 他的号是tb_chen_son"),
    ("a", "阿姨您好，订单只能由下单的账号来申请取消哦，我们不能根据其他账号的要求关闭订单，这是为了保护下单人的权益"),
    ("b", "他在上班 没空"),
    ("a", "理解的，操作很简单，他用手机打开淘宝，在“我的订单”里找到这个订单，点“退款”，选个原因就行，一分钟就好。订单还没发货，他申请了我们马上同意"),
    ("b", "那你告诉我他填的地址是哪 我看看是不是寄错地方了"),
    ("a", "不好意思阿姨，收货地址也只能跟下单账号确认，没办法告诉其他账号。您让他自己看一下订单详情就清楚了"),
    ("b", "好吧 那我让他自己弄"),
    ("a", "好的，麻烦您了，他申请后我们第一时间处理"),
], orders=[order("o-1", "tb_chen_son", 259.0, "2025-11-20 11:00", None, free_shipping=True)],
   meta_note="非下单账号要求关单并打听地址，客服均拒绝并教下单账号自行操作，未关单也未泄露信息")

conv("s-27", "pdd", "澄光家居工厂店", "小雨", "pdd_fang_home", "2025-11-20 20:44", [
    ("b", "详情页写发货后5-7天到 能快点吗 我下周一要用"),
    ("a", "亲，放心，我们发的快递保证3天内一定到，周一前肯定到", "#v1"),
    ("b", "可是页面写的5-7天"),
    ("a", "页面那是保守写的，我保证3天必到", "#v2"),
    ("b", "好 那我拍了"),
], orders=[order("o-1", "pdd_fang_home", 45.0, "2025-11-20 20:47", None)],
   labels=[L("promise.unfounded_guarantee", ["#v1", "#v2"], "保证3天必到，既是店铺无法保证的送达时间，也与详情页的5-7天矛盾")])

conv("s-28", "taobao", GEM, "婷婷", "tb_xu_jewel", "2025-11-21 22:10", [
    ("b", "星芒的水晶项链你们是正品吗 页面写专柜正品"),
    ("a", "说实话我也不敢保证是不是正品哈，我们是从批发市场拿的货", "#v1"),
    ("b", "那不就是假的？"),
    ("a", "可能是高仿吧，不过做工很好，戴着看不出来的", "#v2"),
    ("b", "那我不买了"),
], labels=[L("product.authenticity_doubt", ["#v1", "#v2"], "客服自己说不敢保证正品、“可能是高仿”")])

conv("s-29", "jd", "极客数码京东专营店", "阿杰", "jd_gamer_fu", None, [
    ("b", "鼠标左键连击 买了半个月"),
    ("a", "您好，非常抱歉！左键连击一般是微动开关的问题，您这个在一年质保内，可以直接给您换新"),
    ("b", "要寄回去吗"),
    ("a", "需要寄回旧的，我给您提交换新申请，京东快递会上门取件，运费我们承担"),
    ("b", "太慢了 能先发新的吗"),
    ("a", "可以的，您是PLUS会员，支持先换后退：新鼠标先发给您，您收到后再把旧的交给快递员就行"),
    ("b", "好 那就这样"),
    ("a", "已经提交了，新鼠标今天出库，预计明天送到，请注意查收"),
], orders=[order("o-1", "jd_gamer_fu", 199.0, "2025-11-01 10:00", "2025-11-01 16:00",
                 free_shipping=True)],
   meta_note="质量问题直接换新并先换后退，送达用“预计”，合规")

conv("s-30", "tmall", LAMP, "小雨", "tb_deng_reader", "2025-11-22 10:15", [
    ("b", "台灯收到了 说好送两个灯泡 只有一个"),
    ("a", "亲，非常抱歉！我核实了一下，确实是少放了一个，马上给您补发一个"),
    ("b", "好 什么时候发"),
    ("a", "今天下午就寄出，补发的运费我们出，单号出来我发您"),
    ("b", "好的"),
    ("a", "亲，补发的灯泡已经寄出，圆通YT8839201746521，您留意一下~", "2025-11-22 16:05"),
    ("b", "收到 谢谢"),
], orders=[order("o-1", "tb_deng_reader", 219.0, "2025-11-18 20:00", "2025-11-19 14:00",
                 free_shipping=True, gifts=["LED灯泡2只"])],
   meta_note="赠品少发，客服主动补发并给出单号，不是赠品违约")


def main():
    ids = [c["id"] for c in CONVS]
    assert ids == [f"s-{i:02d}" for i in range(1, 31)], ids
    for c in CONVS:
        if not c["labels"]:
            check_compliant(c)
    rules = {l["rule"] for c in CONVS for l in c["labels"]}
    assert len(rules) == 13, sorted(rules)
    assert len({c["agent"] for c in CONVS}) == 4
    out = Path(__file__).with_name("sample.jsonl")
    with out.open("w", encoding="utf-8") as f:
        for c in CONVS:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    print("wrote", out, len(CONVS), "compliant:", sum(1 for c in CONVS if not c["labels"]))


if __name__ == "__main__":
    main()
