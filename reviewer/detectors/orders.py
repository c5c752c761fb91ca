"""Detectors over order facts, accounts, personal data and promised gifts.

Each is registered by name and used from rule files as
``{kind = "detector", detector = "NAME"}``. They are tuned for recall: the
judge decides. The patterns are module constants so the offline deciders of
the same rules (privacy, order, promise) read the chat the same way.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

import opencc

from ..normalize import norm
from ..rules import DetectorHit, detector

if TYPE_CHECKING:
    from ..models import Order
    from ..rules import DetectorTrigger, Prepared


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def soft(text: str) -> str:
    """Width-folded, simplified, lower-case text that keeps separators and masks (138****1234, 张*)."""
    return _t2s().convert(unicodedata.normalize("NFKC", text)).lower()


def clauses(text: str) -> list[str]:
    """Normalized clauses of a message. Punctuation breaks clauses; so does a space between two runs of 2+
    characters (chat exports use spaces as sentence breaks), but not the spaces of a spaced-out word (肯 定 到)."""
    out: list[str] = []
    for part in re.split(r"[,，。.!！?？;；\n~～、]+", soft(text)):
        runs = [r for r in re.split(r"\s+", part) if r]
        cur = ""
        for k, r in enumerate(runs):
            if cur and len(r) >= 2 and len(runs[k - 1]) >= 2:
                out.append(cur)
                cur = r
            else:
                cur += r
        if cur:
            out.append(cur)
    return [norm(x) for x in out if x]


# ------------------------------------------------------------------ personal data

CJK = r"\u4e00-\u9fff"
PHONE = re.compile(
    r"(?<![\d*])1[3-9]\d(?:[\d*xX]{4}|[\s-]\d{4}|[\s-][*xX]{4})[\s-]?\d{4}(?!\d)"  # 13812345678, 138****1234, 138 1234 5678
    r"|(?<![\d*])1[3-9]\d[*xX]{4,8}(?!\d)"  # 138********
    r"|(?<![\d*])09\d{2}[\s-]?(?:\d{3}|[*xX]{3})[\s-]?\d{3}(?!\d)"  # Taiwan mobile 0912-345-678, 0912***678
    r"|(?:手机|电话|号码|联系方式|联络)[^,，。!！?？\d]{0,6}(?<!\d)[5689]\d{3}[\s-]?\d{4}(?!\d)"  # Hong Kong 9123 4567
    r"|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"  # landline
    r"|(?:手机|电话|号码|联系方式)[^,，。!！?？]{0,4}尾号(?:是|为|:)?\s*\d{4}"
    # part of the number is still the number: 电话后四位是5678, 手機末四碼5678, 5678结尾, 138开头
    r"|(?:手机|电话|号码|联系方式|手机号|联系电话)[^,，。!！?？\d]{0,6}(?:尾号|尾数|末尾|结尾|末[四4几]位|后[四4几]位|末[四4]码|后[四4]码|"
    r"最后[四4几]位|开头)[^,，。!！?？\d]{0,4}\d{3,4}(?!\d)"
    r"|(?:手机|电话|号码|手机号)[^,，。!！?？\d]{0,6}(?<!\d)(?:\d{3,4}(?:结尾|收尾)|1[3-9]\d开头)"
    r"|last\s*(?:4|four)\s*(?:digits?)?\s*(?:is|are|:)?\s*\d{4}(?!\d)"
    r"|\[(?:电话|手机|手机号|联系方式|联系电话)x?\d*\]")
ID_NUMBER = re.compile(r"(?<!\d)\d{6}(?:19|20)\d{2}[\d*]{7}[\dxX](?!\d)|\[身份证号?x?\d*\]")
ADDRESS = re.compile(
    rf"[{CJK}]{{1,10}}(?:省|市|区|县|镇|乡|街道|路|街|大道|巷|弄|胡同|村|小区|花园|大厦|公寓|苑|广场|新村|家园|公馆|府)"
    rf"[{CJK}\w\-#\s]{{0,14}}?\d+\s*(?:号楼|号院|号|弄|栋|幢|座|楼|单元|室|层)"
    rf"|[{CJK}]{{2,6}}(?:省|自治区)[{CJK}]{{2,8}}?(?:市|州|盟)"
    rf"|[{CJK}]{{2,6}}市[{CJK}]{{1,8}}?(?:区|县|镇)(?!域|别|分)"
    rf"|(?<!地)(?<!偏远地)[{CJK}]{{2,4}}(?<!地)(?:区|县)[{CJK}]{{2,8}}?(?:路|街|大道|小区|大厦|花园|苑|广场|村|镇|公寓|新城)"
    rf"|[{CJK}]{{2,10}}?\d+\s*(?:号楼|栋|幢|单元|室)"
    r"|\[(?:地址|住址|收货地址)x?\d*\]"
    # English-written addresses (HK/overseas): room 1203, 8 harbour road, flat b 5/f
    r"|(?<![a-z])(?:room|rm|flat|unit|apt|apartment|suite)\.?\s*[a-z]?\d+[a-z]?(?![a-z])"
    r"|(?<![\da-z])\d+[a-z]?\s+(?:[a-z]+\s+){1,3}(?:road|rd|street|st|avenue|ave|lane|ln|drive|dr|boulevard|blvd|terrace)(?![a-z])")
ADDRESS_PHRASE = re.compile(
    r"(?:门牌|房号|房间号|门牌号)(?:号)?(?:是|为|系|:|：)?\s*\d{2,}"
    r"|(?:地址|住址|收货地|住在|家在)(?:是|为|在|:|：)\s*"
    r"(?!哪|什么|啥|多少|对|正确|错|您|你|订单|页面|详情|下单|系统|后台|这边|修改|更改|填写|核对)[^,，。!！?？\s]{3,}")
# a place the order goes to, said in words without a street number (收货是在成都武侯区那边, 寄去深圳南山区)
PLACE_TOLD = re.compile(
    rf"(?:收货|收件|寄|发|送|地址|住)[^,，。!！?？]{{0,4}}(?:在|到|往|去|是|系|喺)(?!哪|什么|啥|多少|哪里|您|你)"
    rf"[{CJK}]{{2,8}}(?:省|市|区|县|镇|乡|村|路|街|小区|花园|大厦)"
    rf"|(?:寄|发|送)(?:去|到|往)(?!哪|什么|啥)[{CJK}]{{2,12}}\d+\s*(?:号|楼|栋|幢|座|室|单元)"
    rf"|(?:在|是|系|喺|到|去)(?!哪|什么|啥|您|你|这|那|我们|本)[{CJK}]{{2,8}}?(?:小区|花园|大厦|公寓|新村|家园|社区|屋苑|屋邨|山庄)"
    r"(?![^,，。!！]{0,4}(?:吗|嗎|么|呢|[?？]))")
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范"
            "金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章"
            "鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾"
            "尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲"
            "虞敖巩明佘池查麻苑迟邝")
NOT_NAMES = "商家|商户|师傅|快递|客服|仓库|售后|厂家|公司|门店|明天|时间|全部|和您|和你|关于|方便|安排|包裹|于是|成功"
NAME = re.compile(
    rf"(?:收件人|收货人|签收人|联系人|下单人|下单的人|姓名|名字|寄件人|收件的人)(?:是|为|叫|写的是|填的是|写的|填的|:|：)\s*"
    rf"(?!谁|哪|什么|啥|您|你|本人|自己|真实|正确|对的|空|多少|一样|一致|不是|否)[{CJK}*xX]{{1,4}}"
    rf"|(?:寄给|发给|送给|收件人|收货人|签收人|联系人|下单人|收件的|收货的|签收的)(?:是|为|叫|系|:|：)?\s*(?!{NOT_NAMES})[{SURNAMES}]"
    rf"(?:[{CJK}]{{1,2}}|[*xX]{{1,2}}|先生|女士|小姐)"
    rf"|(?:是|系|寄给|发给|由)[{SURNAMES}](?:先生|女士|小姐|太太|生)(?:收|签|的|嘅)"
    rf"|(?<![{CJK}])[{SURNAMES}][*]{{1,3}}"
    rf"|(?:收件人|收货人|签收人|联系人|下单人|他|她|对方)[^,，。!！?？]{{0,4}}姓[{SURNAMES}]"
    r"|(?<!\[)(?:收件人|收货人|签收人|联系人|下单人|姓名|名字|寄给|发给)(?!x?\d*\])[^,，。!！?？]{0,4}\[姓名x?\d*\]")
NAME_PLACEHOLDER = re.compile(r"\[姓名x?\d*\]")
# the shop's own or a third party's contact data is not the order's personal data
SHOP_CONTACT = re.compile(
    r"退货地址|退回地址|寄回|退回到|寄到我们|发到我们|售后地址|仓库地址|我们的地址|我们地址|公司地址|店铺地址|门店|"
    r"客服电话|售后电话|服务电话|热线|400|配送员|快递员|派送员|快递小哥|小哥|师傅|网点|站点|厂家|安装电话|维修|"
    r"服务中心|营业厅|官方电话|官网|我们的电话|我的电话|店长电话|发件地址|发货地|仓库|"
    r"从[^,，。!！?？]{0,12}(?:发出|发货|发的|出库|寄出)")
AFFIRM = re.compile(r"^(?:亲|亲亲|您好|宝|宝宝)?[,，~\s]*(?:是的|对的|对(?!不起)|没错|冇错|无错|系嘅|系呀|系啊|系咪|啱|嗯|正确|一致|核对无误|没问题|是这个|是这样|yes|yep|yeah|right|correct|bingo)"
                    r"|^[^,，。!！?？]{0,6}?(?<![不没])(?:没错|冇错|对的|是的|系嘅|正确的|一致的|无误|是这个地址|是这个号|就是这个|就是这里)")

RELATIONS = (r"朋友|家人|家里人|老公|老婆|妻子|丈夫|爱人|媳妇|男朋友|女朋友|男友|女友|对象|妈妈|母亲|爸爸|父亲|"
             r"儿子|女儿|孩子|哥哥|姐姐|弟弟|妹妹|同事|室友|舍友|同学|亲戚|表哥|表姐|表弟|表妹|闺蜜|领导|老板|"
             r"家属|婆婆|岳母|公公|邻居|老妈|老爸|我妈|我爸|我哥|我姐|我弟|我妹|亲人|男票|女票")
ACCOUNT = r"账号|帐号|账户|旺旺|id|会员名|号"
IMPOSTOR = re.compile(
    rf"我是(?:他|她|ta|他们|她们|那个|原来|之前|刚才|下单人|下单的人|买家|收件人|收货人)?的?(?:{RELATIONS})"
    rf"|我系[^,，。!！?？]{{0,8}}(?:嘅|的)(?:{RELATIONS})"
    rf"|我是[^,，。!！?？是给送买]{{1,8}}的(?:{RELATIONS})"
    rf"|(?:^|[,，。!！?？\s])(?:我的?|是我)(?:{RELATIONS})(?:用|在|拿|登)?[^,，。!！?？给帮替]{{0,5}}(?:拍的|买的|下的单|下单的|拍了|下了单)"
    rf"|(?:{RELATIONS})的(?:{ACCOUNT})"
    rf"|(?:用|借|拿)了?(?:我)?(?:{RELATIONS}|别人|他人|其他人|另一个人)的(?:{ACCOUNT}|手机)"
    rf"|换了?(?:一个|个|新)?(?:{ACCOUNT})(?!码)|另(?:一|外一?)个(?:账号|帐号|账户|旺旺|id|会员名)"
    rf"|(?:用|拿|换|借|在|从|登)了?(?:我的?)?(?:小号|大号|别的号|其他号|另一个号|另外一个号|别的账号|其他账号)(?!码)"
    rf"|不是(?:用)?(?:这个|我这个|本)(?:{ACCOUNT})(?:拍|下单|买)"
    rf"|(?:这个|这)(?:{ACCOUNT})是(?:我)?(?:{RELATIONS}|别人)"
    rf"|我是(?:原来|之前|刚才|刚刚|那个)(?:那个)?(?:买家|下单|拍|客户|顾客)"
    # the account in this chat is not the one that ordered (这个号不是下单的号, 之前那个号被封了)
    rf"|(?:这个|这|我这个|现在这个|当前|现在的?)(?:{ACCOUNT})(?:不是|并非|唔系)(?:下单|拍|买|当时|原来)"
    rf"|(?:之前|原来|以前|旧|老)(?:那个|的)?(?:账号|帐号|号)[^,，。!！?？]{{0,3}}(?:被封|封了|登不上|登录不了|登不了|不用了|丢了|找不回|注销|上不去)"
    rf"|我就是[^,，。!！?？]{{0,6}}(?:本人|买家|下单)"
    rf"|(?:帮|替|代)(?:我)?(?:{RELATIONS}|他|她|ta|别人)(?:查|问|看|核对|确认|取消|关闭|关掉|撤销|改|拿)"
    rf"|(?:他|她|ta|我{RELATIONS})的(?:地址|电话|手机|收货|信息|名字|姓名|订单|单子)"
    rf"|(?:他|她|ta|我的?(?:{RELATIONS}))(?:的|嘅|嗰|𠮶|那|果|个)(?:张|个|笔)?(?:单|订单|单子|地址|电话|收货)")


# the buyer asks for a name; the agent's short answer is the name itself ("叫周晓梅哦", "是姓陈的")
ASKS_NAME = re.compile(r"(?:收件人|收货人|签收人|下单人|名字|姓名)[^,，。!！]{0,4}(?:什么|啥|谁|咩|乜|哪位|来着|是[?？])"
                       r"|(?:谁|边个)(?:收|签|下单|拍)")
NAME_ANSWER = re.compile(rf"^(?:亲|亲亲|您好|宝)?[,，~\s]*(?:叫|是|系|写的是|填的是|收件人是|名字是)?(?:姓)?[{SURNAMES}]"
                         rf"[{CJK}*xX]{{0,2}}(?:哦|哈|呢|啊|喔|的|先生|女士|小姐|[,，。!！~～\s]|$)")


# the buyer checks a name ("收件人是不是姓李", "名字系唔系陈生"); a surname in the reply tells it ("系姓陈嘅", "是王女士")
CHECKS_NAME = re.compile(r"(?:收件人|收货人|签收人|下单人|名字|姓名)[^,，。!！]{0,6}(?:是不是|是否|系唔系|系咪|对不对|对吗|吗|姓)")
NAME_IN_REPLY = re.compile(rf"姓[{SURNAMES}]|[{SURNAMES}](?:先生|女士|小姐|太太)")
DENIED_BEFORE = re.compile(r"(?:不是|唔系|不|唔|冇|没|并非)\s*$")


def name_answer(question: str, reply: str) -> bool:
    """Is the agent's reply to a buyer's question for a name the name itself (or the surname)?"""
    q, r = soft(question), soft(reply).strip()
    if ASKS_NAME.search(q) and NAME_ANSWER.search(r):
        return True
    if ASKS_NAME.search(q) or CHECKS_NAME.search(q):
        return any(not DENIED_BEFORE.search(r[max(0, m.start() - 3):m.start()]) for m in NAME_IN_REPLY.finditer(r))
    return False


# the buyer asks for a phone; a reply with its last digits (尾号5678, 5678结尾) gives part of the number away
ASKS_PHONE = re.compile(r"电话|手机|号码|联系方式|座机|固话|phone|number")
PHONE_TAIL = re.compile(r"(?:尾号|尾数|末尾|结尾是|后[四4]位|末[四4]位|后[四4]码|末[四4]码)[^,，。!！?？\d]{0,3}\d{3,4}(?!\d)"
                        r"|(?<!\d)\d{3,4}(?:结尾|收尾)|(?<!\d)(?:1[3-9]\d|09\d{2})开头")
NOT_PHONE_TAIL = re.compile(r"订单|单号|运单|快递单|卡|账号|帐号|编号")


# a bare fragment of a number in the answer to a phone question ("是8864哦", "留的还是186那个"): not an amount,
# date, time or count
PHONE_FRAGMENT = re.compile(r"(?<![\d.:：/\-满减第共约价¥￥$])(?:1[3-9]\d|09\d{2}|\d{4})(?![\d.:：/%-])"
                            r"(?!\s*(?:元|块|圆|rmb|天|号|点|件|个|年|月|日|岁|度|米|斤|克|ml|g|kg|分|秒|次|单|位|折|w|k|毫|寸|码|m|款|台|型|系列))")
# the question is about the order's contact number (留的电话, 她手机, 后几位), not a phone the shop sells
ASKS_CONTACT = re.compile(r"(?:留|填|写|预留|收件|收货|联系|下单|订单上|单上|她|他|ta|对方)[^,，。!！?？]{0,4}(?:电话|手机|号码|座机|固话|联系方式)"
                          r"|(?:电话|手机|号码|座机)[^,，。!！?？]{0,4}(?:留|填|写)|后几位|尾号|尾数|后[四4]位|开头|哪个号")
NOT_PHONE_ASK = re.compile(r"单号|订单号|运单|物流号|快递号|卡号|账号|帐号|编号|型号|客服|售后|快递员|师傅|小哥|你们的?电话|店铺")


def tail_answer(question: str, reply: str) -> bool:
    """Is the agent's reply to a buyer's question about a phone number the number's last (or first) digits?"""
    s, q = soft(reply), soft(question)
    if not ASKS_PHONE.search(q) or NOT_PHONE_TAIL.search(s):
        return False
    if PHONE_TAIL.search(s):
        return True
    return bool(ASKS_CONTACT.search(q)) and not NOT_PHONE_ASK.search(q) and bool(PHONE_FRAGMENT.search(s))


