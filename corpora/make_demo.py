#!/usr/bin/env python3
"""Generate voc's bundled demo survey: a fictional grocery + food-delivery brand, 鲜到家 / 鮮到家.

Every comment is assembled from phrase banks written for voc (no third-party text), in the script of
the respondent's region: 华东/华南/华北 Simplified, 台湾 Taiwan Traditional, 香港 Hong Kong
Traditional with Cantonese. Scores come from a latent model with planted drivers, so the truth is known:

    python corpora/make_demo.py                     # rewrite the files next to this script
    python corpora/make_demo.py --out /tmp/demo --seed 7
    python corpora/make_demo.py --print-table       # the planted-driver table used in corpora/README.md

Files written (see corpora/README.md): demo_survey.csv, demo_truth.csv, demo_truth.json,
demo_qualtrics.csv, demo_wjx.csv (GB18030), demo_wjx.xlsx, demo_surveymonkey.csv.
Standard library + numpy + openpyxl only; the same seed gives byte-identical files.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import re
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SEED = 2026
N_ROWS = 2600
N_EXPORT = 60  #: rows copied into the survey-tool exports
THEMES = ("logistics", "price", "service", "product")
SUBTHEMES: dict[str, tuple[str, ...]] = {
    "logistics": ("delivery_speed", "courier", "packaging", "wrong_or_missing", "tracking"),
    "price": ("price_level", "value_for_money", "promotion", "fees"),
    "service": ("customer_service", "staff_attitude", "after_sales_returns", "response_time"),
    "product": ("quality", "function", "taste", "appearance", "size_fit", "authenticity"),
}
ALL_SUBTHEMES = tuple(f"{t}.{s}" for t in THEMES for s in SUBTHEMES[t])
POLARITY = {"-": "negative", "+": "positive", "0": "neutral"}
SIGN = {"negative": -1, "neutral": 0, "positive": 1}

REGIONS = ("华东", "华南", "华北", "台湾", "香港")
REGION_P = (0.32, 0.24, 0.22, 0.12, 0.10)
SCRIPT = {"华东": "s", "华南": "s", "华北": "s", "台湾": "tw", "香港": "hk"}
CHANNELS = ("app", "miniprogram", "web", "store")
CHANNEL_P = {"s": (0.44, 0.28, 0.16, 0.12), "tw": (0.58, 0.0, 0.27, 0.15), "hk": (0.55, 0.0, 0.28, 0.17)}
MONTHS = ((2026, 4, 30), (2026, 5, 31), (2026, 6, 30), (2026, 7, 31), (2026, 8, 31), (2026, 9, 30))
MONTH_P = (0.15, 0.16, 0.18, 0.17, 0.17, 0.17)
HOUR_W = (1, 1, 0, 0, 0, 1, 2, 4, 6, 6, 6, 8, 10, 9, 6, 5, 5, 6, 8, 10, 11, 10, 7, 3)

# Score quirks, planted exactly (documented in README.md and demo_truth.json).
NPS_BLANK = 52
NPS_JUNK = (("N/A", 4, "any"), ("10分", 3, "ten"), ("11", 3, "ten"))  # value, count, which rows
CSAT_BLANK = 49
N_MULTILINE = 6  #: comments with a line break between two clauses
EXPORT_BLANKS = 3  #: blank comments guaranteed among the first N_EXPORT rows (skip codes in the exports)
EXPORT_CSAT_BLANKS = 2  #: of the CSAT blanks, how many fall in the first N_EXPORT rows

# Latent score model: nps = clip(round(NPS_BASE + shifts + N(0, NPS_SD)), 0, 10);
# csat = clip(round(CSAT_INTERCEPT + CSAT_SLOPE * clip(nps_latent, 0, 10) + csat shifts
#                   + N(0, CSAT_SD)), 1, 5)
NPS_BASE, NPS_SD = 8.7, 2.0
CSAT_INTERCEPT, CSAT_SLOPE, CSAT_SD = 1.05, 0.37, 0.5


@dataclass(frozen=True)
class Effect:
    """A planted driver: respondents with a matching mention get their latent scores shifted."""

    theme: str
    subtheme: str  #: '' = any sub-theme of the theme (the shift is applied once)
    polarity: str
    nps_shift: float  #: points on the 0-10 scale
    csat_shift: float  #: points on the 1-5 scale, on top of the shift carried over from NPS
    headline: bool = False

    @property
    def key(self) -> str:
        return f"{self.theme}{'.' + self.subtheme if self.subtheme else ''}:{self.polarity}"


EFFECTS: tuple[Effect, ...] = (
    Effect("logistics", "delivery_speed", "negative", -3.0, -0.3, headline=True),
    Effect("service", "", "negative", -2.5, -0.8, headline=True),
    Effect("price", "value_for_money", "positive", +1.2, +0.1, headline=True),
    Effect("product", "quality", "negative", -2.0, -0.4, headline=True),
    Effect("product", "", "positive", +0.8, +0.2, headline=True),
    Effect("logistics", "wrong_or_missing", "negative", -1.5, -0.3),
    Effect("product", "taste", "negative", -1.2, -0.3),
    Effect("logistics", "packaging", "negative", -1.0, -0.2),
    Effect("price", "price_level", "negative", -1.0, -0.1),
    Effect("logistics", "courier", "negative", -1.0, -0.2),
    Effect("price", "fees", "negative", -1.0, -0.2),
    Effect("service", "", "positive", +0.6, +0.3),
    Effect("logistics", "delivery_speed", "positive", +0.5, +0.1),
)

# Mention probabilities per themed comment: sub-theme -> (negative, positive, neutral).
MENTION_P: dict[str, tuple[float, float, float]] = {
    "logistics.delivery_speed": (0.16, 0.13, 0.02),
    "logistics.courier": (0.03, 0.045, 0.0),
    "logistics.packaging": (0.04, 0.045, 0.01),
    "logistics.wrong_or_missing": (0.035, 0.01, 0.0),
    "logistics.tracking": (0.022, 0.01, 0.0),
    "price.price_level": (0.055, 0.04, 0.02),
    "price.value_for_money": (0.035, 0.19, 0.0),
    "price.promotion": (0.03, 0.045, 0.0),
    "price.fees": (0.03, 0.01, 0.0),
    "service.customer_service": (0.065, 0.035, 0.0),
    "service.staff_attitude": (0.02, 0.025, 0.0),
    "service.after_sales_returns": (0.05, 0.02, 0.0),
    "service.response_time": (0.03, 0.01, 0.0),
    "product.quality": (0.125, 0.11, 0.025),
    "product.function": (0.02, 0.025, 0.0),
    "product.taste": (0.05, 0.10, 0.0),
    "product.appearance": (0.012, 0.03, 0.0),
    "product.size_fit": (0.025, 0.025, 0.0),
    "product.authenticity": (0.01, 0.015, 0.0),
}
MAX_MENTIONS = 3
SEGMENT_EFFECT = {"region": "华南", "mention": "logistics.delivery_speed:negative", "multiplier": 1.6}
TIME_EFFECT = {
    "event": "carrier change on 2026-08-01",
    "multipliers": {
        "logistics.delivery_speed:negative": {"2026-08": 2.0, "2026-09": 1.5},
        "logistics.courier:negative": {"2026-08": 1.5, "2026-09": 1.5},
        "logistics.tracking:negative": {"2026-08": 1.8, "2026-09": 1.4},
    },
}
SEASONAL = {"price.promotion:positive": {"2026-06": 1.8}}  # 618 sales; not a planted score effect
STORE_ONLY = {"service.staff_attitude": (3.0, 0.5)}  # mention multiplier for store / other channels

# Comment kinds (shares of all rows); "themed" comments with no mention drawn become "generic".
KIND_P = {"blank": 0.022, "nonanswer": 0.025, "emoji": 0.012, "generic": 0.08, "themed": 0.861}

# --------------------------------------------------------------------------------------------------
# Phrase banks, written for voc. Template syntax: {a|b|c} picks one alternative ('' allowed),
# <SLOT> is filled from SLOTS[script]. One template per line.
# --------------------------------------------------------------------------------------------------

BANK: dict[str, dict[str, dict[str, str]]] = {}

BANK["s"] = {
    "logistics.delivery_speed": {
        "-": """
本来想着周末在家做顿饭，上午十点下的单，结果一直等到下午三点多菜才送到，{饭都没做成|计划全打乱了}
{这是|已经是}第<D>次{迟到|超时}了，每次都说{马上到|在路上}，{结果|最后}又等了<M>分钟
{物流|快递|配送|送货}{太|也太|实在太|真的太}慢了
{物流|快递}慢得{离谱|要命|像蜗牛一样}
等了<D>天才{到货|收到}
说好的次日达，结果<D>天才{到|送到}
外卖{送了|等了}<M>分钟{才到|还没到}，{饭菜|菜}都{凉了|凉透了}
{配送|送货}时间一拖再拖
发货{太慢|超级慢|慢吞吞的}
物流太slow了
下单<D>天了{还没发货|还显示待发货}
预约的上午送，{下午|晚上}才到
送达时间比预计晚了{一个多小时|两个小时|大半天}
{配送|物流}时效{很差|太差|一言难尽}
{买的|点的}冰淇淋送到都化成水了，{路上|配送}也太久了
""",
        "+": """
{物流|快递|配送|送货}{很快|非常快|超快|特别快|挺快的}
{下单|上午下单}{当天|半天|两小时}就到了
外卖{不到|才}<M2>分钟就送到了，还是热的
次日达{说到做到|没骗人|名不虚传}
送货速度{yyds|没得说|杠杠的}
{配送|物流}{速度|时效}{很给力|真不错|一流}
比预计{时间|的}早到了
""",
        "0": """
{物流|配送}速度{一般|中规中矩|还行吧}
送货{不快不慢|速度正常}，能接受
""",
    },
    "logistics.courier": {
        "-": """
{快递员|快递小哥|骑手|外卖小哥}态度{很差|恶劣|特别凶}
{快递员|骑手}{不打电话|没打招呼}就{放门口|扔驿站|塞快递柜}了
骑手{送错楼|找不到路}还怪我
快递员{不送上楼|非要我自己下楼拿}
{骑手|快递员}把东西{扔在|丢在}门口就走了
""",
        "+": """
{快递小哥|骑手|快递员}{很|特别|非常}{客气|热情|有礼貌|负责}
{骑手|外卖小哥}下雨天还{准时送到|送上楼}，{辛苦了|点赞}
快递员{提前打电话|主动帮忙搬上楼}，{很贴心|暖心}
""",
    },
    "logistics.packaging": {
        "-": """