# the buyer checks a piece of personal data against the order ("是不是寄到单位了", "电话是不是139那个"): a bare
# "嗯 就是那里" to it confirms the data as surely as reading it out
VERIFY_TOPIC = re.compile(rf"地址|收货地|收件地|寄到|寄去|寄往|送到|送去|发到|收件人|收货人|签收人|收件的|门牌|房号|小区|"
                          rf"(?:留|填|写)的?(?:是|电话|手机|号码|地址|名字|哪)|(?:手机|电话)号?码?(?:是|尾号|后几位|后[四4]位|开头)|"
                          rf"(?:名字|姓名)(?:是|叫)|姓[{SURNAMES}]")
VERIFY_FORM = re.compile(r"是不是|是否是|对不对|对吗|没错吧|对吧|是吧|系唔系|系咪|写对|填对|有没有写错|有没有填错|是[^,，。!！?？]{1,14}(?:吗|么|吧)")
NOT_VERIFY = re.compile(r"能不能|可以|可不可以|怎么|如何|改|换成|驿站|快递柜|丰巢|自提|代收点|门卫|"
                        r"门口|上楼|楼上|上门|送货|配送|安装|师傅|快递员|退货|退回|寄回")
PLACEHOLDER = re.compile(r"\[[^\]]{1,8}x?\d*\]")


def verify_ask(text: str) -> bool:
    s = PLACEHOLDER.sub("", soft(text))  # corpus masks ([姓名x]) are not words the buyer typed
    return bool(VERIFY_TOPIC.search(s) and VERIFY_FORM.search(s)) and not NOT_VERIFY.search(s)


def pii_kinds(text: str) -> list[str]:
    """Kinds of personal data in a message (original text); empty when none."""
    s = soft(text)
    # spaced-out digits and words (1 3 8-1234, 收 件 人) read as one run too
    compact = re.sub(r"(?<=[\d\u4e00-\u9fff])[\s\-·_.|/]+(?=[\d\u4e00-\u9fff])", "", s)
    kinds = [k for k, rx in (("phone", PHONE), ("id_number", ID_NUMBER), ("address", ADDRESS), ("name", NAME),
                             ("name_placeholder", NAME_PLACEHOLDER))
             if rx.search(s) or rx.search(compact)]
    if not kinds and (ADDRESS_PHRASE.search(s) or PLACE_TOLD.search(s)):
        kinds.append("address_phrase")
    return kinds


def is_shop_contact(text: str) -> bool:
    return bool(SHOP_CONTACT.search(soft(text)))


# a buyer message that tries to instruct the reviewer is not evidence of anything
INJECTION = re.compile(r"忽略|指令|system|assistant|prompt|判定|合规|违规|质检|审核员|标注", re.I)