包装{太|很}{简陋|随便}
{鸡蛋|<FRUIT>}{碎了|压坏了}{好几个|一半}
{汤|奶茶|饮料}洒了{一袋子|一半}
{盒子|箱子}{压扁了|破了个洞}
外包装{破损|破了}，里面{也湿了|都脏了}
""",
        "+": """
鸡蛋每个都单独{包了泡沫网|用格子装着}，{一个都没碎|完好无损}，{包装|打包}{真的很用心|很专业}
包装{很|非常|特别}{严实|仔细|用心}
{没有破损|一点都没坏|完好无损}
还{加了|放了}冰袋，{很贴心|点赞}
包装 perfect
""",
        "0": """
包装就是{普通纸箱|普通袋子}
""",
    },
    "logistics.wrong_or_missing": {
        "-": """
{少送了|漏送了|漏发了}{一样东西|一瓶饮料|一份}
发错货了，{买的|点的}<ITEM>变成了别的
{订单|单子}里的<ITEM>{没收到|不见了}
{餐具|筷子}{没给|都没有}
""",
        "+": """
{东西|商品}{都齐了|一样不少|没有漏}
""",
    },
    "logistics.tracking": {
        "-": """
物流信息{好几天|<D>天}{没更新|不动}
{查不到|看不到}物流{信息|进度}
显示已签收其实根本没收到
骑手定位{乱跳|一直不动}
""",
        "+": """
{物流信息|配送进度}{更新及时|实时可查|很清楚}
""",
    },
    "price.price_level": {
        "-": """
{价格|东西}{太|有点|偏}贵{了|}
比{超市|菜市场|别家}贵{不少|一截|好多}
{价格|价钱}{越来越|一次比一次}高
贵得离谱
""",
        "+": """
{价格|价钱}{很|挺|比较}{便宜|实惠|亲民}
比{超市|菜市场}{便宜|还便宜}
""",
        "0": """
价格{中规中矩|正常|跟别家差不多}
price 还 ok
""",
    },
    "price.value_for_money": {
        "+": """
同样的东西在{楼下超市|别的平台}要贵一截，这里{还经常送小礼品|会员还能再打折}，性价比{真的很高|没得说}
性价比{很高|超高|不错|yyds}
{很|超|非常}划算
{这个价格|这个价}{买到|能买到}这样的{很值|值了}
{物有所值|物超所值}
{绝对|真的}{值|值这个价}
""",
        "-": """
性价比{太低|不高|很差}
{不值这个价|不值}
{花这么多钱|这个价}就这
感觉被割韭菜了
""",
    },
    "price.promotion": {
        "+": """
{优惠券|红包|满减}{很|挺|超}{给力|多|实在}
{618|会员日}{活动|折扣}力度{很大|挺大}
{用了券|叠加优惠}{便宜了|省了}<YUAN>块
""",
        "-": """
{优惠券|红包}{用不了|领了不能用}
{刚买|买完}就降价{了|<YUAN>块}
满减{套路太多|算不明白}
{活动|促销}{都是套路|先涨后降}
""",
    },
    "price.fees": {
        "-": """
{运费|配送费|打包费}{太|也太}贵{了|}
{起送价|免运费门槛}{太高|又涨了}
莫名{多收了|收了}<YUAN>块{服务费|打包费}
""",
        "+": """
{免运费|免配送费}{很良心|挺好}
""",
    },
    "service.customer_service": {
        "-": """
找客服{反映|说明}情况，{先是|一开始}机器人{自动回复|回复一堆没用的话}，转人工又排了{半天|很久}，最后{还是|也}没给解决方案
客服态度{很差|恶劣|极差}
{客服|人工客服}{一直|根本}{联系不上|打不通|找不到}
客服{只会|就会}{复制粘贴|踢皮球|说抱歉}
{在线|人工}客服{是机器人|全是机器人回复}
找客服{说了半天|沟通半天}{也没解决|问题还在}，{浪费时间|心累}
""",
        "+": """
客服{很|非常|特别}{耐心|专业|热情}
客服{小姐姐|小哥}{态度很好|人很好|解决问题很快}
""",
    },
    "service.staff_attitude": {
        "-": """
{门店|店里}{店员|服务员}{爱答不理|态度冷淡|很不耐烦}
{店员|收银员}{脸很臭|一直玩手机}
""",
        "+": """
{门店|店里}{店员|服务员}{很热情|很亲切|服务周到}
{店员|收银员}{主动帮忙|帮我打包}，{很贴心|好评}
""",
    },
    "service.after_sales_returns": {
        "-": """
{退款|退货|售后}{太麻烦|拖了<D>天|一直没处理}
申请{退款|退货}{被拒|被驳回}{了|好几次}
东西有问题{也|还}不给{退|换}
{上周|前几天}申请了退款，{传了|上传了}<D>次照片{还是|也}没通过，{最后|到现在}钱还没退
""",
        "+": """
{退款|售后|退货}{很快|秒到账|处理很及时}
{有问题|坏了一个}{马上|直接}{给补发了|给退款了}
""",
    },
    "service.response_time": {
        "-": """
{消息|留言}{半天|一天|两天}{没人回|都不回}
排队{等了|等}<M>分钟{才接通|都没人接}
{投诉|反馈}{好几次|了<D>次}{都没|也没}{回音|下文}
客服 response 太慢
""",
        "+": """
{客服|售后}{回复|响应}{很|超|特别}{及时|快}
{客服秒回|几分钟就回复了}
""",
    },
    "product.quality": {
        "-": """
{上个月|前阵子}买的{保温杯|电动牙刷|拖鞋}，用了不到<D>周就{坏了|出问题了}，{质量|品质}真的{让人失望|不行}
{质量|品质}{太差|很差|不行}
{用了|穿了}<D>次就{坏了|破了|开线了}
做工{粗糙|很差}
质量{真的|实在}{不敢恭维|一言难尽}
quality {很差|不太行}
踩雷了，{质量|品质}{很差|不行}
""",
        "+": """
质量{很好|不错|杠杠的|没得说}
{做工|品质}{很|挺|非常}{好|扎实|精细}
{质量|品质}{超出预期|比想象中好}
quality 很好
""",
        "0": """
质量{一般|还行|中规中矩}
quality 一般
""",
    },
    "product.function": {
        "-": """
{用起来|用着}{不太|一点都不}{好用|方便}
{功能|效果}{跟描述不符|很鸡肋|没什么用}
{充电|开机}{有问题|老是失灵}
""",
        "+": """
{很|超级|挺}好用
{功能|效果}{很实用|很强大|不错}
""",
    },
    "product.taste": {
        "-": """
<FRUIT>{不新鲜|烂了好几个|都蔫了}
{菜|蔬菜|叶子菜}{不新鲜|都黄了|蔫了}
<FOOD>{太咸了|难吃|味道怪怪的|一股怪味}
{牛奶|酸奶|面包}{快过期了|是临期的}
{肉|鱼}{有异味|不新鲜}
<FOOD>{不太好吃|不是很好吃}
""",
        "+": """
{每周|每个礼拜}都会在这里买<FRUIT>，{个个|每次都}又甜又新鲜，家里{小朋友|老人}特别爱吃
<FRUIT>{很|超|特别}{新鲜|甜|好吃}
<FOOD>{很好吃|味道很正|绝绝子}
{菜|蔬菜}{很新鲜|水灵灵的}
{肉|鱼}{很新鲜|很嫩}
""",
    },
    "product.appearance": {
        "-": """
{颜色|外观}跟图片{差太多|不一样}
{卖相|样子}{很差|难看}
""",
        "+": """
{颜色|外观|卖相}{很好看|很漂亮|很正}
跟图片{一模一样|一样}
""",
    },
    "product.size_fit": {
        "-": """
{分量|份量}{太少|少得可怜|不够吃}
{尺码|码数}{偏小|偏大|不准}
{个头|果子}{很小|比图片小多了}
""",
        "+": """
{分量|份量}{很足|十足|管饱}
尺码{标准|刚好|很合适}
{个头|果子}{很大|都很大}
""",
    },
    "product.authenticity": {
        "-": """
{怀疑|感觉}是{假货|山寨的}
跟{专柜|正品}{不一样|对不上}
""",
        "+": """
是正品，{放心|没问题}
{专柜验过|查过防伪}{是正品|没问题}
""",
    },
}

BANK["tw"] = {
    "logistics.delivery_speed": {
        "-": """
本來想說週末在家煮飯，早上十點就下單了，結果拖到下午三點多才送到，{整個計畫都亂了|午餐只好叫別的}
{物流|宅配|出貨|送貨}{太|也太|真的太}慢了
等了<D>天才{到貨|收到}
說好隔天到貨，結果<D>天才到
外送{等了|送了}<M>分鐘{才到|還沒到}，{便當|餐點}都冷了
{超商取貨|店到店}{等了|拖了}<D>天{才到|}
出貨{超慢|慢到傻眼|拖很久}
{宅配|黑貓}{一直|整整}延遲{兩天|好幾天}
物流太slow了
""",
        "+": """
{出貨|到貨|宅配|物流}{很快|超快|速度很快|神速}
{早上|前一天晚上}下單{隔天|當天}就到了
外送{不到|才}<M2>分鐘就送到，還熱熱的
{黑貓|宅配}{很準時|隔天就到}
{超商取貨|店到店}{很快|兩天就到}
""",
        "0": """
{出貨|到貨}速度{普通|還可以|算正常}
""",
    },
    "logistics.courier": {
        "-": """
{外送員|外送小哥|宅配司機}{態度很差|超兇|很不客氣}
外送員{沒打電話|沒通知}就把{餐|東西}放在{門口|管理室}
外送員{找不到路|送錯棟}還怪我
""",
        "+": """
{外送員|外送小哥|黑貓司機|宅配大哥}{很親切|很有禮貌|人超好}
{下大雨|颱風天}外送員還{準時送到|送上樓}，{辛苦了|感謝}
""",
    },
    "logistics.packaging": {
        "-": """
包裝{很隨便|太簡陋}
{雞蛋|<FRUIT>}{破了|壓爛了}{好幾顆|一半}
{湯|珍奶|飲料}{灑出來了|灑了一半}
{紙箱|外箱}{壓扁了|破了一個洞}
""",
        "+": """
包裝{很用心|很仔細|很牢固}
{完全沒有破損|一點都沒壞|完好無缺}
還{附|放}了保冷劑，{很貼心|大推}
""",
        "0": """
包裝就{普通紙箱|一般的袋子}
""",
    },
    "logistics.wrong_or_missing": {
        "-": """
{少送了|漏寄了|少給了}{一樣東西|一瓶飲料|一份}
{寄錯了|送錯了}，{買的|點的}<ITEM>變成別的
{餐具|筷子|吸管}{沒給|都沒附}
""",
        "+": """
{東西|商品}{都有到齊|一樣不少}
""",
    },
    "logistics.tracking": {
        "-": """
物流{資訊|狀態}{好幾天|<D>天}{沒更新|都沒動}
{查不到|看不到}{貨態|物流進度}
顯示已取貨結果根本沒拿到
""",
        "+": """
{貨態|物流進度}{隨時查得到|更新很即時}
""",
    },
    "price.price_level": {
        "-": """
{價格|價錢|東西}{太|有點|偏}貴{了|}
比{超市|傳統市場|量販店}貴{很多|不少}
{價格|價錢}{越來越|一次比一次}高
貴到{傻眼|不合理}
""",
        "+": """
{價格|價錢}{很|蠻|算}{便宜|實惠|親民}
比{超市|量販店}{便宜|還便宜}
""",
        "0": """
價格{普通|跟別家差不多|算正常}
""",
    },
    "price.value_for_money": {
        "+": """
CP值{很高|超高|爆表|不錯}
{很|超|蠻}划算的
{這個價格|這價位}{很值得|值了}
{物超所值|很值得}
""",
        "-": """
CP值{很低|不高|太低}
{不值這個價|不值得}
{這個價錢|這價位}{就這樣|很不划算}
""",
    },
    "price.promotion": {
        "+": """
{折價券|優惠券|滿額折}{很給力|很多|很實在}
{週年慶|會員日}{活動|折扣}{很有感|力度很大}
{用了券|折扣疊加}{省了|便宜了}<YUAN>元
""",
        "-": """
{折價券|優惠券}{不能用|領了不能折}
{剛買|才買完}就{降價|打折}了
{活動|促銷}{都是噱頭|規則很複雜}
""",
    },
    "price.fees": {
        "-": """
{運費|外送費|服務費}{太|也太}貴{了|}
{免運門檻|最低消費}{太高|又調高了}
莫名{多收了|收了}<YUAN>元{服務費|運費}
""",
        "+": """
{免運|滿額免運}{很佛心|很棒}
""",
    },
    "service.customer_service": {
        "-": """
打給客服{反映|說明}狀況，先是語音系統轉來轉去，好不容易轉到真人又說要{再等通知|回報主管}，到現在都沒下文
客服態度{很差|超差|很敷衍}
客服{一直|根本}{聯絡不上|打不通|找不到人}
客服{只會|都只會}{複製貼上|推卸責任|說抱歉}
{線上|真人}客服{都是機器人|只有機器人回覆}
""",
        "+": """
客服態度{很好|超好|很親切}
客服{很有耐心|很專業|處理很快}
""",
    },
    "service.staff_attitude": {
        "-": """
{門市|店裡}{店員|服務人員}{愛理不理|態度冷淡|很不耐煩}
{店員|櫃檯人員}{臉超臭|一直滑手機}
""",
        "+": """
{門市|店裡}{店員|服務人員}{很熱情|很親切|服務很周到}
{店員|櫃檯人員}{主動幫忙|幫我裝袋}，{很貼心|給讚}
""",
    },
    "service.after_sales_returns": {
        "-": """
{退款|退貨|售後}{很麻煩|拖了<D>天|一直沒處理}
申請{退款|退貨}{被拒絕|被駁回}{了|好幾次}
東西有問題{也|卻}不給{退|換}
""",
        "+": """
{退款|退貨|售後}{很快|處理很即時|很順利}
{有問題|壞了一個}{馬上|直接}{補寄|退款}{了|}
""",
    },
    "service.response_time": {
        "-": """
{訊息|留言}{半天|一整天|兩天}{沒人回|都不回}
電話{等了|排了}<M>分鐘{才接通|都沒人接}
{客訴|反映}{好幾次|了<D>次}{都沒有|也沒}回應
""",
        "+": """
{客服|售後}{回覆|回應}{很|超|蠻}{快|即時}
{幾分鐘就回覆了|客服秒回}
""",
    },
    "product.quality": {
        "-": """
{上個月|前陣子}買的{保溫瓶|電動牙刷|拖鞋}，用不到<D>週就{壞了|出問題}，品質真的{讓人失望|很雷}
品質{很差|太差|不太好|堪憂}
{用了|穿了}<D>次就{壞了|破了|脫線了}
做工{很粗糙|很差}
品質真的{不行|很雷}
踩雷了，品質{很差|不行}
quality 很差
""",
        "+": """
品質{很好|不錯|沒話說|很穩定}
做工{很細|很扎實|很精緻}
品質{超乎預期|比想像中好}
""",
        "0": """
品質{普通|還可以|中規中矩}
quality 普通
""",
    },
    "product.function": {
        "-": """
{用起來|使用上}{不太|一點都不}{好用|方便}
{功能|效果}{跟描述不符|很雞肋|沒什麼用}
""",
        "+": """
{很|超|蠻}好用的
{功能|效果}{很實用|很強大|不錯}
""",
    },
    "product.taste": {
        "-": """
<FRUIT>{不新鮮|爛了好幾顆|都軟掉了}
{青菜|蔬菜|葉菜}{不新鮮|都黃了|爛爛的}
<FOOD>{太鹹了|很難吃|味道怪怪的|不太好吃}
{牛奶|優格|麵包}{快過期了|是即期品}
{肉|魚}{有怪味|不新鮮}
""",
        "+": """
每週都會在這裡買<FRUIT>，{每顆|每次}都又甜又新鮮，家裡{小朋友|長輩}很愛吃
<FRUIT>{很|超|特別}{新鮮|甜|好吃}
<FOOD>{很好吃|超好吃|味道很道地}
{青菜|蔬菜}{很新鮮|很漂亮}
{肉|魚}{很新鮮|很嫩}
""",
    },
    "product.appearance": {
        "-": """
{顏色|外觀}跟{圖片|照片}{差很多|不一樣}
{賣相|外觀}{很差|很醜}
""",
        "+": """
{顏色|外觀|賣相}{很好看|很漂亮}
跟{圖片|照片}{一模一樣|一樣}
""",
    },
    "product.size_fit": {
        "-": """
{份量|分量}{太少|少得可憐|吃不飽}
尺寸{偏小|偏大|不準}
{顆粒|果實}{很小|比照片小很多}
""",
        "+": """
{份量|分量}{很足|十足|很多}
尺寸{剛好|很合適}
{顆粒|每顆}都很大
""",
    },
    "product.authenticity": {
        "-": """
{懷疑|感覺}是{假貨|仿冒品}
跟{專櫃|正品}{不一樣|對不起來}
""",
        "+": """
確定是正品，{很放心|沒問題}
{專櫃驗過|查過防偽}{是正品|沒問題}
""",
    },
}

BANK["hk"] = {
    "logistics.delivery_speed": {
        "-": """