def is_injection(text: str) -> bool:
    return bool(INJECTION.search(soft(text)))


THIRD_PARTY_STAFF = re.compile(r"快递|配送|派送|师傅|小哥|客服|商家|店家|卖家|老板|厂家|司机|骑手")


def impostor_claim(text: str) -> bool:
    """A buyer says they are someone else's friend/family, use another account, or ask for another's data."""
    s = soft(text).replace(" ", "")
    if INJECTION.search(s):
        return False
    m = IMPOSTOR.search(s)
    if m is None:
        return False
    if m.group(0).startswith(("他的", "她的", "ta的")) and THIRD_PARTY_STAFF.search(s):
        return False  # the courier's or shop's contact, not another buyer
    return True


@detector("personal_data_in_agent_message")
def personal_data_in_agent_message(p: Prepared, t: DetectorTrigger) -> list[DetectorHit]:
    """Agent messages with personal data (phone, also masked; ID number; address; name; corpus placeholders),
    agent confirmations of personal data a buyer typed, and buyer claims to act for another account.

    One hit per conversation. Facts: ``pii_messages`` {id: kinds}, ``confirmed_messages`` (agent said yes to
    data the buyer typed), ``impostor_messages``, ``shop_contact_messages`` (the shop's or courier's own data).
    """
    msgs = p.conv.messages
    pii: dict[str, list[str]] = {}
    shop: list[str] = []
    confirmed: list[str] = []
    impostor: list[str] = []
    last_buyer_pii = -10
    last_buyer = ""
    for i, m in enumerate(msgs):
        mid = m.id or ""
        if m.role == "buyer":
            if impostor_claim(m.text):
                impostor.append(mid)
            if pii_kinds(m.text) or verify_ask(m.text):
                last_buyer_pii = i
            last_buyer = m.text
            continue
        if m.role != "agent":
            continue
        kinds = (pii_kinds(m.text) or (["name"] if name_answer(last_buyer, m.text) else [])
                 or (["phone"] if tail_answer(last_buyer, m.text) else []))
        if kinds:
            if is_shop_contact(m.text):
                shop.append(mid)
            else:
                pii[mid] = kinds
        elif i - last_buyer_pii <= 2 and AFFIRM.search(soft(m.text).strip()):
            confirmed.append(mid)
    if not pii and not confirmed and not impostor:
        return []
    ids = [m.id or "" for m in msgs if (m.id or "") in set(pii) | set(confirmed) | set(impostor)]
    return [DetectorHit(messages=ids, label="personal_data", facts={
        "pii_kinds": sorted({k for v in pii.values() for k in v}),
        "pii_messages": pii, "confirmed_messages": confirmed,
        "impostor_messages": impostor, "shop_contact_messages": shop,
    })]


# ------------------------------------------------------------------ order closes

CLOSE_REQUEST = re.compile(
    r"(?:取消|关闭|关掉|关了|撤销|撤单|删除|删掉|cancel)(?!退款|售后|申请|投诉|退货|换货|订阅|预约|服务单|工单|收藏|关注|自动)"
    r"|关(?:一个|一单|一下|掉|吧|了吧|单)|不要了|不想要了|唔要|不想买了|不买了|不要这[个单]|拍错了?|拍多了|拍重复|重复拍|重拍|退单"
    r"|只要一[个单份]|留一[个单份]|不需要了|用不着了|(?:下|买|选|填|拍)错|重新(?:下单|下|拍|买|购买)"
    r"|(?:申请了?|要|想|帮我|给我|能|可以|直接)退款|退款吧|退了吧|拦截|拦下|拦回|不要发|别发|先别发|不用发")
# saying what went wrong (拍错了, 填错了, 重新拍) is a request to close only when the buyer does not ask for something
# else instead: "拍错颜色了 能改成白色吗" asks for a change, not for the order to be closed
WEAK_CLOSE = re.compile(r"^(?:拍错了?|拍多了|拍重复|重复拍|重拍|(?:下|买|选|填|拍)错|重新(?:下单|下|拍|买|购买))$")
CHANGE_ASK = re.compile(r"改|换|修改|更改|更换|调整|备注|晚点发|晚几天|延迟发|推迟|先别急|等几天|补拍|加购|合并|要的是|想要的是|"
                        r"应该是|本来要|本来想要|其实要")