本來諗住週末喺屋企煮飯，朝早十點落單，點知拖到下晝三點幾先送到，{成個計劃都亂晒|唯有叫外賣算}
{送貨|速遞|物流|送餐}{好慢|慢到爆|慢過蝸牛}
等咗<D>日先{到|收到}
話好聽日到，結果<D>日先到
外賣等咗<M>分鐘{先到|都未到}，{啲嘢食|個飯}都凍晒
{訂咗|落咗單}<D>日都未出貨
{送貨|速遞}{成日|次次}都遲
""",
        "+": """
{送貨|速遞|物流}{好快|超快|快到嚇親}
{朝早|今朝}落單{下晝|當日}就到咗
外賣{唔使|不用}<M2>分鐘就送到，仲係熱辣辣
送貨{準時|好準時}，{讚|冇得輸}
""",
        "0": """
送貨速度{普普通通|一般|OK啦}
""",
    },
    "logistics.courier": {
        "-": """
{送貨員|速遞員|外賣仔|車手}{好惡|態度好差|好冇禮貌}
{送貨員|外賣仔}{冇打電話|冇通知}就{放喺門口|擺喺樓下}
外賣仔{搵唔到路|送錯座}仲話係我問題
""",
        "+": """
{送貨員|速遞員|外賣仔|車手}{好有禮貌|好nice|好好人}
{落大雨|打風}外賣仔都{準時送到|送上樓}，{辛苦晒|多謝}
""",
    },
    "logistics.packaging": {
        "-": """
包裝{好求其|好hea}
{雞蛋|<FRUIT>}{爛咗|壓爛咗}{幾隻|一半}
{湯|奶茶|凍飲}{瀉咗|瀉晒}
{紙箱|個箱}{壓扁咗|穿咗個窿}
""",
        "+": """
包裝{好用心|好穩陣|好仔細}
{完全冇爛|一啲都冇壞|冇破損}
仲{放咗|加咗}冰袋，{好貼心|讚}
""",
        "0": """
包裝就係{普通紙箱|一般膠袋}
""",
    },
    "logistics.wrong_or_missing": {
        "-": """
{漏咗|少咗|唔見咗}{一樣嘢|一支飲品|一份}
{送錯咗|寄錯咗}，{買|叫}嘅<ITEM>變咗第二樣
{餐具|筷子|飲管}{冇俾|都冇}
""",
        "+": """
{啲嘢|貨品}{齊晒|一樣都冇少}
""",
    },
    "logistics.tracking": {
        "-": """
{物流|追蹤}{資料|狀態}{幾日|<D>日}都冇更新
{查唔到|睇唔到}{送貨進度|物流資料}
顯示已送達其實根本冇收到
""",
        "+": """
{送貨進度|物流資料}{隨時睇到|更新好快}
""",
    },
    "price.price_level": {
        "-": """
{價錢|啲嘢|個價}{好貴|貴得滯|偏貴}
比{超市|街市}貴{好多|唔少}
{價錢|個價}{越嚟越貴|次次都加}
貴到離譜
""",
        "+": """
{價錢|個價}{好平|幾平|好親民}
比{超市|街市}{仲平|平啲}
""",
        "0": """
價錢{一般|同其他差唔多|正常}
""",
    },
    "price.value_for_money": {
        "+": """
{好抵|超抵|幾抵}
{呢個價錢|呢個價}{好抵|抵買|值得}
{物超所值|性價比好高}
{真係|真心}抵
""",
        "-": """
{唔抵|一啲都唔抵}
{呢個價錢|咁嘅價}{唔值|唔抵}
性價比{好低|麻麻}
""",
    },
    "price.promotion": {
        "+": """
{會員日|週年}{優惠|折扣}{好大|好吸引}
用{咗|埋}優惠{慳咗|平咗}<YUAN>蚊
""",
        "-": """
{優惠券|coupon}{用唔到|攞咗都用唔到}
{啱啱買完|買完冇幾耐}就{減價|平咗}
{優惠|推廣}{好多限制|條款好複雜}
""",
    },
    "price.fees": {
        "-": """
{運費|送貨費|服務費}{好貴|貴得滯}
{免運門檻|最低消費}{太高|又加咗}
無啦啦{收多咗|收咗}<YUAN>蚊{服務費|運費}
""",
        "+": """
{免運費|免送貨費}{好好|好抵}
""",
    },
    "service.customer_service": {
        "-": """
打去客服{反映|講}情況，先係機械人兜兜轉轉，好唔容易轉到真人又話要{等通知|問下上頭}，到而家都冇下文
客服態度{好差|極差|好hea}
客服{成日|根本}{打唔通|搵唔到人|聯絡唔到}
客服{淨係識|得個}{講sorry|推卸責任|copy and paste}
{網上|真人}客服{全部都係機械人|得機械人回覆}
""",
        "+": """
客服{好有耐性|好專業|好nice}
客服{態度好好|處理得好快}
""",
    },
    "service.staff_attitude": {
        "-": """
{門市|分店|舖頭}{職員|店員}{黑口黑面|態度好差|好唔耐煩}
{店員|收銀}{一路玩手機|當我透明}
""",
        "+": """
{門市|分店|舖頭}{職員|店員}{好熱情|好親切|服務周到}
{店員|職員}{主動幫手|幫我入袋}，{好貼心|讚}
""",
    },
    "service.after_sales_returns": {
        "-": """
{退款|退貨|售後}{好麻煩|拖咗<D>日|一直冇跟進}
申請{退款|退貨}{俾人拒絕|被拒}咗{|好多次}
有問題{都|又}唔俾{退|換}
""",
        "+": """
{退款|退貨|售後}{好快|好順利|處理得好快}
{有問題|壞咗一個}{即刻|直接}{補寄|退錢}{俾我|}
""",
    },
    "service.response_time": {
        "-": """
{訊息|留言}{成日|一日|兩日}都冇人覆
電話等咗<M>分鐘{先接通|都冇人聽}
{投訴|反映}咗{好多次|<D>次}都冇回音
""",
        "+": """
{客服|售後}{覆得好快|回覆好快}
{幾分鐘就覆|秒覆}
""",
    },
    "product.quality": {
        "-": """
{上個月|早排}買嘅{保溫壺|電動牙刷|拖鞋}，用咗唔夠<D>個禮拜就{壞咗|出事}，質素真係{令人失望|好伏}
{質素|品質}{好差|唔掂}
{用咗|著咗}<D>次就{壞咗|爛咗|甩線}
做工{好粗糙|好差}
中伏，質素{好差|唔得}
quality {好差|麻麻}
""",
        "+": """
質素{好好|唔錯|一流|冇得輸}
做工{好靚|好紮實|好精緻}
質素{好過預期|比想像中好}
quality 好好
""",
        "0": """
質素{一般|普普通通|OK啦}
quality 一般
""",
    },
    "product.function": {
        "-": """
{用落|用起上嚟}{唔係幾好用|唔方便}
{功能|效果}{同描述唔同|好雞肋|冇乜用}
""",
        "+": """
{好好用|幾好用|超好用}
{功能|效果}{好實用|好強}
""",
    },
    "product.taste": {
        "-": """
<FRUIT>{唔新鮮|爛咗幾個|淋晒}
{啲菜|蔬菜}{唔新鮮|黃晒|爛晒}
<FOOD>{太鹹|唔好食|唔係好好食|有陣怪味}
{牛奶|乳酪|麵包}{就快過期|差唔多過期}
{啲嘢食|<FOOD>}唔係好好食
啲餸唔係好新鮮
{啲肉|條魚}{有陣味|唔新鮮}
""",
        "+": """
每個禮拜都喺度買<FRUIT>，{粒粒|次次}都又甜又新鮮，屋企{細路|老人家}好鍾意食
<FRUIT>{好新鮮|好甜|好好食}
<FOOD>{好好食|好正|味道好正宗}
{啲菜|蔬菜}{好新鮮|好靚}
{啲肉|條魚}{好新鮮|好嫩}
""",
    },
    "product.appearance": {
        "-": """
{顏色|外觀}同{圖片|相}{差好遠|唔同}
{賣相|個樣}{好差|好核突}
""",
        "+": """
{顏色|外觀|賣相}{好靚|好吸引}
同{圖片|相}一模一樣
""",
    },
    "product.size_fit": {
        "-": """
{份量|分量}{好少|少得可憐|唔夠食}
{尺寸|size}{偏細|偏大|唔啱}
{啲生果|粒粒}{好細|細過相好多}
""",
        "+": """
{份量|分量}{好足|好多|夠晒飽}
{尺寸|size}{啱啱好|好啱}
{啲生果|每粒}都好大
""",
    },
    "product.authenticity": {
        "-": """
{懷疑|覺得}係{假貨|翻版}
同{專櫃|正貨}{唔同|對唔上}
""",
        "+": """
{肯定係|係}正貨，{好放心|冇問題}
{專櫃驗過|查過防偽}係正貨
""",
    },
}

# Extra delivery-speed complaints used after the carrier change (2026-08 onwards).
CARRIER_CHANGE = {
    "s": "{换了|自从换了}新的快递{公司|合作方}{之后|以后}{慢了好多|明显变慢了|三天两头延误}",
    "tw": "換了新的物流{之後|以後}{慢很多|變超慢|常常延遲}",
    "hk": "轉咗新速遞公司之後{慢咗好多|成日遲|慢到癲}",
}

SLOTS: dict[str, dict[str, tuple[str, ...]]] = {
    "s": {
        "ITEM": ("牛奶", "鸡蛋", "酸奶", "洗衣液", "纸巾", "大米", "面包", "可乐"),
        "FRUIT": ("车厘子", "草莓", "芒果", "荔枝", "西瓜", "葡萄", "苹果", "香蕉"),
        "FOOD": ("奶茶", "炸鸡", "盒饭", "麻辣烫", "披萨", "寿司", "牛肉面", "黄焖鸡"),
        "D": ("2", "3", "4", "5", "两", "三", "四", "五"),
    },
    "tw": {
        "ITEM": ("牛奶", "雞蛋", "優格", "洗衣精", "衛生紙", "白米", "麵包", "可樂"),
        "FRUIT": ("草莓", "芒果", "荔枝", "西瓜", "葡萄", "蘋果", "香蕉", "芭樂"),
        "FOOD": ("便當", "珍奶", "鹹酥雞", "滷肉飯", "牛肉麵", "雞排"),
        "D": ("2", "3", "4", "5", "兩", "三", "四", "五"),
    },
    "hk": {
        "ITEM": ("牛奶", "雞蛋", "乳酪", "洗衣液", "廁紙", "白米", "麵包", "可樂"),
        "FRUIT": ("士多啤梨", "芒果", "荔枝", "西瓜", "提子", "蘋果", "香蕉"),
        "FOOD": ("叉燒飯", "奶茶", "炸雞", "車仔麵", "壽司", "燒味飯"),
        "D": ("2", "3", "4", "5", "兩", "三", "四", "五"),
    },
}

OPENINGS = {
    "s": """