# verbs that close an order only when an order is what they act on (单子给您作废了, 那单我先处理掉了, 单给您退掉了)
SOFT_CLOSE = (r"作废|清掉|撤回|处理掉|退掉|砍掉|砍单|注销|无效处理|失效处理|作无效|做无效|做失效|作失效|置为无效|设为无效|"
              r"处理成(?:交易)?(?:关闭|无效|失效)")
# an order "refunded away" by the shop (您的单子已经给您退了): a close, when the order (not a fee) is what is refunded
REFUND_CLOSE = re.compile(r"(?:单|单子|订单)[^,，。!！?？运邮差费]{0,6}(?:退了|退咗|退掉了|退单了|全额退)")
ORDER_NOUN = re.compile(r"单|订单|交易|order")
CLOSE_VERB = rf"(?:关闭|关掉|关了|关咗|取消|撤销|撤掉|撤了|撤咗|cancel|close|{SOFT_CLOSE})"
# the shop says it closes/closed the order (someone of the shop is the subject)
AGENT_CLOSED = re.compile(
    rf"(?:帮您|给您|帮你|给你|替您|为您|这边|我们|我这边|小妹|妹子|我来|我已|我给|我帮|我把)"
    # "这边显示您的订单已经取消" reports what the screen shows; the shop is not the closer
    rf"(?:(?!显示|查|看到|看了|看下|看一下|系统)[^,，。!！?？]){{0,8}}{CLOSE_VERB}")
# the order is reported closed, without saying who did it
CLOSED_PASSIVE = re.compile(
    rf"(?:已|已经)[^,，。!！?？]{{0,6}}{CLOSE_VERB}|(?:关闭|关掉|取消|撤销|作废|cancel|close)(?:了|咗|左|掉了)|订单(?:已|已经|被)(?:被)?(?:关闭|取消)"
    r"|交易(?:已|已经|被)?关闭")


# the buyer only weighs a close, asks what it would cost, or threatens it ("我再考虑下要不要取消", "如果取消的话运费险还在吗",
# "取消会影响信誉吗", "再不发货我就取消了"): not a request
HYPOTHETICAL_BEFORE = re.compile(r"(?:考虑|要不要|是否|该不该|想不想|还没想好|纠结|犹豫|还在想|再想想|怕|担心)[^,，。!！?？]{0,8}$")
# a threat about the shop's delay ("再不发货我就取消了", "不然我取消了啊") is pressure, not a request
THREAT_BEFORE = re.compile(r"(?:再不|还不|不然|否则|要不然)[^,，。!！?？]{0,8}$")
# "如果…取消的话" asks what would happen; "如果没货就取消吧" is a request with a condition the shop can meet
CONDITION_BEFORE = re.compile(r"(?:如果|要是|假如|假设|若是|万一)[^,，。!！?？]{0,8}$")
IMPERATIVE_AFTER = re.compile(r"^(?:掉|了)?(?:吧|算了|好了|就行|就好|即可)")
COND_THEN = re.compile(r"(?:就|那就|的话|那)(?:帮我|给我|直接)?$")
IMPERATIVE_BEFORE = re.compile(r"(?:帮我|给我|替我|直接|麻烦|请)[^,，。!！?？]{0,2}$|就$")
HYPOTHETICAL_AFTER = re.compile(r"^[^,，。!！?？]{0,3}(?:的话|会不会|会影响|会有|有什么影响|有影响|影响|算不算|扣分|扣钱|收费|手续费)")
# the buyer reports the order's state ("订单显示交易关闭", "怎么被取消了"), not asking for a close
CLOSE_STATE = re.compile(r"(?:显示|提示|变成|变为|成了|状态|被|已经?|怎么|为什么|为啥|咋|谁)[^,，。!！?？]{0,4}$")


AFFIRM_CONSENT = re.compile(r"^(?:好|可以|行|嗯|ok|没问题|同意|关吧|取消吧|那就|关了吧|麻烦|谢谢|好的|嗯嗯|可)")


def close_requests(p: Prepared, order: Order | None) -> list[dict[str, object]]:
    """Buyer messages asking to close/cancel (not negated), with who sent them."""
    from ..judge.offline import negated_at

    out: list[dict[str, object]] = []
    for i, m in enumerate(p.conv.messages):
        if m.role != "buyer" or is_injection(m.text):
            continue
        text = p.text(i)
        hits = [x for x in CLOSE_REQUEST.finditer(text) if (not negated_at(text, x.start())
                or COND_THEN.search(text[:x.start()])  # "发不了就取消吧": the 不 belongs to the condition
                or x.group(0).startswith(("不要", "不想", "不买"))) and not CLOSE_STATE.search(text[:x.start()])
                and not HYPOTHETICAL_BEFORE.search(text[:x.start()]) and not HYPOTHETICAL_AFTER.search(text[x.end():])
                and not (THREAT_BEFORE.search(text[:x.start()]) and not IMPERATIVE_AFTER.search(text[x.end():]))
                and not (CONDITION_BEFORE.search(text[:x.start()]) and not IMPERATIVE_AFTER.search(text[x.end():])
                         and not IMPERATIVE_BEFORE.search(text[:x.start()]))]
        if hits and all(WEAK_CLOSE.match(x.group(0)) for x in hits) and CHANGE_ASK.search(text):
            hits = []  # a change asked for, not a close
        hit = hits[0] if hits else None
        if hit is None:
            continue
        buyer = order.buyer if order is not None else None
        out.append({"message": m.id, "index": i, "sender": m.sender,
                    "is_order_buyer": None if buyer is None else m.sender == buyer,
                    "at": m.ts.isoformat() if m.ts else None})
    return out


@detector("seller_closed_order")
def seller_closed_order(p: Prepared, t: DetectorTrigger) -> list[DetectorHit]:
    """Orders the seller (or an unknown party) closed, with the buyer messages that asked for a close and the
    agent messages that say it was closed. One hit per such order."""
    hits = []
    for o in p.conv.orders:
        closes = [e for e in o.events if e.type == "closed" and e.by in ("seller", None)]
        if not closes:
            continue
        reqs = close_requests(p, o)
        agent_msgs = [m.id for i, m in enumerate(p.conv.messages)
                      if m.role == "agent" and AGENT_CLOSED.search(p.text(i))]
        closed_at = closes[-1].at
        for r in reqs:
            ts = p.conv.messages[int(r["index"])].ts  # type: ignore[call-overload]
            r["before_close"] = None if (ts is None or closed_at is None) else ts <= closed_at
        ids = {str(r["message"]) for r in reqs} | {x for x in agent_msgs if x}
        hits.append(DetectorHit(messages=[m.id or "" for m in p.conv.messages if m.id in ids],
                                order=o.id, label="seller_closed_order",
                                facts={"closed_by": closes[-1].by,
                                       "closed_at": closed_at.isoformat() if closed_at else None,
                                       "close_requests": [{k: v for k, v in r.items() if k != "index"} for r in reqs]}))
    return hits