第一次{在鲜到家|用鲜到家}{下单|买菜|点外卖}，
{用了|买了}{好几次|半年多|很久}了，
{周末|今天|昨晚|早上}{下的单|点的外卖|买的菜}，
帮{家里老人|爸妈|同事}{下的单|买的}，
在{小程序|app|网页}上{下的单|点的}，
说实话，
怎么说呢，
宝子们，
这次是给{孩子|老婆|老妈}过生日订的{蛋糕和水果|一桌菜}，
公司{团建|聚餐}一次性订了{二十|三十}多份{午餐|盒饭}，
""",
    "tw": """
第一次在鮮到家{下單|買菜|叫外送}，
{用了|買了}{好幾次|半年多|很久}了，
{週末|今天|昨天晚上}{下的單|叫的外送|買的菜}，
幫{家裡長輩|爸媽|同事}{下的單|買的}，
老實說，
這次是幫{小孩|老婆|媽媽}慶生訂的{蛋糕和水果|一桌菜}，
公司聚餐一次訂了{二十|三十}幾份便當，
""",
    "hk": """
第一次喺鮮到家{落單|買餸|叫外賣}，
{用咗|買咗}{好多次|半年幾|好耐}，
{禮拜六|今日|琴晚}{落嘅單|叫嘅外賣|買嘅餸}，
幫{屋企人|阿媽|同事}{落單|買嘢}，
講真，
老實講，
今次係幫{細路|老婆|阿媽}慶生訂嘅{蛋糕同生果|一圍餸}，
公司聚餐一次過叫咗{二十|三十}幾份飯盒，
""",
}

CLOSINGS = {
    "s": {
        "+": "下次还会{再来|回购|光顾}\n{推荐|强烈推荐}给{大家|朋友}\n{五星|满分}好评\n会继续支持\nyyds\n绝绝子",
        "-": "{不会|再也不会}{再买|回购}了\n差评\n{太失望了|很失望}\n{建议|希望}{改进|加强管理|好好整改}\n无语了\n不太满意",
        "0": "{总体|整体}{还行|一般|凑合}\n{希望|期待}越来越好\n就这样吧",
    },
    "tw": {
        "+": "下次還會{再買|回購}\n{推推|大推}\n{五星好評|給五顆星}\n會繼續支持",
        "-": "{不會|再也不會}再買了\n{給負評|一星}\n{很失望|太失望了}\n希望{改進|好好檢討}\n傻眼",
        "0": "{整體|大致上}{還可以|普通}\n希望越來越好",
    },
    "hk": {
        "+": "下次{會再買|再嚟}\n{推介|大力推介}\n{俾五粒星|五星}\n會繼續支持",
        "-": "{冇下次|唔會再買}\n{好失望|失望透頂}\n希望{改善|檢討下}\n真係好嬲",
        "0": "{整體|總括嚟講}{OK啦|一般}\n希望越做越好",
    },
}

GENERIC = {
    "s": {
        "+": "好评\n不错\n挺好的\n满意\n很满意\n非常满意\n一如既往的好\n好评好评\n棒棒的\n不错不错\nyyds\n没毛病\n整体很满意[赞]\n会一直支持的",
        "0": "还行\n一般\n一般般\n还可以吧\n凑合\n中规中矩\n就那样吧\n没什么特别的",
        "-": "太差了\n垃圾\n很失望\n差评\n体验很差\n不推荐\n再也不来了\n越来越差了\n不太满意",
    },
    "tw": {
        "+": "好評\n不錯\n很滿意\n讚\n推\n很棒\n大推\n五星好評\n沒話說",
        "0": "還好\n普通\n還可以\n尚可\n就普通",
        "-": "很差\n雷\n超雷\n很失望\n不推\n傻眼\n爛透了",
    },
    "hk": {
        "+": "好正\n幾好\n好好\n唔錯\n正\n一流\n好滿意\n讚",
        "0": "麻麻\n一般\n普普通通\nOK啦\n還可以",
        "-": "好差\n垃圾\n伏\n中伏\n好失望\n冇下次\n唔推介",
    },
}
NON_ANSWERS = {
    "s": ("无", "没有", "。。。", "暂无", "没意见", "无意见", "..."),
    "tw": ("無", "沒有", "無意見", "。。。", "沒意見"),
    "hk": ("冇", "無", "冇意見", "。。。", "N/A"),
}
BLANKS = ("", "", "", " ", "  ", "\u3000")
EMOJI_ONLY = {"+": ("👍", "👍👍👍", "😊", "[赞][赞]", "❤️❤️"), "-": ("😡", "👎", "😤😤", "[怒]")}
DECOR = {
    "s": {
        "+": ("👍", "👍👍", "[赞]", "[爱心]", "😊", "~", "！"),
        "-": ("😡", "😤", "[捂脸]", "[怒]", "🙄", "[流泪]", "！！！", "。。。"),
    },
    "tw": {"+": ("👍", "XD", "^^", "😊", "！"), "-": ("😡", "QQ", "= =", "😤", "🙄", "。。。")},
    "hk": {"+": ("👍🏻", "😋", "❤️", "😆", "！"), "-": ("😡", "😤", "🙄", "😒", "💢", "。。。")},
}
CONTRAST = {  # contrast words before a negative / a positive clause ("只是" and "可惜" only introduce a flaw)
    "s": {"-": ("但是", "不过", "可是", "就是", "只是", "但"), "+": ("但是", "不过", "可是", "但")},
    "tw": {"-": ("但是", "不過", "可是", "只是"), "+": ("但是", "不過", "可是")},
    "hk": {"-": ("但係", "不過", "可惜", "只係"), "+": ("但係", "不過")},
}
ADDITIVE = {"s": ("而且", "还有", "另外"), "tw": ("而且", "還有", "另外"), "hk": ("仲有", "而且", "另外")}
PII = (  # fake contact details appended to a few complaints (redaction demo); script, text
    ("s", "，有问题{请|麻烦}打我电话138-0013-8000"),
    ("s", "，联系我邮箱 demo.buyer@example.com"),
    ("s", "，我手机号13900001111，{请|麻烦}尽快回电"),
    ("tw", "，請打0912-345-678找我"),
    ("hk", "，打9123 4567搵我，或者email hk.demo@example.com"),
)

_ALT = re.compile(r"\{([^{}]*)\}")
_SLOT = re.compile(r"<([A-Z0-9]+)>")


def _lines(block: str) -> tuple[str, ...]:
    return tuple(line for line in block.strip().splitlines() if line.strip())


# --------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------


@dataclass
class Response:
    """One generated respondent: observed fields plus the true labels behind them."""

    submitted: dt.datetime
    region: str
    channel: str
    kind: str
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (theme.subtheme, polarity)
    nps_latent: float = 0.0
    nps: str = ""
    nps_true: int = 0
    csat: str = ""
    comment: str = ""
    overall: str = ""

    @property
    def script(self) -> str:
        return SCRIPT[self.region]

    @property
    def month(self) -> str:
        return self.submitted.strftime("%Y-%m")


class _Writer:
    """Expands templates with one numpy Generator (all randomness flows through it)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def pick(self, seq: Sequence[str]) -> str:
        return seq[int(self.rng.integers(len(seq)))]

    def fill(self, template: str, script: str) -> str:
        text = _ALT.sub(lambda m: self.pick(m.group(1).split("|")), template)
        return _SLOT.sub(lambda m: self._slot(m.group(1), script), text)

    def _slot(self, name: str, script: str) -> str:
        if name == "M":
            return str(int(self.rng.integers(50, 121)))
        if name == "M2":
            return str(int(self.rng.integers(15, 36)))
        if name == "YUAN":
            return str(int(self.rng.integers(3, 31)))
        return self.pick(SLOTS[script][name])

    def clause(self, sub: str, polarity: str, script: str, month: str) -> str:
        if sub == "logistics.delivery_speed" and polarity == "negative" and month >= "2026-08":
            if self.rng.random() < 0.3:
                return self.fill(CARRIER_CHANGE[script], script)
        key = {"negative": "-", "positive": "+", "neutral": "0"}[polarity]
        return self.fill(self.pick(_lines(BANK[script][sub][key])), script)


def _mention_p(sub: str, polarity: str, r: Response) -> float:
    base = MENTION_P[sub]["negative positive neutral".split().index(polarity)]
    key = f"{sub}:{polarity}"
    if key == SEGMENT_EFFECT["mention"] and r.region == SEGMENT_EFFECT["region"]:
        base *= float(SEGMENT_EFFECT["multiplier"])  # type: ignore[arg-type]
    base *= TIME_EFFECT["multipliers"].get(key, {}).get(r.month, 1.0)  # type: ignore[attr-defined]
    base *= SEASONAL.get(key, {}).get(r.month, 1.0)
    if sub in STORE_ONLY:
        base *= STORE_ONLY[sub][0] if r.channel == "store" else STORE_ONLY[sub][1]
    return base


def _draw_mentions(r: Response, rng: np.random.Generator) -> list[tuple[str, str]]:
    found = []
    for sub in ALL_SUBTHEMES:
        u = rng.random()
        acc = 0.0
        for polarity in ("negative", "positive", "neutral"):
            acc += _mention_p(sub, polarity, r)
            if u < acc:
                found.append((sub, polarity))
                break
    if len(found) > MAX_MENTIONS:
        keep = sorted(rng.choice(len(found), MAX_MENTIONS, replace=False).tolist())
        found = [found[i] for i in keep]
    order = rng.permutation(len(found)).tolist()
    return [found[i] for i in order]


def _matches(effect: Effect, mentions: Sequence[tuple[str, str]]) -> bool:
    for sub, polarity in mentions:
        theme, name = sub.split(".")
        if theme == effect.theme and polarity == effect.polarity and effect.subtheme in ("", name):
            return True
    return False


def _scores(r: Response, rng: np.random.Generator) -> tuple[float, int, int]:
    nps_shift = sum(e.nps_shift for e in EFFECTS if _matches(e, r.mentions))
    csat_shift = sum(e.csat_shift for e in EFFECTS if _matches(e, r.mentions))
    latent = NPS_BASE + nps_shift + rng.normal(0.0, NPS_SD)
    nps = int(np.clip(np.rint(latent), 0, 10))
    c = CSAT_INTERCEPT + CSAT_SLOPE * float(np.clip(latent, 0, 10)) + csat_shift + rng.normal(0.0, CSAT_SD)
    return latent, nps, int(np.clip(np.rint(c), 1, 5))


def _sign(x: float) -> str:
    return "positive" if x > 0 else "negative" if x < 0 else "neutral"


def _themed_comment(r: Response, w: _Writer, *, multiline: bool) -> tuple[str, str]:
    """Assemble clauses for the mentions; returns (comment, overall sentiment)."""
    s, rng = r.script, w.rng
    parts: list[str] = []
    total = 0.0
    prev = 0
    for i, (sub, polarity) in enumerate(r.mentions):
        text = w.clause(sub, polarity, s, r.month)
        sign = SIGN[polarity]
        weight = 1.0
        if i == 0:
            parts.append(text)
        else:
            sep = "\n" if multiline and i == 1 else w.pick(("，", "，", "，", "，", "。", "；", " ", "！", ","))
            if sign and prev and sign != prev and rng.random() < 0.75:
                word = w.pick(CONTRAST[s]["+" if sign > 0 else "-"])
                sep = ("\n" if sep == "\n" else w.pick(("，", "，", "。"))) + word
                weight = 2.0  # the clause after a contrast word carries the verdict
            elif rng.random() < 0.25:
                sep += w.pick(ADDITIVE[s])
            parts.append(sep + text)
        total += weight * sign
        prev = sign or prev
    if rng.random() < 0.3 and len(parts[0]) < 25:  # no preamble before a long story
        parts.insert(0, w.fill(w.pick(_lines(OPENINGS[s])), s))
    mood = "+" if total > 0 else "-" if total < 0 else "0"
    if rng.random() < 0.35:
        parts.append(w.pick(("，", "。", "！", "，", " ")) + w.fill(w.pick(_lines(CLOSINGS[s][mood])), s))
    if mood != "0" and rng.random() < 0.22:
        parts.append(w.pick(DECOR[s][mood]))
    elif rng.random() < 0.4:
        parts.append(w.pick(("。", "！", "!", "~", "。。。")))
    return "".join(parts), _sign(total)


def _generic_comment(r: Response, w: _Writer) -> tuple[str, str]:
    score = r.nps_latent
    u = w.rng.random()
    if score >= 8.5:
        mood = "+" if u < 0.8 else "0"
    elif score >= 6.5:
        mood = "+" if u < 0.4 else "0"
    else:
        mood = "-" if u < 0.7 else "0"
    text = w.pick(_lines(GENERIC[r.script][mood]))
    if mood != "0" and w.rng.random() < 0.25:
        text += w.pick(DECOR[r.script][mood])
    return text, POLARITY[mood]


def _timestamps(n: int, rng: np.random.Generator) -> list[dt.datetime]:
    hour_p = np.asarray(HOUR_W, dtype=float) / sum(HOUR_W)
    out = []
    for _ in range(n):
        y, m, days = MONTHS[int(rng.choice(len(MONTHS), p=MONTH_P))]
        day = int(rng.integers(1, days + 1))
        hour = int(rng.choice(24, p=hour_p))
        secs = int(rng.integers(3600))
        out.append(dt.datetime(y, m, day, hour) + dt.timedelta(seconds=secs))
    return sorted(out)


def generate(*, seed: int = SEED, rows: int = N_ROWS) -> list[Response]:
    """Draw the whole survey; the same seed always gives the same responses.

    Example:
        >>> generate(seed=1, rows=50)[0].region in REGIONS
        True
    """
    # Three independent streams: editing a phrase bank changes wording only, never scores or quirks.
    rng = np.random.default_rng([seed, 1])  # respondents, mentions, scores
    w = _Writer(np.random.default_rng([seed, 2]))  # wording
    quirks = np.random.default_rng([seed, 3])  # which scores are blank or junk
    kinds, kind_p = list(KIND_P), np.asarray(list(KIND_P.values()))
    out: list[Response] = []
    for ts in _timestamps(rows, rng):
        region = REGIONS[int(rng.choice(len(REGIONS), p=REGION_P))]
        channel = CHANNELS[int(rng.choice(len(CHANNELS), p=CHANNEL_P[SCRIPT[region]]))]
        r = Response(ts, region, channel, kinds[int(rng.choice(len(kinds), p=kind_p / kind_p.sum()))])
        if r.kind == "themed":
            r.mentions = _draw_mentions(r, rng)
            if not r.mentions:
                r.kind = "generic"
        r.nps_latent, r.nps_true, csat = _scores(r, rng)
        r.nps, r.csat = str(r.nps_true), str(csat)
        out.append(r)

    themed = [i for i, r in enumerate(out) if r.kind == "themed" and len(r.mentions) >= 2]
    multiline = set(w.rng.choice(themed, min(N_MULTILINE, len(themed)), replace=False).tolist())
    for i, r in enumerate(out):
        if r.kind == "themed":
            r.comment, r.overall = _themed_comment(r, w, multiline=i in multiline)
        elif r.kind == "generic":
            r.comment, r.overall = _generic_comment(r, w)
        elif r.kind == "blank":
            r.comment, r.overall = w.pick(BLANKS), ""
        elif r.kind == "nonanswer":
            r.comment, r.overall = w.pick(NON_ANSWERS[r.script]), "neutral"
        else:  # emoji only
            mood = "+" if r.nps_latent >= 7 else "-"
            r.comment, r.overall = w.pick(EMOJI_ONLY[mood]), POLARITY[mood]
    _plant_export_blanks(out, w)
    _plant_pii(out, w)
    _plant_score_quirks(out, quirks)
    return out


def _plant_export_blanks(out: list[Response], w: _Writer) -> None:
    """Blank some generic comments in the first rows, so the survey-tool exports show skip codes."""
    have = sum(r.kind == "blank" for r in out[:N_EXPORT])
    pool = [i for i, r in enumerate(out[:N_EXPORT]) if r.kind == "generic"]
    k = min(max(EXPORT_BLANKS - have, 0), len(pool))
    for i in sorted(w.rng.choice(pool, k, replace=False).tolist()):
        out[i].kind, out[i].comment, out[i].overall = "blank", "", ""


def _plant_pii(out: list[Response], w: _Writer) -> None:
    """Append one made-up contact detail per PII template to a service complaint of that script."""
    used: set[int] = set()
    for script, template in PII:
        pool = [
            i for i, r in enumerate(out)
            if r.script == script and i not in used and r.kind == "themed"
            and any(sub.startswith("service.") and p == "negative" for sub, p in r.mentions)
        ]
        if not pool:  # only in tiny test runs
            continue
        i = int(w.rng.choice(pool))
        used.add(i)
        out[i].comment = out[i].comment.rstrip("。！!~") + w.fill(template, script)