# ------------------------------------------------------------------ gifts

# words that speak of a gift; 配送的 / 运送一下 / 送到 are delivery, not gifts
GIFT_RX = re.compile(r"赠|礼物|礼品|小礼|福利|小样|买一送一|额外送|(?<![配派运递输护接投快发寄您你])送(?:的|您|你|一|个|两)(?!到|达|过去|上门|货)")


def gift_keys(gifts: list[str]) -> list[str]:
    """Words that name the order's gifts in a chat: the gift without counts, and its last 2-3 characters."""
    keys: set[str] = set()
    for g in gifts:
        core = re.sub(r"[^\u4e00-\u9fff]+", "", soft(g))
        core = re.sub(r"[个只件双对份条]$", "", core)
        if len(core) >= 2:
            keys.add(core)
            keys.add(core[-2:])
            if len(core) >= 3:
                keys.add(core[-3:])
    return sorted(keys, key=lambda k: (-len(k), k))  # deterministic: prompts and cache keys depend on it


# the thing promised in the chat: 送一个迷你风扇 -> 迷你风扇 (its last characters then name it later: 风扇)
PROMISED_THING = re.compile(r"(?:送|赠)(?:您|你|给您|给你)?(?:[一两二三四五六七八九十\d]+)?(?:个|只|双|对|套|份|瓶|支|条|张|件|盒|包|款|把)?"
                            r"([\u4e00-\u9fff]{2,8})")
THING_END = re.compile(r"[哦哈呢啦呀的给您你和及与还也就都，。!！?？~～]|作为|当作|一起|给|免费|噢|喔|嘛|吧")
NOT_THING = re.compile(r"^(?:货|到|达|过去|上门|人|朋友|闺蜜|礼|给)")
# the agent promises a gift in the chat: 买两件送一条丝巾, 下单就送, 额外送您一个
CHAT_GIFT_PROMISE = re.compile(r"(?:买[^,，。!！?？]{0,4}|下单|拍下?|就|还|再|额外|加|都|会|另)(?:送|赠)"
                               r"|(?:送|赠)(?:您|你)?[一两二三四五\d]+(?:个|只|双|对|套|份|瓶|支|条|张|件|盒|包|款|把)")


def promised_things(texts: list[str]) -> list[str]:
    """The things an agent promised as gifts in these messages (送一个迷你风扇 -> 迷你风扇)."""
    out = []
    for t in texts:
        for m in PROMISED_THING.finditer(t):
            thing = m.group(1)
            if NOT_THING.match(thing):
                continue
            cut = THING_END.search(thing)
            thing = thing[:cut.start()] if cut else thing
            if len(thing) >= 2:
                out.append(thing)
    return out


@detector("promised_gift")
def promised_gift(p: Prepared, t: DetectorTrigger) -> list[DetectorHit]:
    """Orders that promise gifts (``gifts``), with every message that names a gift word or the gift itself."""
    hits = []
    for o in p.conv.orders:
        if not o.gifts:
            continue
        keys = gift_keys(o.gifts)
        ids = [m.id or "" for i, m in enumerate(p.conv.messages)
               if m.role in ("buyer", "agent") and (any(k in p.text(i) for k in keys) or GIFT_RX.search(p.text(i)))]
        if ids:
            hits.append(DetectorHit(messages=ids, order=o.id, label="promised_gift",
                                    facts={"gifts": o.gifts, "gift_keys": keys}))
    if any(o.gifts for o in p.conv.orders):
        return hits
    # no gift in the order facts: a gift the agent promised in the chat, and every later message that names it
    msgs = p.conv.messages
    for i, m in enumerate(msgs):
        if m.role != "agent" or not CHAT_GIFT_PROMISE.search(p.text(i)):
            continue
        keys = gift_keys(promised_things([p.text(i)]))
        if not keys:
            continue
        later = [j for j in range(i + 1, len(msgs)) if msgs[j].role in ("buyer", "agent")
                 and (any(k in p.text(j) for k in keys) or GIFT_RX.search(p.text(j)))]
        if later:
            hits.append(DetectorHit(messages=[m.id or ""] + [msgs[j].id or "" for j in later], label="promised_gift",
                                    facts={"gifts": [], "chat_gifts": promised_things([p.text(i)]), "gift_keys": keys}))
            break
    return hits