def _plant_score_quirks(out: list[Response], rng: np.random.Generator) -> None:
    """Blank or spoil exactly the documented number of scores."""
    taken: set[int] = set()

    def draw(pool: list[int], k: int) -> list[int]:
        pool = [i for i in pool if i not in taken]
        chosen = sorted(rng.choice(pool, min(k, len(pool)), replace=False).tolist())
        taken.update(chosen)
        return chosen

    for i in draw(list(range(len(out))), NPS_BLANK):
        out[i].nps = ""
    for value, k, which in NPS_JUNK:
        pool = [i for i, r in enumerate(out) if which == "any" or r.nps_true == 10]
        for i in draw(pool, k):
            out[i].nps = value
    head = min(N_EXPORT, len(out))
    first = rng.choice(head, min(EXPORT_CSAT_BLANKS, head), replace=False).tolist()
    tail = len(out) - head
    later = (head + rng.choice(tail, min(CSAT_BLANK - len(first), tail), replace=False)).tolist()
    for i in sorted(first + later):
        out[i].csat = ""


# --------------------------------------------------------------------------------------------------
# Truth: labels and driver statistics from the TRUE mentions
# --------------------------------------------------------------------------------------------------


def theme_sentiments(mentions: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Per-theme sentiment: praise and criticism of one theme together count as neutral."""
    out = {}
    for theme in THEMES:
        signs = {SIGN[p] for sub, p in mentions if sub.split(".")[0] == theme}
        if not signs:
            out[theme] = ""
        elif {1, -1} <= signs:
            out[theme] = "neutral"
        else:
            out[theme] = _sign(sum(signs))
    return out


def _valid_nps(r: Response) -> int | None:
    return int(r.nps) if r.nps.isdigit() and int(r.nps) <= 10 else None


def _valid_csat(r: Response) -> int | None:
    return int(r.csat) if r.csat.isdigit() and 1 <= int(r.csat) <= 5 else None


def nps_of(scores: Sequence[int]) -> float:
    """NPS in points: % promoters (9-10) minus % detractors (0-6)."""
    if not scores:
        return float("nan")
    return 100.0 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


def csat_of(scores: Sequence[int]) -> float:
    """CSAT in %: share of 4 and 5 on the 1-5 scale."""
    if not scores:
        return float("nan")
    return 100.0 * sum(s >= 4 for s in scores) / len(scores)


def _stats(group: list[Response], rest: list[Response], everyone: list[Response]) -> dict[str, object]:
    out: dict[str, object] = {"n": len(group), "share": round(len(group) / len(everyone), 4)}
    for name, valid, metric in (("nps", _valid_nps, nps_of), ("csat", _valid_csat, csat_of)):
        g = [v for v in map(valid, group) if v is not None]
        o = [v for v in map(valid, rest) if v is not None]
        a = [v for v in map(valid, everyone) if v is not None]
        out[name] = {
            "n_valid": len(g),
            "mentioners": round(metric(g), 2),
            "rest": round(metric(o), 2),
            "gap": round(metric(g) - metric(o), 2),
            "impact": round(metric(a) - metric(o), 2),
        }
    return out


def _drivers(out: list[Response]) -> list[dict[str, object]]:
    planted = {e.key: e for e in EFFECTS}
    sents = [theme_sentiments(r.mentions) for r in out]
    rows = []
    for theme in THEMES:
        for polarity in ("negative", "positive"):
            keys = [(f"{theme}:{polarity}", "", lambda i, t=theme, p=polarity: sents[i][t] == p)]
            for sub in SUBTHEMES[theme]:
                keys.append((
                    f"{theme}.{sub}:{polarity}", sub,
                    lambda i, s=f"{theme}.{sub}", p=polarity: (s, p) in out[i].mentions,
                ))
            for key, sub, test in keys:
                group = [r for i, r in enumerate(out) if test(i)]
                if not group:
                    continue
                rest = [r for i, r in enumerate(out) if not test(i)]
                e = planted.get(key)
                row: dict[str, object] = {
                    "driver": key, "theme": theme, "subtheme": sub, "polarity": polarity,
                    "planted": e is not None, "headline": bool(e and e.headline),
                    "nps_shift": e.nps_shift if e else 0.0, "csat_shift": e.csat_shift if e else 0.0,
                }
                row.update(_stats(group, rest, out))
                rows.append(row)
    return rows


def _share(rows: list[Response], key: str) -> float:
    sub, polarity = key.split(":")
    return round(sum((sub, polarity) in r.mentions for r in rows) / max(len(rows), 1), 4)


def truth_summary(out: list[Response], *, seed: int) -> dict[str, object]:
    """Everything tests and docs need to know about the planted truth."""
    nps_valid = [v for v in map(_valid_nps, out) if v is not None]
    csat_valid = [v for v in map(_valid_csat, out) if v is not None]
    key = str(SEGMENT_EFFECT["mention"])
    def nps_among(rs: list[Response]) -> float:
        return round(nps_of([v for v in map(_valid_nps, rs) if v is not None]), 2)

    by_region = {
        reg: {"n": len(rs), "share": _share(rs, key), "nps": nps_among(rs)}
        for reg in REGIONS for rs in [[r for r in out if r.region == reg]]
    }
    time_keys = list(TIME_EFFECT["multipliers"])  # type: ignore[call-overload]
    by_month = {
        m: {"n": len(rs), **{k: _share(rs, k) for k in time_keys}, "nps": nps_among(rs)}
        for m in sorted({r.month for r in out}) for rs in [[r for r in out if r.month == m]]
    }
    kinds: dict[str, int] = {}
    for r in out:
        kinds[r.kind] = kinds.get(r.kind, 0) + 1
    return {
        "generator": "python corpora/make_demo.py",
        "seed": seed,
        "rows": len(out),
        "definitions": {
            "nps": "% promoters (9-10) minus % detractors (0-6) over valid integer scores 0-10; "
                   "blanks and junk ('N/A', '10分', '11') excluded",
            "csat": "% of 4 and 5 over valid scores 1-5; blanks excluded",
            "group": "top-level driver: the theme's true sentiment column equals the polarity; "
                     "sub-theme driver: the response has a true mention of that sub-theme with that polarity",
            "share": "n / all rows",
            "gap": "metric(mentioners) - metric(rest)",
            "impact": "metric(all) - metric(all without the mentioners) (leave-one-out); "
                      "negative = drags the score down",
        },
        "nps": {
            "value": round(nps_of(nps_valid), 2), "n_valid": len(nps_valid),
            "blank": sum(r.nps == "" for r in out),
            "junk": {v: sum(r.nps == v for r in out) for v, _, _ in NPS_JUNK},
            "promoters": sum(v >= 9 for v in nps_valid), "passives": sum(7 <= v <= 8 for v in nps_valid),
            "detractors": sum(v <= 6 for v in nps_valid),
        },
        "csat": {"value": round(csat_of(csat_valid), 2), "n_valid": len(csat_valid),
                 "blank": sum(r.csat == "" for r in out)},
        "comments": {
            "kinds": dict(sorted(kinds.items())),
            "multiline": sum("\n" in r.comment for r in out),
            "pii": sum(bool(re.search(r"@|\d{4}[- ]?\d{3,4}", r.comment)) for r in out),
            "distinct": len({r.comment for r in out}),
        },
        "model": {
            "nps": f"clip(round({NPS_BASE} + sum(nps_shift) + N(0, {NPS_SD})), 0, 10)",
            "csat": f"clip(round({CSAT_INTERCEPT} + {CSAT_SLOPE} * clip(nps_latent, 0, 10) + sum(csat_shift)"
                    f" + N(0, {CSAT_SD})), 1, 5)",
            "effects": [
                {"driver": e.key, "nps_shift": e.nps_shift, "csat_shift": e.csat_shift,
                 "headline": e.headline}
                for e in EFFECTS
            ],
        },
        "segment_effect": {**SEGMENT_EFFECT, "by_region": by_region},
        "time_effect": {**TIME_EFFECT, "by_month": by_month},
        "drivers": _drivers(out),
    }


# --------------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------------


def _csv_bytes(rows: Sequence[Sequence[object]], *, encoding: str = "utf-8", crlf: bool = False,
               quote_all: bool = False) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n" if crlf else "\n",
                        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


def survey_rows(out: list[Response]) -> list[list[str]]:
    rows = [["id", "submitted_at", "channel", "region", "nps", "csat", "comment"]]
    for i, r in enumerate(out, 1):
        rows.append([f"R{i:05d}", r.submitted.isoformat(), r.channel, r.region, r.nps, r.csat, r.comment])
    return rows


def truth_rows(out: list[Response]) -> list[list[str]]:
    rows = [["id", "text", "themes", "subthemes", *THEMES, "ignore", "overall", "mentions"]]
    for i, r in enumerate(out, 1):
        subs = sorted({s for s, _ in r.mentions}, key=ALL_SUBTHEMES.index)
        sent = theme_sentiments(r.mentions)
        rows.append([
            f"R{i:05d}", r.comment, ";".join(t for t in THEMES if sent[t]), ";".join(subs),
            *(sent[t] for t in THEMES), "", r.overall,
            ";".join(f"{s}:{p}" for s, p in sorted(r.mentions, key=lambda m: ALL_SUBTHEMES.index(m[0]))),
        ])
    return rows


CHANNEL_LABEL = {"app": "App", "web": "网页", "miniprogram": "微信小程序", "store": "门店"}
CITY = {  # (latitude, longitude) of a city centre, and a masked IP prefix with 问卷星's location label
    "华东": ((31.2304, 121.4737), ("101.80.x.x(上海-上海)", "115.236.x.x(浙江-杭州)", "180.110.x.x(江苏-南京)")),
    "华南": ((23.1291, 113.2644), ("116.23.x.x(广东-广州)", "113.104.x.x(广东-深圳)", "59.41.x.x(广东-广州)")),
    "华北": ((39.9042, 116.4074), ("123.112.x.x(北京-北京)", "111.30.x.x(天津-天津)", "60.10.x.x(河北-石家庄)")),
    "台湾": ((25.0330, 121.5654), ("61.216.x.x(台湾-台北)", "114.34.x.x(台湾-台中)")),
    "香港": ((22.3193, 114.1694), ("203.198.x.x(香港-未知)", "112.118.x.x(香港-未知)")),
}
Q_NPS = "您向朋友或同事推荐鲜到家的可能性有多大？"
Q_CSAT = "总体而言，您对本次购物体验的满意度如何？"
Q_TEXT = "请写下您的意见或建议"
Q_CHANNEL = "您主要通过哪个渠道购买？"


def _export_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, 60])  # separate stream: exports never change the survey


def _test_net_ip(rng: np.random.Generator) -> str:
    net = ("192.0.2", "198.51.100", "203.0.113")[int(rng.integers(3))]  # RFC 5737 documentation ranges
    return f"{net}.{int(rng.integers(1, 255))}"


def qualtrics_rows(out: list[Response], seed: int) -> list[list[str]]:
    rng = _export_rng(seed)
    header = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
              "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
              "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel",
              "UserLanguage", "Q1", "Q1_NPS_GROUP", "Q2", "Q3", "Q4", "Q5"]
    labels = ["Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)",
              "Finished", "Recorded Date", "Response ID", "Recipient Last Name", "Recipient First Name",
              "Recipient Email", "External Data Reference", "Location Latitude", "Location Longitude",
              "Distribution Channel", "User Language", Q_NPS, f"{Q_NPS} - Group", Q_CSAT, Q_TEXT, Q_CHANNEL,
              "您所在的地区"]
    tz = ',"timeZone":"Asia/Shanghai"'
    ids = ["startDate", "endDate", "status", "ipAddress", "progress", "duration", "finished", "recordedDate",
           "_recordId", "recipientLastName", "recipientFirstName", "recipientEmail", "externalDataReference",
           "locationLatitude", "locationLongitude", "distributionChannel", "userLanguage", "QID1",
           "QID1_NPS_GROUP", "QID2", "QID3_TEXT", "QID4", "QID5"]
    import_ids = ['{"ImportId":"%s"%s}' % (i, tz if i in ("startDate", "endDate", "recordedDate") else "")
                  for i in ids]
    rows = [header, labels, import_ids]
    alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    fmt = "%Y-%m-%d %H:%M:%S"
    for i, r in enumerate(out[:N_EXPORT], 1):
        secs = int(rng.integers(35, 600))
        v = _valid_nps(r)
        group = "" if v is None else "Promoter" if v >= 9 else "Passive" if v >= 7 else "Detractor"
        (lat, lon), _ = CITY[r.region]
        rows.append([
            (r.submitted - dt.timedelta(seconds=secs)).strftime(fmt), r.submitted.strftime(fmt), "IP Address",
            _test_net_ip(rng), "100", str(secs), "True",
            (r.submitted + dt.timedelta(seconds=1)).strftime(fmt),
            "R_" + "".join(alnum[int(k)] for k in rng.integers(len(alnum), size=15)), "", "", "",
            f"R{i:05d}", f"{lat:.4f}", f"{lon:.4f}", "anonymous", "ZH-S" if r.script == "s" else "ZH-T",
            "" if v is None else str(v), group, r.csat, r.comment, CHANNEL_LABEL[r.channel], r.region,
        ])
    return rows


WJX_CHANNELS = {"app": "App", "web": "网页", "miniprogram": "微信小程序", "store": "线下门店"}
WJX_HEADER = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP",
              "1、您向朋友或同事推荐我们的可能性有多大？", "2、您对本次购物体验的满意度",
              "3、您主要通过哪些渠道购买？", "4、请写下您的意见或建议"]


def wjx_rows(out: list[Response], seed: int) -> list[list[object]]:
    """问卷星 download: -3 = skipped, -2 = not shown (the text question was hidden for two respondents)."""
    rng = _export_rng(seed + 1)
    rows: list[list[object]] = [list(WJX_HEADER)]
    hidden = [i for i, r in enumerate(out[:N_EXPORT]) if not r.comment.strip()][:2]
    for i, r in enumerate(out[:N_EXPORT]):
        source = ("手机提交", "微信", "链接")[int(rng.choice(3, p=(0.45, 0.4, 0.15)))]
        detail = "直接访问" if source != "微信" else "N/A"
        channels = [WJX_CHANNELS[r.channel]]
        if rng.random() < 0.3:
            extra = WJX_CHANNELS[CHANNELS[int(rng.integers(len(CHANNELS)))]]
            if extra not in channels:
                channels.append(extra)
        nps, csat = _valid_nps(r), _valid_csat(r)
        t = r.submitted
        comment: object = r.comment if r.comment.strip() else (-2 if i in hidden else -3)
        rows.append([
            i + 1, f"{t.year}/{t.month}/{t.day} {t.hour}:{t:%M:%S}", f"{int(rng.integers(25, 400))}秒",
            source, detail, _pick(rng, CITY[r.region][1]),
            -3 if nps is None else nps, -3 if csat is None else csat, "┋".join(channels), comment,
        ])
    return rows


def _pick(rng: np.random.Generator, seq: Sequence[str]) -> str:
    return seq[int(rng.integers(len(seq)))]


CSAT_LABEL = {"1": "非常不满意", "2": "不满意", "3": "一般", "4": "满意", "5": "非常满意"}


def surveymonkey_rows(out: list[Response], seed: int) -> list[list[str]]:
    rng = _export_rng(seed + 2)
    head1 = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
             "First Name", "Last Name", "Custom Data 1", Q_NPS, Q_CSAT, Q_CHANNEL, Q_TEXT]
    head2 = [""] * 9 + ["Response", "Response", "Response", "Open-Ended Response"]
    rows = [head1, head2]
    fmt = "%m/%d/%Y %I:%M:%S %p"
    base = 11873400000
    for i, r in enumerate(out[:N_EXPORT], 1):
        secs = int(rng.integers(35, 600))
        v = _valid_nps(r)
        rows.append([
            str(base + i * 37 + int(rng.integers(30))), "431096542",
            (r.submitted - dt.timedelta(seconds=secs)).strftime(fmt), r.submitted.strftime(fmt),
            _test_net_ip(rng), "", "", "", f"R{i:05d}", "" if v is None else str(v),
            CSAT_LABEL.get(r.csat, ""), CHANNEL_LABEL[r.channel], r.comment,
        ])
    return rows


FIXED_TIME = dt.datetime(2026, 10, 1, 0, 0, 0)


def xlsx_bytes(rows: Sequence[Sequence[object]], *, sheet: str = "Sheet1") -> bytes:
    """An .xlsx with fixed timestamps inside, so the same rows give the same bytes."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    wb.properties.creator = "voc corpora/make_demo.py"
    wb.properties.created = FIXED_TIME
    raw = io.BytesIO()
    wb.save(raw)
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    fixed = io.BytesIO()
    with zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp, data)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)
    return fixed.getvalue()


def driver_table_markdown(truth: dict[str, object]) -> str:
    """The planted-driver table for corpora/README.md, from demo_truth.json."""
    lines = [
        "| driver (theme.sub-theme : polarity) | planted NPS shift | planted CSAT shift | n | share "
        "| NPS gap | NPS impact | CSAT gap | CSAT impact |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    drivers = {d["driver"]: d for d in truth["drivers"]}  # type: ignore[index, union-attr]
    for e in EFFECTS:
        d = drivers[e.key]
        name = f"**{e.key}**" if e.headline else e.key
        lines.append(
            f"| {name} | {e.nps_shift:+.1f} | {e.csat_shift:+.1f} | {d['n']} | {100 * d['share']:.1f}% "
            f"| {d['nps']['gap']:+.1f} | {d['nps']['impact']:+.1f} "
            f"| {d['csat']['gap']:+.1f} | {d['csat']['impact']:+.1f} |"
        )
    return "\n".join(lines)


def build(*, seed: int = SEED) -> dict[str, bytes]:
    """Every demo file as bytes, keyed by file name."""
    out = generate(seed=seed)
    truth = truth_summary(out, seed=seed)
    wjx = wjx_rows(out, seed)
    return {
        "demo_survey.csv": _csv_bytes(survey_rows(out)),
        "demo_truth.csv": _csv_bytes(truth_rows(out)),
        "demo_truth.json": (json.dumps(truth, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
        "demo_qualtrics.csv": _csv_bytes(
            qualtrics_rows(out, seed), encoding="utf-8-sig", crlf=True, quote_all=True
        ),
        "demo_wjx.csv": _csv_bytes(wjx, encoding="gb18030", crlf=True),
        "demo_wjx.xlsx": xlsx_bytes(wjx),
        "demo_surveymonkey.csv": _csv_bytes(surveymonkey_rows(out, seed), crlf=True),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="output directory")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--print-table", action="store_true", help="print the README driver table and exit")
    args = parser.parse_args(argv)
    files = build(seed=args.seed)
    if args.print_table:
        print(driver_table_markdown(json.loads(files["demo_truth.json"])))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
    truth = json.loads(files["demo_truth.json"])
    print(f"wrote {len(files)} files to {args.out} ({truth['rows']} responses, "
          f"NPS {truth['nps']['value']:+.1f}, CSAT {truth['csat']['value']:.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
