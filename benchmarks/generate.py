"""Generate a realistic batch of filled 项目支出绩效自评表 workbooks for the benchmark.

    python benchmarks/generate.py N OUTDIR [--seed S] [--jobs J] [--no-office]

writes N form workbooks into OUTDIR (emptied first), spread over budget units of 3–40 projects (most in
a folder per unit under a folder per district, some in a flat folder, a few at the top level), plus one
单位情况.xlsx per unit and the odd Office lock file or note that a real inbox holds. A hidden marker
(.perfeval-bench.json: counts, faults injected) and manifest (.perfeval-bench-files.json: every
workbook and its faults) sit beside them; perfeval skips hidden files. What varies, and why:

- funds: one to four source rows, an own-level (区级/县级/市级) row, adjusted budgets, execution from
  full to low, amounts from a few thousand yuan to tens of millions (all in 万元);
- 10–20 indicators per form over 产出 (数量/质量/时效/成本), 效益 and 满意度, sometimes no 满意度, sometimes
  成本指标 as its own 一级指标 (财预〔2021〕101号), written in every value form of FORM.md §5: comparators
  (≥ >= ＞ 不少于 至少 达到 以上 …, ≤ 不超过 控制在…以内), full-width digits, thousands separators,
  Chinese numerals, 万/亿 multipliers, 余/多/约/近/左右, percentages, deadlines, qualitative grades;
- layout: label synonyms (调整后预算数, 预算执行数, 指标值, 完成值, 权重 …), points in headers
  (产出指标（50分）), a code before the project name, signature rows, extra sheets, several projects in
  one workbook, and the template's merged cells throughout; with LibreOffice installed, 3% saved as
  .xls and 5% re-saved as .xlsx by it (shared strings, styled empty cells: what Excel/WPS write);
- about 30% of the workbooks carry one to three of the mistakes CHECKS.md lists (wrong totals, rates on
  the wrong base, weights adding up to 95, scores above the points, missed targets without a reason,
  "已完成" for a quantity, unparseable values, a duplicate submission …), so that a realistic share of
  marked-up copies is produced; the rest are consistent forms that raise no 错误 or 警告.

Forms are drawn by ``perfeval.template`` (``draw_form``/``save_workbook``, as ``write_form`` does: the
layout the reader is written against) from ``perfeval.model`` objects, one worker process per core
(about 25 ms per workbook per core with openpyxl; 10,000 take 8 minutes on 2 cores). Every file
depends only on the seed and its own position, so a batch is the same for a seed whatever the number
of workers (byte for byte, except the files LibreOffice re-saved, which carry its timestamps).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import Workbook

from perfeval.model import Amount, Funds, FundsRow, Indicator, Project, UnitInfo, Value
from perfeval.template import (
    FIRST_INDICATOR_ROW, FORM_GUIDE, FORM_SHEET, UNIT_SHEET, UNIT_GUIDE, add_guide, draw_form,
    draw_unit_sheet, save_workbook,
)

GENERATOR_VERSION = 5  # bump when the content changes, so that run.py regenerates kept batches
MARKER = ".perfeval-bench.json"  # hidden: the inbox scan skips it
MANIFEST = ".perfeval-bench-files.json"  # every workbook and the faults injected into it
YEAR = 2021
XLS_SHARE = 0.03  # saved as Excel 97–2003 .xls (WPS still defaults to it in many offices)
RESAVED_SHARE = 0.05  # opened and saved again in an office suite: shared strings, styled empty cells
OFFICE_BATCH = 150  # soffice silently stops converting somewhere past 200 files per call (LIBRARIES.md §5)
FAULT_SHARE = 0.28  # of forms; with multi-form workbooks and duplicates about 30% of workbooks
BUDGET_POINTS = 10

OUTPUT, EFFECT, SATISFACTION, COST = "产出指标", "效益指标", "满意度指标", "成本指标"

# --- the world: districts, sectors, units ---------------------------------------------------

# (市, 区/县, 行政区划代码, 本级资金名称)
DISTRICTS = (
    ("长沙市", "开福区", "430105", "区级"), ("长沙市", "芙蓉区", "430102", "区级"),
    ("长沙市", "岳麓区", "430104", "区级"), ("株洲市", "荷塘区", "430202", "区级"),
    ("池州市", "贵池区", "341702", "区级"), ("成都市", "武侯区", "510107", "区级"),
    ("宜宾市", "筠连县", "511527", "县级"), ("赣州市", "于都县", "360731", "县级"),
    ("南阳市", "西峡县", "411323", "县级"), ("曲靖市", "陆良县", "530322", "县级"),
    ("温州市", "苍南县", "330327", "县级"), ("邵阳市", "隆回县", "430524", "县级"),
)


@dataclass(frozen=True)
class Sector:
    """A line of government work: who does it, its projects, and what it measures."""

    agency: str  # the 主管部门 suffix, e.g. 教育局
    subordinates: tuple[str, ...]  # units under it
    projects: tuple[str, ...]
    quantities: tuple[tuple[str, str, float, float], ...]  # (三级指标, unit, low, high)
    qualities: tuple[str, ...]  # percentage indicators (合格率 …)
    effects: tuple[tuple[str, str, str], ...]  # (二级指标, 三级指标, target wording)
    numeric_effects: tuple[tuple[str, str, str, float, float], ...] = ()  # (二级, 三级, unit, low, high)
    satisfaction: str = "服务对象满意度"


SECTORS = (
    Sector("教育局", ("第一中学", "实验小学", "教师发展中心", "中心幼儿园", "职业中专学校"),
           ("义务教育薄弱环节改善与能力提升", "学生资助", "教师培训", "校园安全设施改造", "课后服务", "学前教育普惠发展",
            "农村义务教育学生营养改善计划", "智慧校园建设"),
           (("培训教师", "人次", 200, 3000), ("资助家庭经济困难学生", "人", 100, 5000),
            ("改造校舍面积", "平方米", 500, 20000), ("采购教学设备", "台套", 50, 1500),
            ("开展课后服务学校", "所", 5, 60), ("新增学位", "个", 100, 2000), ("开展安全演练", "次", 10, 120),
            ("营养餐受益学生", "人", 2000, 60000)),
           ("设备验收合格率", "资助资金发放准确率", "培训合格率", "工程验收合格率"),
           (("社会效益指标", "办学条件", "明显改善"), ("社会效益指标", "教育教学质量", "稳步提升"),
            ("可持续影响指标", "教育资源均衡配置", "持续改善"), ("社会效益指标", "学生安全保障水平", "有效提升")),
           (("社会效益指标", "学生体质健康达标率", "%", 85, 95),),
           "学生及家长满意度"),
    Sector("卫生健康局", ("疾病预防控制中心", "社区卫生服务中心", "妇幼保健计划生育服务中心", "人民医院"),
           ("基本公共卫生服务", "家庭医生签约服务", "疫情防控", "重大疾病防控", "计划生育家庭特别扶助", "医疗设备购置",
            "基层医疗卫生机构能力建设"),
           (("建立居民电子健康档案", "份", 5000, 300000), ("家庭医生签约", "人", 1000, 80000),
            ("开展健康教育讲座", "场", 10, 300), ("疫苗接种", "剂次", 10000, 500000),
            ("采购医疗设备", "台", 5, 120), ("慢性病患者随访", "人次", 500, 40000), ("发放扶助金", "人", 50, 3000)),
           ("电子健康档案规范率", "设备验收合格率", "疫苗接种率", "扶助资金发放准确率"),
           (("社会效益指标", "居民健康素养水平", "有效提升"), ("社会效益指标", "传染病疫情", "有效控制"),
            ("可持续影响指标", "基层医疗服务能力", "持续提高")),
           (("社会效益指标", "居民健康素养水平", "%", 20, 30),),
           "签约居民满意度"),
    Sector("民政局", ("社会福利院", "救助管理站", "殡仪馆"),
           ("城乡最低生活保障", "特困人员救助供养", "养老服务补贴", "社区居家养老服务中心建设", "殡葬改革",
            "困难残疾人生活补贴和重度残疾人护理补贴"),
           (("保障城乡低保对象", "人", 500, 20000), ("发放养老服务补贴", "人次", 1000, 50000),
            ("建设社区养老服务站", "个", 2, 40), ("集中供养特困人员", "人", 50, 1500), ("发放残疾人补贴", "人", 300, 9000)),
           ("补贴发放准确率", "救助对象认定准确率", "养老服务站验收合格率"),
           (("社会效益指标", "困难群众基本生活", "有效保障"), ("社会效益指标", "养老服务水平", "明显提升"),
            ("可持续影响指标", "社会救助体系", "不断完善")),
           (),
           "救助对象满意度"),
    Sector("农业农村局", ("农业技术推广中心", "动物疫病预防控制中心", "农村经营管理站"),
           ("高标准农田建设", "耕地地力保护补贴", "农村人居环境整治", "动物防疫", "基层农技推广体系改革与建设",
            "巩固拓展脱贫攻坚成果同乡村振兴有效衔接"),
           (("建设高标准农田", "亩", 1000, 50000), ("改造农村户厕", "户", 100, 5000),
            ("培训高素质农民", "人", 50, 1500), ("动物强制免疫", "头（只）", 10000, 600000),
            ("推广农业主推技术", "项", 5, 40), ("补贴耕地面积", "亩", 20000, 400000)),
           ("农田工程验收合格率", "免疫密度", "补贴发放准确率"),
           (("经济效益指标", "农民人均纯收入", "稳步增长"), ("生态效益指标", "农村人居环境", "明显改善"),
            ("可持续影响指标", "农业综合生产能力", "持续提高")),
           (("经济效益指标", "带动农户增收", "户", 200, 5000),),
           "农户满意度"),
    Sector("住房和城乡建设局", ("城市管理局", "环境卫生服务中心", "园林绿化中心"),
           ("老旧小区改造", "城市道路维修", "环卫保洁", "园林绿化养护", "保障性安居工程", "城市排水设施改造"),
           (("改造老旧小区", "个", 2, 40), ("维修城市道路", "平方米", 2000, 90000),
            ("清运生活垃圾", "吨", 1000, 200000), ("养护绿地面积", "平方米", 10000, 900000),
            ("改造雨污管网", "公里", 2, 60), ("发放租赁补贴", "户", 50, 3000)),
           ("工程验收合格率", "道路完好率", "垃圾无害化处理率"),
           (("社会效益指标", "居民居住条件", "明显改善"), ("生态效益指标", "城市环境卫生", "有效提升"),
            ("可持续影响指标", "城市精细化管理水平", "持续提高")),
           (),
           "居民满意度"),
    Sector("交通运输局", ("公路建设养护中心", "交通运输综合行政执法大队"),
           ("农村公路养护", "城乡公交运营补贴", "道路运输安全监管", "危桥改造"),
           (("养护农村公路", "公里", 50, 1500), ("新增公交线路", "条", 1, 20), ("改造危桥", "座", 1, 25),
            ("开展道路运输执法检查", "次", 50, 800)),
           ("公路优良路率", "补贴发放准确率", "工程验收合格率"),
           (("社会效益指标", "群众出行条件", "明显改善"), ("社会效益指标", "道路运输安全水平", "有效提升")),
           (),
           "群众满意度"),
    Sector("文化旅游广电体育局", ("图书馆", "文化馆", "体育中心"),
           ("公共文化服务体系建设", "全民健身", "非物质文化遗产保护", "送戏下乡", "公共图书馆免费开放"),
           (("开展文化惠民演出", "场", 20, 500), ("新增馆藏图书", "册", 1000, 50000), ("举办体育赛事", "场", 5, 60),
            ("培训文艺骨干", "人次", 50, 2000), ("记录非遗项目", "项", 3, 40)),
           ("设施开放率", "活动完成率"),
           (("社会效益指标", "群众文化生活", "不断丰富"), ("社会效益指标", "全民健身意识", "有效提升"),
            ("可持续影响指标", "公共文化服务体系", "持续完善")),
           (("社会效益指标", "受益群众", "人次", 5000, 200000),),
           "群众满意度"),
    Sector("金融事务中心", ("金融服务站",),
           ("打击和处置非法集资工作经费", "金融产业培育经费", "金融监管工作经费", "打非案件司法鉴定中介费",
            "防范金融风险宣传经费"),
           (("开展大型集中宣传活动", "次", 20, 120), ("发放宣传手册及制品", "份", 10000, 90000),
            ("发送警示短信", "条", 10000, 80000), ("组织银企对接会", "场", 5, 30), ("摸排培育企业", "家", 100, 3000),
            ("建立防非处非工作专班", "个", 5, 30)),
           ("风险隐患排查覆盖率", "宣传覆盖率"),
           (("社会效益指标", "群众防范非法集资意识", "有效提升"), ("经济效益指标", "企业融资困境", "有效缓解"),
            ("可持续影响指标", "防非处非工作机制", "长效运行")),
           (),
           "服务对象满意度"),
    Sector("生态环境分局", ("环境监测站", "生态环境保护综合行政执法大队"),
           ("大气污染防治", "水污染防治", "环境监测能力建设", "土壤污染防治"),
           (("建设空气质量监测点位", "个", 3, 30), ("检查排污企业", "家", 50, 800), ("开展水质监测", "次", 50, 1200),
            ("治理散乱污企业", "家", 10, 200)),
           ("监测数据有效率", "整改完成率"),
           (("生态效益指标", "区域环境质量", "持续改善"), ("可持续影响指标", "环境监管能力", "有效提升")),
           (("生态效益指标", "空气质量优良天数比例", "%", 80, 92),),
           "群众满意度"),
    Sector("人力资源和社会保障局", ("就业服务中心", "劳动保障监察大队"),
           ("就业专项资金", "职业技能提升行动", "创业担保贷款贴息", "根治欠薪专项行动"),
           (("开展职业技能培训", "人次", 200, 8000), ("城镇新增就业", "人", 500, 20000),
            ("发放创业担保贷款", "笔", 20, 600), ("举办招聘会", "场", 5, 80)),
           ("培训合格率", "补贴发放准确率"),
           (("社会效益指标", "就业局势", "总体稳定"), ("经济效益指标", "劳动者技能水平", "明显提升")),
           (("经济效益指标", "帮助就业困难人员就业", "人", 50, 2000),),
           "服务对象满意度"),
    Sector("市场监督管理局", ("食品药品检验检测中心", "市场监管综合执法大队"),
           ("食品安全抽检", "特种设备安全监察", "知识产权保护", "消费者权益保护"),
           (("完成食品安全抽检", "批次", 500, 8000), ("检查特种设备使用单位", "家", 50, 900),
            ("处理消费投诉举报", "件", 200, 9000), ("开展专项执法检查", "次", 10, 200)),
           ("抽检任务完成率", "投诉处理按时办结率"),
           (("社会效益指标", "食品安全水平", "有效提升"), ("社会效益指标", "消费环境", "持续改善")),
           (),
           "消费者满意度"),
    Sector("司法局", ("公共法律服务中心", "社区矫正管理局"),
           ("法律援助", "人民调解", "普法宣传", "社区矫正"),
           (("办理法律援助案件", "件", 100, 2500), ("调解矛盾纠纷", "件", 200, 6000), ("开展普法宣传活动", "场", 20, 400),
            ("培训人民调解员", "人次", 50, 1500)),
           ("调解成功率", "案件质量合格率"),
           (("社会效益指标", "群众法治意识", "有效提升"), ("社会效益指标", "社会和谐稳定", "有效维护")),
           (),
           "受援群众满意度"),
)

GENERIC_EFFECTS = (
    ("社会效益指标", "群众获得感", "明显增强"), ("可持续影响指标", "长效管理机制", "逐步健全"),
    ("经济效益指标", "资金使用效益", "有效提高"), ("社会效益指标", "政策知晓度", "有效提升"),
    ("可持续影响指标", "项目持续发挥作用", "长期"), ("社会效益指标", "公共服务水平", "稳步提升"),
)
GENERIC_NUMERIC_EFFECTS = (("社会效益指标", "政策知晓率提高", "个百分点"), ("经济效益指标", "带动社会投资", "亿元"),
                           ("经济效益指标", "撬动社会资金", "千万元"))
TIME_NAMES = ("项目完成时间", "任务完成时限", "资金拨付时间", "工程完工时间", "年度任务完成时间")
COST_TOTAL_NAMES = ("项目总成本", "项目支出总额", "资金支出控制数")
UNIT_COST_NAMES = (("人均培训成本", "元"), ("单次活动成本", "元"), ("每亩建设成本", "元"), ("单位维修成本", "元"))

DEVIATIONS_MISSED = (
    "受疫情影响，部分活动延期举办；下一步将加快进度，确保明年全面完成。",
    "实际需求低于年初预计，目标设定偏高；今后将结合上年实际合理设定目标。",
    "部分工作跨年度实施，已完成招标；下一步督促实施单位按合同约定时限完成。",
    "受天气和施工条件影响，工期有所延误；已调整施工计划，加强进度管理。",
    "申报对象减少，按实际符合条件人数执行；今后加强政策宣传和摸底工作。",
)
DEVIATIONS_OVER = (
    "群众需求旺盛，实际完成量超出年初计划；今后将结合实际需求科学设定目标。",
    "上级追加任务，完成量超过年初目标；下一年度将根据上年完成情况调整目标值。",
    "年初目标设定偏保守，今后将参照历年完成情况合理设定指标值。",
)
DEVIATIONS_FUNDS = (
    "部分项目资金因工程尚未结算，未能全部支出，结转下年使用；下一步加快结算和资金支付进度。",
    "受政府采购流程影响，部分资金年底前未能支付；今后将提前启动采购程序，提高预算执行率。",
    "项目跨年度实施，资金按合同进度拨付；下一步加强预算执行进度监控。",
)
FUND_USES = ("用于{}相关支出", "用于{}工作开展", "保障{}工作正常运转", "用于{}设备购置和服务采购")
FILLERS = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周婷", "吴强", "徐丽", "孙浩", "文琼")

# --- small helpers ----------------------------------------------------------------------------


def round_half_up(number: float, places: int = 2) -> float:
    """Round as the scoring rules do (ROUND_HALF_UP), not as Python's banker's rounding."""
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(repr(number)).quantize(quantum, rounding=ROUND_HALF_UP))


def format_number(x: float) -> str:
    """81.2 -> "81.2", 50.0 -> "50", 0.0 -> "0"."""
    return f"{x:.4f}".rstrip("0").rstrip(".") or "0"


def nice_number(rng: random.Random, low: float, high: float) -> float:
    """A round target such as units set them: log-uniform in [low, high], whole under 20, else two
    significant digits (1,200; 65,000)."""
    x = math.exp(rng.uniform(math.log(low), math.log(high)))
    if x < 20:
        return float(max(1, round(x)))
    magnitude = 10 ** (math.floor(math.log10(x)) - 1)
    return float(round(x / magnitude) * magnitude)


FULL_WIDTH = str.maketrans("0123456789.,%", "０１２３４５６７８９．，％")
CN_DIGITS = "零一二三四五六七八九"


def chinese_numeral(n: int) -> str:
    """1..9999 in Chinese numerals as staff write them: 五十, 一百二十, 三千零五."""
    if n == 2:
        return "两"
    parts, zero = [], False
    for value, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            if zero:
                parts.append("零")
                zero = False
            parts.append(("" if (name == "十" and digit == 1 and not parts) else CN_DIGITS[digit]) + name)
        elif parts:
            zero = True
    return "".join(parts)


def split_points(rng: random.Random, total: int, count: int) -> list[float]:
    """``count`` whole-number weights of at least 2 that add up to ``total``, unevenly, as units set them."""
    weights = [total // count] * count
    for i in range(total - sum(weights)):
        weights[i % count] += 1
    for _ in range(count):
        a, b = rng.randrange(count), rng.randrange(count)
        move = rng.randint(0, 2)
        if a != b and weights[a] - move >= 2:
            weights[a] -= move
            weights[b] += move
    return [float(w) for w in weights]


def cents(x: float) -> int:
    """万元 -> hundredths of 万元, exactly."""
    return int(round(x * 100))


# --- one indicator --------------------------------------------------------------------------

@dataclass
class Ind:
    """An indicator row being composed: the texts the unit writes and what it scores."""

    level1: str
    level2: str
    name: str
    target: str
    actual: str
    weight: float
    score: float
    deviation: str = ""
    kind: str = ""  # quantity | percent | deadline | cost | qualitative
    outcome: str = "met"  # met | over | missed | partial
    goal: float = 0.0  # the target's number, for quantities
    unit: str = ""  # the quantity's measure word


def outcome_of(rng: random.Random) -> str:
    """How a numeric target fared: mostly met, sometimes over-achieved (explained) or missed (explained)."""
    r = rng.random()
    return "met" if r < 0.80 else ("over" if r < 0.87 else "missed")


def score_ratio(weight: float, target: float, actual: float) -> float:
    """正向 score: full points when met, else in proportion (财预〔2020〕10号)."""
    return weight if actual >= target else round_half_up(weight * actual / target)


def quantity_text(rng: random.Random, number: float, unit: str, *, target: bool) -> tuple[str, float]:
    """A quantity as staff write it, and the number the text says (approximations round it down)."""
    integral = float(number).is_integer()
    if number >= 10000 and rng.random() < 0.6:
        shown = math.floor(number / 100) / 100  # in 万, two decimals
        approx = "" if target else rng.choice(("", "", "余"))
        return f"{format_number(shown)}万{approx}{unit}", shown * 10000
    style = rng.random()
    if not target and style < 0.25 and number >= 20:
        base = math.floor(number / 10) * 10 if number < 1000 else math.floor(number / 100) * 100
        word = rng.choice(("余", "余", "多"))
        return f"{int(base)}{word}{unit}", float(base)
    if not target and style < 0.30:
        return f"约{format_number(number)}{unit}", number
    if not target and style < 0.32:
        return f"近{format_number(number)}{unit}", number
    if not target and style < 0.36:
        return f"{format_number(number)}{unit}左右", number
    if integral and number < 100 and style < 0.42 and unit in ("次", "场", "人", "个", "家", "期", "件", "所", "项", "条", "座"):
        return f"{chinese_numeral(int(number))}{unit}", number
    if number >= 1000 and style < 0.50:
        return f"{int(number):,}{unit}" if integral else f"{number:,.2f}{unit}", number
    if style < 0.55:
        return f"{format_number(number)}".translate(FULL_WIDTH) + unit, number
    return f"{format_number(number)}{unit}", number


GE_FORMS = ("≥{}", "≥{}", "≥{}", ">={}", "不少于{}", "至少{}", "{}以上", "达到{}", "大于等于{}", "＞{}", "{}", "{}", "{}")


def make_quantity(rng: random.Random, name: str, unit: str, low: float, high: float, weight: float) -> Ind:
    """A 数量指标: "≥50次" / "60余次", "6.5万份" / "6.76万份", "五十次" …"""
    goal = nice_number(rng, low, high)
    goal_text, goal = quantity_text(rng, goal, unit, target=True)
    form = rng.choice(GE_FORMS)
    target = form.format(goal_text)
    outcome = outcome_of(rng)
    factor = {"met": rng.choice((1.0, 1.0, rng.uniform(1.0, 1.25))), "over": rng.uniform(1.32, 1.8),
              "missed": rng.uniform(0.6, 0.97)}[outcome]
    if form == "＞{}" and outcome == "met":  # strictly more than the target
        factor = max(factor, 1.05)
    raw = float(round(goal * factor))
    if outcome == "missed":
        raw = min(raw, goal - 1)
    elif outcome == "met":  # small counts round up: 4 of 3 would be 133%
        raw = max(goal, min(raw, math.floor(goal * 1.29)))
    actual_text, shown = quantity_text(rng, raw, unit, target=False)
    if outcome != "missed" and shown <= goal and (shown < goal or form == "＞{}"):
        actual_text, shown = f"{format_number(raw)}{unit}", raw  # an approximation must not fall short
    if outcome == "over" and shown / goal < 1.3:
        outcome = "met"
    ind = Ind(OUTPUT, "数量指标", name, target, actual_text, weight, score_ratio(weight, goal, shown), kind="quantity",
              outcome=outcome, goal=goal, unit=unit)
    if outcome == "over":
        ind.deviation = rng.choice(DEVIATIONS_OVER)
    elif outcome == "missed":
        ind.deviation = rng.choice(DEVIATIONS_MISSED)
    return ind


def make_percent(rng: random.Random, level1: str, level2: str, name: str, weight: float,
                 low: float = 85, high: float = 100) -> Ind:
    """A percentage: "≥95%" / "98.6%", "不低于90％" / "96%", "=100%" / "100%"."""
    goal = float(rng.choice([g for g in (80, 85, 90, 92, 95, 98, 100) if low <= g <= high] or [round(low)]))
    if goal == 100:
        target = rng.choice(("100%", "=100%", "＝100％", "达到100%"))
    else:
        target = rng.choice(("≥{}%", "≥{}%", "{}%以上", "不低于{}％", "≥{}％", "不低于{}%")).format(format_number(goal))
    missed = rng.random() < 0.06
    if missed:
        shown = round(goal - rng.uniform(1, 8), 1)
    else:
        shown = round(rng.uniform(goal, min(100.0, goal + 6, goal * 1.25)), rng.choice((0, 0, 1)))
    actual = (f"{format_number(shown)}％" if rng.random() < 0.15 else f"{format_number(shown)}%")
    ind = Ind(level1, level2, name, target, actual, weight, score_ratio(weight, goal, shown), kind="percent",
              outcome="missed" if missed else "met")
    if missed:
        ind.deviation = rng.choice(DEVIATIONS_MISSED)
    return ind


def make_deadline(rng: random.Random, weight: float) -> Ind:
    """A 时效指标: "2021年12月底前" / "2021年11月完成", "按时" / "按时完成", "年底前" / "已按期完成"."""
    name = rng.choice(TIME_NAMES)
    target = rng.choice(("2021年12月底前", "2021年12月底前", "12月底之前完成", "年底前", "2021年11月30日前",
                         "1-12月", "按时", "２０２１年１２月底前"))
    if rng.random() < 0.05 and target not in ("按时", "1-12月"):
        return Ind(OUTPUT, "时效指标", name, target, "2022年3月完成", weight, round_half_up(weight * 0.5),
                   rng.choice(DEVIATIONS_MISSED), kind="deadline", outcome="missed")
    if target == "按时":
        actual = rng.choice(("按时完成", "已按期完成", "按时"))
    elif target == "2021年11月30日前":
        actual = rng.choice(("2021年11月完成", "2021年10月完成", "按时完成"))
    else:
        actual = rng.choice(("2021年11月完成", "2021年12月完成", "按时完成", "已按期完成", "2021年12月20日"))
    return Ind(OUTPUT, "时效指标", name, target, actual, weight, weight, kind="deadline")


def make_cost_total(rng: random.Random, level1: str, level2: str, budget: float, spent: float,
                    weight: float) -> Ind:
    """A 成本指标 on the whole project: "≤85.5万元" / "83.2万元"; a cost without a comparator means ≤."""
    form = rng.choice(("≤{}万元", "≤{}万元", "不超过{}万元", "控制在{}万元以内", "{}万元以内", "{}万元", "<={}万元",
                       "{}万元以下", "小于等于{}万元", "≦{}万元"))
    return Ind(level1, level2, rng.choice(COST_TOTAL_NAMES), form.format(format_number(budget)),
               f"{format_number(spent)}万元", weight, weight, kind="cost")


def make_unit_cost(rng: random.Random, level1: str, level2: str, weight: float) -> Ind:
    """A unit cost: "≤300元" / "286元"."""
    name, unit = rng.choice(UNIT_COST_NAMES)
    limit = nice_number(rng, 50, 5000)
    spent = round(limit * rng.uniform(0.8, 1.0))
    form = rng.choice(("≤{}{}", "不超过{}{}", "不高于{}{}", "{}{}以内"))
    return Ind(level1, level2, name, form.format(format_number(limit), unit), f"{format_number(spent)}{unit}",
               weight, weight, kind="cost")


QUALITATIVE_ACHIEVED = ("达成年度指标", "达成预期指标", "效果明显", "有效提升", "显著提升", "明显改善", "良好", "已完成",
                        "持续改善", "较上年提高", "达标")


def make_qualitative(rng: random.Random, level2: str, name: str, wording: str, weight: float) -> Ind:
    """A qualitative 效益指标: target "有效提升", actual "达成年度指标" (or the target copied, as units do)."""
    if rng.random() < 0.08:
        actual = rng.choice(("基本达成", "部分达成，部分工作跨年度实施", "基本完成"))
        return Ind(EFFECT, level2, name, wording, actual, weight, round_half_up(weight * 0.7),
                   rng.choice(DEVIATIONS_MISSED), kind="qualitative", outcome="partial")
    actual = wording if rng.random() < 0.2 else rng.choice(QUALITATIVE_ACHIEVED)
    return Ind(EFFECT, level2, name, wording, actual, weight, weight, kind="qualitative")


def make_numeric_effect(rng: random.Random, spec: tuple[str, str, str, float, float], weight: float) -> Ind:
    """A numeric 效益指标: a rate ("≥85%") or a count ("≥5000人次")."""
    level2, name, unit, low, high = spec
    if unit == "%":
        return make_percent(rng, EFFECT, level2, name, weight, low, high)
    ind = make_quantity(rng, name, unit, low, high, weight)
    ind.level1, ind.level2 = EFFECT, level2
    return ind


def make_large_effect(rng: random.Random, level2: str, name: str, unit: str, weight: float) -> Ind:
    """Percentage points and large sums: "≥2个百分点" / "2.5个百分点", "≥1.5亿元" / "1.62亿元", "≥3千万元"."""
    goal = float(rng.choice((1, 1.5, 2, 3, 5)))
    shown = round(goal * rng.uniform(1.0, 1.25), 2)
    target = rng.choice(("≥{}{}", "不低于{}{}", "{}{}以上")).format(format_number(goal), unit)
    actual = rng.choice(("{}{}", "{}{}", "约{}{}")).format(format_number(shown), unit)
    return Ind(EFFECT, level2, name, target, actual, weight, weight, kind="number")


def make_satisfaction(rng: random.Random, name: str, weight: float) -> Ind:
    """满意度: "≥90%" / "96%"."""
    return make_percent(rng, SATISFACTION, "服务对象满意度指标", name, weight, 85, 95)


# --- one project ----------------------------------------------------------------------------

@dataclass
class FundsPlan:
    """Funds rows in hundredths of 万元: row -> (年初预算数, 全年预算数, 全年执行数)."""

    rows: dict[str, tuple[int, int, int]]
    own_level: tuple[int, int, int] | None
    own_label: str
    total_override: tuple[int, int, int] | None = None  # a total typed by hand (B001)

    @property
    def total(self) -> tuple[int, int, int]:
        if self.total_override is not None:
            return self.total_override
        return tuple(sum(r[k] for r in self.rows.values()) for k in range(3))  # type: ignore[return-value]


def plan_funds(rng: random.Random, own_name: str, low_execution: bool) -> FundsPlan:
    """The 项目资金 block: a budget of a few thousand yuan to tens of millions, split over its sources."""
    budget = cents(min(3000.0, max(0.5, math.exp(rng.gauss(math.log(35), 1.2)))))
    adjusted = rng.random() < 0.25
    initial = budget if not adjusted else cents(budget / 100 / (1 + rng.uniform(-0.09, 0.09)))
    if low_execution:
        rate = rng.uniform(0.62, 0.88)
    else:
        rate = 1.0 if rng.random() < 0.55 else rng.uniform(0.9, 0.999)
    spent = int(budget * rate) if low_execution else max(int(budget * rate), math.ceil(budget * 0.9))
    shape = rng.random()
    names = ["appropriation"] + (["carryover"] if shape > 0.75 else []) + (["other"] if shape > 0.9 else [])
    shares = [1.0] if len(names) == 1 else [rng.uniform(0.5, 0.8)] + [0.0] * (len(names) - 1)
    if len(names) > 1:
        rest = 1 - shares[0]
        for i in range(1, len(names)):
            shares[i] = rest / (len(names) - 1)
    rows: dict[str, tuple[int, int, int]] = {}
    left = [initial, budget, spent]
    for i, name in enumerate(names):
        if i == len(names) - 1:
            rows[name] = tuple(left)  # type: ignore[assignment]
        else:
            part = tuple(int(v * shares[i]) for v in (initial, budget, spent))
            rows[name] = part  # type: ignore[assignment]
            left = [a - b for a, b in zip(left, part)]
    own = None
    if rng.random() < 0.7:
        source = rows["appropriation"]
        share = 1.0 if rng.random() < 0.7 else rng.uniform(0.4, 0.9)
        own = tuple(int(v * share) for v in source)
    return FundsPlan(rows, own, f"其中：{own_name}资金")  # type: ignore[arg-type]


@dataclass
class ProjectPlan:
    """Everything a project's form says, in the generator's terms (faults are applied to this)."""

    name: str
    code: str
    department: str
    implementer: str
    year: int
    funds: FundsPlan
    rate_written: float
    budget_score: float
    indicators: list[Ind]
    goal: str
    achievement: str
    fund_use: str
    project_type: str
    filler: str
    phone: str
    total_offset: float = 0.0
    faults: list[str] = field(default_factory=list)

    @property
    def total_written(self) -> float:
        return round_half_up(self.budget_score + sum(i.score for i in self.indicators) + self.total_offset)


def written_rate(funds: FundsPlan) -> tuple[float, float]:
    """执行率 and 得分 as a careful unit writes them: B/A to 4 places, 10 × min(rate, 1)."""
    _, budget, spent = funds.total
    rate = spent / budget if budget else 0.0
    return round(rate, 4), round_half_up(BUDGET_POINTS * min(rate, 1.0))


def plan_indicators(rng: random.Random, sector: Sector, funds: FundsPlan) -> list[Ind]:
    """10–20 indicators: 产出 50 (数量, 质量, 时效, 成本), 效益 30, 满意度 10 (or 效益 40 without it)."""
    with_satisfaction = rng.random() < 0.88
    cost_as_level1 = rng.random() < 0.12
    n_quantity = rng.randint(3, 7)
    n_quality = rng.randint(1, 3)
    n_time = rng.randint(1, 2)
    n_cost = rng.choice((0, 1, 1, 2))
    n_effect = rng.randint(2, 5)
    n_satisfaction = (1 if rng.random() < 0.8 else 2) if with_satisfaction else 0
    while n_quantity + n_quality + n_time + n_cost + n_effect + n_satisfaction < 10:
        n_quantity += 1
    output_points = split_points(rng, 50, n_quantity + n_quality + n_time + n_cost)
    effect_points = split_points(rng, 30 if with_satisfaction else 40, n_effect)
    satisfaction_points = split_points(rng, 10, n_satisfaction) if n_satisfaction else []

    _, budget, spent = funds.total
    weights = iter(output_points)
    rows: list[Ind] = []
    for name, unit, low, high in rng.sample(sector.quantities, min(n_quantity, len(sector.quantities))):
        rows.append(make_quantity(rng, name, unit, low, high, next(weights)))
    while len(rows) < n_quantity:  # more quantities than the sector names: a second batch of the same work
        name, unit, low, high = rng.choice(sector.quantities)
        rows.append(make_quantity(rng, f"{name}（第{len(rows) + 1}批）", unit, low, high, next(weights)))
    for name in (rng.choice(sector.qualities) + ("" if i == 0 else f"（{i + 1}）") for i in range(n_quality)):
        rows.append(make_percent(rng, OUTPUT, "质量指标", name, next(weights)))
    for _ in range(n_time):
        rows.append(make_deadline(rng, next(weights)))
    level1, level2 = (COST, "经济成本指标") if cost_as_level1 else (OUTPUT, "成本指标")
    for k in range(n_cost):
        if k == 0:
            rows.append(make_cost_total(rng, level1, level2, budget / 100, spent / 100, next(weights)))
        else:
            rows.append(make_unit_cost(rng, level1, level2, next(weights)))
    if cost_as_level1:  # 成本指标 as its own 一级 comes after 产出 on 101号 forms
        rows.sort(key=lambda i: i.level1 == COST)

    effects = list(sector.effects) + rng.sample(GENERIC_EFFECTS, 3)
    rng.shuffle(effects)
    for k, points in enumerate(effect_points):
        if k < len(sector.numeric_effects) and rng.random() < 0.6:
            rows.append(make_numeric_effect(rng, sector.numeric_effects[k], points))
        elif k == len(effect_points) - 1 and rng.random() < 0.2:
            rows.append(make_large_effect(rng, *rng.choice(GENERIC_NUMERIC_EFFECTS), points))
        else:
            level2, name, wording = effects[k % len(effects)]
            if k >= len(effects):
                name = f"{name}（{k + 1}）"
            rows.append(make_qualitative(rng, level2, name, wording, points))
    names = [sector.satisfaction, "服务对象满意度"] if sector.satisfaction != "服务对象满意度" else ["服务对象满意度", "群众满意度"]
    for k, points in enumerate(satisfaction_points):
        rows.append(make_satisfaction(rng, names[k], points))
    return rows


def describe_goal(indicators: list[Ind], subject: str) -> str:
    """预期目标: what the unit planned, in the form's own words."""
    planned = "，".join(f"{i.name}{i.target}" for i in indicators if i.kind == "quantity")[:300]
    effects = "、".join(i.name for i in indicators if i.level1 == EFFECT)[:120]
    return f"做好{subject}工作，年度内计划{planned}；确保资金使用规范，{effects}等方面取得实效。"


def describe_achievement(indicators: list[Ind], subject: str) -> str:
    """实际完成情况: what was done, figures as the unit reports them."""
    done = "，".join(f"{i.name}{i.actual}" for i in indicators if i.kind == "quantity")[:300]
    return f"本年度{subject}工作按计划推进，{done}，各项工作总体完成年度目标，资金使用规范，取得了较好的社会效益。"


def project_name(rng: random.Random, unit: UnitPlan, number: int) -> tuple[str, str]:
    """(subject, 项目名称), unique within the unit: the unit's projects cycle through its sector's
    subjects, and a subject met again becomes its 二期, 三期 …"""
    projects = unit.sector.projects
    start = random.Random(unit.code).randrange(len(projects))
    cycle, index = divmod(start + number - 1, len(projects))
    subject = projects[index]
    phase = f"（{'二' if cycle == 1 else chinese_numeral(cycle + 1)}期）" if cycle else ""
    return subject, f"{unit.district_short}{subject}{rng.choice(('专项经费', '项目', '工作经费'))}{phase}"


def plan_project(rng: random.Random, unit: UnitPlan, number: int) -> ProjectPlan:
    """A consistent form for one project of ``unit``: it raises no 错误 or 警告."""
    low_execution = rng.random() < 0.10
    funds = plan_funds(rng, unit.own_level, low_execution)
    indicators = plan_indicators(rng, unit.sector, funds)
    if low_execution:  # B004: a rate under 90% needs an explanation in a 偏差原因 cell
        target = next((i for i in indicators if i.kind == "cost"), indicators[0])
        target.deviation = rng.choice(DEVIATIONS_FUNDS)
    rate, score = written_rate(funds)
    subject, name = project_name(rng, unit, number)
    return ProjectPlan(
        name=name, code=f"{unit.code}{YEAR}{number:04d}", department=unit.department, implementer=unit.name,
        year=YEAR, funds=funds, rate_written=rate, budget_score=score, indicators=indicators,
        goal=describe_goal(indicators, subject), achievement=describe_achievement(indicators, subject),
        fund_use=rng.choice(FUND_USES).format(subject), project_type=rng.choice(("经常性", "经常性", "一次性")),
        filler=unit.filler, phone=unit.phone)


# --- faults: what CHECKS.md catches --------------------------------------------------------

def first_of(p: ProjectPlan, kind: str, outcome: str | None = None) -> Ind | None:
    """The first indicator of a kind (and outcome), if any."""
    return next((i for i in p.indicators if i.kind == kind and (outcome is None or i.outcome == outcome)), None)


def fault_total_mismatch(rng: random.Random, p: ProjectPlan) -> None:
    """B001: 年度资金总额 typed by hand, not the sum of its rows (rate and score follow the typed total)."""
    initial, budget, spent = p.funds.total
    delta = cents(rng.uniform(0.5, 5))
    p.funds.total_override = (initial + delta if initial == budget else initial, budget + delta, spent)
    p.rate_written, p.budget_score = written_rate(p.funds)
    p.faults.append("total_off")


def fault_rate_base(rng: random.Random, p: ProjectPlan) -> None:
    """B006: 执行率 computed on 年初预算数 instead of 全年预算数, or full budget points despite a low rate."""
    initial, budget, spent = p.funds.total
    if initial != budget and abs(spent / initial - spent / budget) > 0.001:
        p.rate_written = round(spent / initial, 4)
    else:
        p.rate_written = round(p.rate_written + (0.05 if p.rate_written < 0.95 else -0.05), 4)
    p.faults.append("rate_base")


def fault_low_execution(rng: random.Random, p: ProjectPlan) -> None:
    """B005 (and B004 when unexplained): execution under 60%."""
    rate = rng.uniform(0.1, 0.58)
    p.funds.rows = {k: (a0, a, int(a * rate)) for k, (a0, a, _) in p.funds.rows.items()}
    if p.funds.own_level:
        a0, a, _ = p.funds.own_level
        p.funds.own_level = (a0, a, int(a * rate))
    p.rate_written, p.budget_score = written_rate(p.funds)
    for i in p.indicators:
        if i.kind == "cost" and i.name in COST_TOTAL_NAMES:
            i.actual = f"{format_number(p.funds.total[2] / 100)}万元"
    p.faults.append("low_execution")


def fault_big_adjustment(rng: random.Random, p: ProjectPlan) -> None:
    """B007 as 警告: the budget adjusted by more than 10% during the year."""
    p.funds.rows = {k: (int(a * rng.uniform(1.2, 1.6)), a, b) for k, (_, a, b) in p.funds.rows.items()}
    p.faults.append("adjusted")


def fault_overspent(rng: random.Random, p: ProjectPlan) -> None:
    """B003: spent more than the budget."""
    p.funds.rows = {k: (a0, a, int(a * 1.06)) for k, (a0, a, _) in p.funds.rows.items()}
    p.funds.own_level = None
    p.rate_written, p.budget_score = written_rate(p.funds)
    p.faults.append("overspent")


def fault_yuan(rng: random.Random, p: ProjectPlan) -> None:
    """B008: amounts in 元 in a 万元 block (only visible from 10 万元 up: 100,000 "万元")."""
    if p.funds.total[1] < cents(10):
        return
    p.funds.rows = {k: tuple(v * 10000 for v in row) for k, row in p.funds.rows.items()}  # type: ignore[misc]
    if p.funds.own_level:
        p.funds.own_level = tuple(v * 10000 for v in p.funds.own_level)  # type: ignore[assignment]
    p.faults.append("yuan")


def fault_weights(rng: random.Random, p: ProjectPlan) -> None:
    """T010 (and T011): weights add up to 95 instead of 90."""
    i = rng.choice(p.indicators)
    i.weight += 5
    i.score = i.weight if i.score == i.weight - 5 else i.score
    p.faults.append("weights")


def fault_score_above(rng: random.Random, p: ProjectPlan) -> None:
    """T012: a score above the points."""
    i = rng.choice(p.indicators)
    i.score = i.weight + rng.choice((1, 2, 5))
    p.faults.append("score_above")


def fault_deducted(rng: random.Random, p: ProjectPlan) -> None:
    """T015 (and T014): target met, points deducted anyway."""
    i = first_of(p, "quantity", "met") or first_of(p, "percent", "met")
    if i is None:
        return
    i.score = i.weight - rng.choice((1, 2))
    p.faults.append("deducted")


def fault_missed_unexplained(rng: random.Random, p: ProjectPlan) -> None:
    """T006: a target missed by a fifth and no 偏差原因 (the score itself is right)."""
    i = first_of(p, "quantity", "met")
    if i is None or i.goal < 5:
        return
    shown = float(math.floor(i.goal * 0.8))
    i.actual, i.outcome, i.deviation = f"{format_number(shown)}{i.unit}", "missed", ""
    i.score = score_ratio(i.weight, i.goal, shown)
    p.faults.append("missed_unexplained")


def fault_over_unexplained(rng: random.Random, p: ProjectPlan) -> None:
    """T007: 140% of the target and no 偏差原因."""
    i = first_of(p, "percent", "met")
    if i is None or "%" not in i.actual and "％" not in i.actual:
        return
    i.target, i.actual, i.deviation, i.score = "≥60%", "90%", "", i.weight
    p.faults.append("over_unexplained")


def fault_not_measured(rng: random.Random, p: ProjectPlan) -> None:
    """T008: "已完成" or "已完成100%" for a quantity target."""
    i = first_of(p, "quantity")
    if i is None:
        return
    i.actual = rng.choice(("已完成", "完成", "已完成100%", "全部完成"))
    i.score, i.deviation = i.weight, ""
    p.faults.append("not_measured")


def fault_unparseable(rng: random.Random, p: ProjectPlan) -> None:
    """T004: a value no rule can read."""
    i = first_of(p, "quantity")
    if i is None:
        return
    i.actual = rng.choice(("详见附件", "培训3次，参与100人", "见工作总结"))
    p.faults.append("unparseable")


def fault_units(rng: random.Random, p: ProjectPlan) -> None:
    """T005: the actual in another unit than the target (家 vs 人)."""
    i = first_of(p, "quantity")
    if i is None:
        return
    i.target, i.actual = "≥50家", "60人"
    p.faults.append("units")


def fault_blank_value(rng: random.Random, p: ProjectPlan) -> None:
    """T002 or T003: a target or an actual left empty."""
    i = rng.choice(p.indicators)
    if rng.random() < 0.5:
        i.target = ""
    else:
        i.actual = ""
    p.faults.append("blank_value")


def fault_total_score(rng: random.Random, p: ProjectPlan) -> None:
    """S001: 总分 not the sum of the scores."""
    p.total_offset = rng.choice((-5.0, -2.0, 1.0, 3.0))
    p.faults.append("total_score")


def fault_band(rng: random.Random, p: ProjectPlan) -> None:
    """T013: 部分达成 scored at 95%."""
    i = first_of(p, "qualitative")
    if i is None:
        return
    i.actual, i.score, i.deviation = "基本达成", round_half_up(i.weight * 0.95), rng.choice(DEVIATIONS_MISSED)
    p.faults.append("band")


def fault_required(rng: random.Random, p: ProjectPlan) -> None:
    """P001: 主管部门 left empty."""
    p.department = ""
    p.faults.append("required")


def fault_no_achievement(rng: random.Random, p: ProjectPlan) -> None:
    """P002: 实际完成情况 left empty."""
    p.achievement = ""
    p.faults.append("no_achievement")


def fault_narrative(rng: random.Random, p: ProjectPlan) -> None:
    """N001: "近450余万" or "为家企业" in the narrative, as in the seed report."""
    p.achievement += rng.choice(("清退资金近450余万元。", "引导金融机构为家企业提供金融服务。", "共计服务近300余人次。"))
    p.faults.append("narrative")


def fault_year(rng: random.Random, p: ProjectPlan) -> None:
    """F006: last year's form reused, title still says 2020."""
    p.year = YEAR - 1
    p.faults.append("year")


FAULTS = (
    (fault_total_mismatch, 8), (fault_rate_base, 8), (fault_low_execution, 8), (fault_big_adjustment, 6),
    (fault_overspent, 3), (fault_yuan, 2), (fault_weights, 6), (fault_score_above, 4), (fault_deducted, 6),
    (fault_missed_unexplained, 6), (fault_over_unexplained, 5), (fault_not_measured, 6), (fault_unparseable, 3),
    (fault_units, 3), (fault_blank_value, 4), (fault_total_score, 6), (fault_band, 3), (fault_required, 2),
    (fault_no_achievement, 3), (fault_narrative, 4), (fault_year, 2),
)


def inject_faults(rng: random.Random, p: ProjectPlan) -> None:
    """One to three mistakes, weighted by how often they appear on published forms."""
    functions, weights = zip(*FAULTS)
    for fault in rng.choices(functions, weights, k=rng.choice((1, 1, 1, 2, 2, 3))):
        fault(rng, p)


# --- to perfeval.model ------------------------------------------------------------------------

def money(value: int) -> Amount:
    """Hundredths of 万元 -> an ``Amount`` in 万元."""
    return Amount(value / 100, "", f"{value / 100:.2f}")


def points(value: float) -> Amount:
    """Points as an ``Amount``."""
    return Amount(value, "", format_number(value))


def to_project(p: ProjectPlan, file: str, sheet: str) -> Project:
    """The ``Project`` that ``perfeval.template.draw_form`` draws."""
    labels = {"appropriation": "其中：当年财政拨款", "carryover": "上年结转资金", "other": "其他资金"}
    rows = {k: FundsRow(labels[k], *(money(v) for v in row)) for k, row in p.funds.rows.items()}
    total = FundsRow("年度资金总额", *(money(v) for v in p.funds.total))
    own = FundsRow(p.funds.own_label, *(money(v) for v in p.funds.own_level)) if p.funds.own_level else None
    funds = Funds(total=total, appropriation=rows.get("appropriation"), own_level=own, carryover=rows.get("carryover"),
                  other=rows.get("other"), weight=points(BUDGET_POINTS),
                  rate_written=Amount(p.rate_written, "", f"{p.rate_written:.2%}"),
                  score_written=points(p.budget_score))
    indicators = tuple(
        Indicator(level1=i.level1, level2=i.level2, name=i.name, target=Value(text=i.target), actual=Value(text=i.actual),
                  weight=points(i.weight), score_written=points(i.score), deviation=i.deviation)
        for i in p.indicators)
    total_written = p.total_written
    return Project(file=file, sheet=sheet, name=p.name, code=p.code, department=p.department,
                   implementer=p.implementer, year=p.year, goal=p.goal, achievement=p.achievement, funds=funds,
                   indicators=indicators, total_written=Amount(total_written, "", f"{total_written:.2f}"),
                   project_type=p.project_type, fund_use=p.fund_use, filler=p.filler, phone=p.phone)


# --- layout variants, applied to the drawn sheet ------------------------------------------------

SYNONYMS = {
    "D5": ("调整后预算数", "预算数", "全年预算数（A）"), "E5": ("预算执行数", "执行数", "全年执行数（B）"),
    "C5": ("年初预算",), "F5": ("权重",), "G5": ("执行率（B/A）", "预算执行率"),
    "E13": ("指标值", "年度指标值（A）", "年初目标值"), "F13": ("完成值", "实际完成值（B）", "全年实际值"),
    "G13": ("权重",), "I13": ("未完成原因分析", "偏差原因", "未完成原因分析及改进措施"),
    "A3": ("项目 名称", "项目名称："), "A4": ("主管部门及代码", "预算部门"), "F4": ("实施单位（盖章）", "项目实施单位"),
}


def use_synonyms(ws, rng: random.Random) -> None:
    """Labels as other provinces print them (FORM.md §2)."""
    for ref, words in SYNONYMS.items():
        if rng.random() < 0.5:
            ws[ref].value = rng.choice(words)
    if rng.random() < 0.3:
        ws["B11"].value, ws["F11"].value = "年度目标", "年度目标完成情况"


def declare_points(ws, project: Project) -> None:
    """"产出指标（50分）", "绩效指标（90分）" in the headers: declared weights the rows must match."""
    sums: dict[str, float] = {}
    for i in project.indicators:
        sums[i.level1] = sums.get(i.level1, 0.0) + (i.weight.value or 0.0)
    seen = set()
    for offset, i in enumerate(project.indicators):
        if i.level1 in seen:
            continue
        seen.add(i.level1)
        ws[f"B{FIRST_INDICATOR_ROW + offset}"].value = f"{i.level1}（{format_number(sums[i.level1])}分）"
    ws["A13"].value = f"绩效指标（{format_number(sum(sums.values()))}分）"


def add_signatures(ws, project: Project) -> None:
    """项目负责人 / 财务负责人 / 填报日期 under the form: the reader ignores them."""
    row = FIRST_INDICATOR_ROW + len(project.indicators) + 4
    ws[f"A{row}"].value = "项目负责人："
    ws[f"D{row}"].value = "财务负责人："
    ws[f"G{row}"].value = "填报日期：2022年2月"


def add_attachment_sheet(wb: Workbook, project: Project) -> None:
    """An extra sheet some units keep in the workbook (a funds breakdown): not a form, ignored."""
    ws = wb.create_sheet("资金明细")
    ws.append(["支出事项", "金额（万元）", "备注"])
    total = project.funds.total.actual.value or 0.0
    for k, part in enumerate((0.5, 0.3, 0.2)):
        ws.append([f"支出事项{k + 1}", round(total * part, 2), ""])


# --- files ----------------------------------------------------------------------------------

@dataclass
class UnitPlan:
    """A budget unit: its name, where its files go, and its forms."""

    name: str
    department: str
    district_short: str
    own_level: str
    code: str
    sector: Sector
    folder: str  # relative to OUTDIR, "" for the top level
    filler: str
    phone: str
    size: int


@dataclass(frozen=True)
class FileTask:
    """One workbook to write: which unit, which form number(s), and the seed of its content."""

    unit_index: int
    number: int  # the unit's form number of the first project
    projects: int  # forms in the workbook (usually 1)
    key: str  # the RNG seed of this file
    duplicate: bool = False  # the same workbook sent a second time


PLACES = ("东风", "望月湖", "洪山", "四方坪", "伍家岭", "新河", "清水塘", "月湖", "捞刀河", "青竹湖", "湘雅路", "浏阳河",
          "文昌阁", "东塘", "桂花", "金盆岭", "砂子塘", "城关", "城南", "城北", "河西", "江东", "新城", "白马", "黄花",
          "石门", "高桥", "龙泉", "青山", "长岭", "双河", "梅溪", "杨柳", "凤凰", "金星", "麓谷", "观沙岭", "望城坡")


def plan_units(n: int, seed: int) -> list[UnitPlan]:
    """Units of 3 to 40 projects each, in the districts, until ``n`` forms are planned."""
    rng = random.Random(f"{seed}/units")
    units: list[UnitPlan] = []
    taken: set[str] = set()
    left = n
    while left > 0:
        city, district, code, own_level = rng.choice(DISTRICTS)
        sector = rng.choice(SECTORS)
        if rng.random() < 0.3:
            name, department = f"{city}{district}{sector.agency}", f"{city}{district}人民政府"
        else:
            place = rng.choice(("",) + PLACES)
            name = f"{city}{district}{place}{rng.choice(sector.subordinates)}"
            department = f"{city}{district}{sector.agency}"
        if name in taken:
            continue
        taken.add(name)
        size = min(left, max(3, min(40, int(rng.lognormvariate(math.log(15), 0.6)))))
        left -= size
        where = rng.random()
        folder = f"{district}/{name}" if where < 0.7 else (name if where < 0.95 else "")
        units.append(UnitPlan(name, department, district, own_level, f"{code}{len(units):03d}", sector, folder,
                              rng.choice(FILLERS), f"0{rng.randint(100, 999)}-{rng.randint(1000000, 9999999)}", size))
    return units


def plan_files(units: list[UnitPlan], n: int, seed: int) -> list[FileTask]:
    """Exactly ``n`` workbooks: mostly one form each, a few holding two or three, and about one in 200
    sent twice (the same file again as "…(1).xlsx", F004)."""
    rng = random.Random(f"{seed}/files")
    tasks: list[FileTask] = []
    for u_index, unit in enumerate(units):
        number = 1
        while number <= unit.size and len(tasks) < n:
            if number > 1 and rng.random() < 0.005:
                tasks.append(replace(tasks[-1], duplicate=True))
                continue
            together = 1
            if unit.size - number >= 2 and rng.random() < 0.03:
                together = rng.choice((2, 3))
            tasks.append(FileTask(u_index, number, together, f"{seed}/{u_index}/{number}"))
            number += together
    return tasks


def project_rng(task: FileTask, k: int) -> random.Random:
    """The RNG of the k-th project of a file: depends on the seed and position only."""
    return random.Random(f"{task.key}/{k}")


def file_name(unit: UnitPlan, project: ProjectPlan, number: int, rng: random.Random) -> str:
    """A name as staff save them: "03_学生资助专项经费.xlsx", "项目支出绩效自评表（教师培训）.xlsx" …"""
    stem = project.name.replace("（", "").replace("）", "")
    style = rng.random()
    if style < 0.5:
        name = f"{number:02d}_{stem}"
    elif style < 0.75:
        name = f"{stem}绩效自评表"
    elif style < 0.9:
        name = f"项目支出绩效自评表（{stem}）"
    else:
        name = f"{project.code}-{stem}"
    return f"{name}.xlsx"


def build_file(task: FileTask, unit: UnitPlan) -> tuple[str, Workbook, list[ProjectPlan]]:
    """The workbook of one task, in memory: its relative path, the drawn workbook and its plans."""
    plans = []
    for k in range(task.projects):
        rng = project_rng(task, k)
        plan = plan_project(rng, unit, task.number + k)
        if rng.random() < FAULT_SHARE:
            inject_faults(rng, plan)
        plans.append(plan)
    rng = random.Random(f"{task.key}/layout")
    wb = Workbook()
    for k, plan in enumerate(plans):
        ws = wb.active if k == 0 else wb.create_sheet()
        ws.title = FORM_SHEET if len(plans) == 1 else f"{FORM_SHEET}{k + 1}"
        if rng.random() < 0.05:
            plan.name = f"{plan.code}-{plan.name}"  # FORM.md §2 variant 4: a code before the name
        project = to_project(plan, "", ws.title)
        draw_form(ws, project, plan.year)
        if rng.random() < 0.15:
            use_synonyms(ws, rng)
        if rng.random() < 0.10:
            declare_points(ws, project)
        if rng.random() < 0.20:
            add_signatures(ws, project)
    add_guide(wb, FORM_GUIDE)
    if rng.random() < 0.05:
        add_attachment_sheet(wb, to_project(plans[0], "", ""))
    name = file_name(unit, plans[0], task.number, rng)
    if not unit.folder:  # several units share the top level: keep their names apart
        name = f"{unit.name}_{name}"
    relative = "/".join(filter(None, (unit.folder, name)))
    return relative, wb, plans


def unit_info(unit: UnitPlan, rng: random.Random) -> UnitInfo:
    """The unit's 单位情况: narrative paragraphs as finance staff write them."""
    return UnitInfo(
        name=unit.name, year=YEAR, department=unit.department, own_level_name=unit.own_level,
        funds_management=(f"我单位项目资金由{unit.district_short}财政局按照预算批复及时拨付，严格执行《{unit.district_short}"
                          f"财政专项资金管理办法》，专款专用，实行项目负责人和财务负责人双审制度，资金支付按照国库集中支付"
                          f"规定执行。"),
        evaluation_work=("根据区财政局关于开展2021年度项目支出绩效自评工作的通知，我单位成立了由主要负责人任组长的绩效"
                         "自评工作领导小组，由财务室牵头，各业务科室对照年初绩效目标逐项开展自评，形成自评报告。"),
        problems=rng.choice(("1、部分项目预算执行进度偏慢，年底集中支付现象仍然存在；\n2、个别绩效指标设置不够细化，"
                             "可衡量性不强。", "1、绩效目标设置的科学性有待提高；\n2、项目实施进度与资金支付进度不够匹配。")),
        suggestions=rng.choice(("1、加强预算执行进度管理，按月通报执行情况；\n2、进一步细化量化绩效指标。",
                                "1、提前谋划项目，加快前期工作；\n2、加强绩效运行监控，及时纠偏。")),
        other_notes="无", contact=unit.filler, phone=unit.phone, report_date="2022年3月1日")


def write_unit_file(path: Path, unit: UnitPlan, rng: random.Random) -> None:
    """单位情况.xlsx for one unit (``perfeval.template.write_unit_sheet``'s layout)."""
    wb = Workbook()
    ws = wb.active
    ws.title = UNIT_SHEET
    draw_unit_sheet(ws, unit_info(unit, rng), YEAR)
    add_guide(wb, UNIT_GUIDE)
    save_workbook(wb, path, title=UNIT_SHEET)


# --- the batch --------------------------------------------------------------------------------

_STATE: dict[str, object] = {}


def _init_worker(outdir: str, units: list[UnitPlan]) -> None:
    _STATE["outdir"], _STATE["units"] = Path(outdir), units


def write_task(task: FileTask) -> tuple[str, int, list[str]]:
    """Write one workbook (in a worker): its relative path, forms held, and the faults injected."""
    outdir: Path = _STATE["outdir"]  # type: ignore[assignment]
    units: list[UnitPlan] = _STATE["units"]  # type: ignore[assignment]
    unit = units[task.unit_index]
    relative, wb, plans = build_file(task, unit)
    faults = [f for p in plans for f in p.faults]
    if task.duplicate:
        stem, _, suffix = relative.rpartition(".")
        relative, faults = f"{stem}(1).{suffix}", ["duplicate"]
    save_workbook(wb, outdir / relative, title=FORM_SHEET)
    return relative, len(plans), faults


def write_extras(outdir: Path, units: list[UnitPlan], seed: int) -> int:
    """单位情况.xlsx per unit, and the clutter of a real inbox: lock files and notes (skipped by perfeval)."""
    rng = random.Random(f"{seed}/extras")
    written = 0
    for unit in units:
        folder = outdir / unit.folder
        folder.mkdir(parents=True, exist_ok=True)
        name = "单位情况.xlsx" if unit.folder else f"单位情况_{unit.name}.xlsx"
        write_unit_file(folder / name, unit, rng)
        written += 1
        if rng.random() < 0.05:
            (folder / "~$单位情况.xlsx").write_bytes(b"\x05" + "王芳".encode("utf-16-le").ljust(53, b"\x20") + b"\x00" * 111)
        if rng.random() < 0.05:
            (folder / "报送说明.txt").write_text(f"{unit.name}2021年度绩效自评材料，联系人{unit.filler}。\n", encoding="utf-8")
    return written


def find_office() -> str | None:
    """The LibreOffice command line, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_with_office(outdir: Path, written: dict[str, list[str]], seed: int, office: str) -> dict[str, int]:
    """Save some workbooks as .xls and re-save others as .xlsx through LibreOffice, as files that went
    through Excel or WPS look; ``written`` is updated with the new names. Returns the counts."""
    rng = random.Random(f"{seed}/office")
    plan: list[tuple[str, str]] = []  # (relative path, target format)
    for relative in written:
        r = rng.random()
        if r < XLS_SHARE:
            plan.append((relative, "xls"))
        elif r < XLS_SHARE + RESAVED_SHARE:
            plan.append((relative, "xlsx"))
    counts = {"xls": 0, "xlsx": 0}
    with tempfile.TemporaryDirectory(prefix="perfeval-bench-office-") as work:
        staging, converted = Path(work) / "in", Path(work) / "out"
        for target in ("xls", "xlsx"):
            items = [(k, relative) for k, (relative, t) in enumerate(plan) if t == target]
            for start in range(0, len(items), OFFICE_BATCH):
                batch = items[start:start + OFFICE_BATCH]
                shutil.rmtree(staging, ignore_errors=True)
                shutil.rmtree(converted, ignore_errors=True)
                staging.mkdir()
                for k, relative in batch:  # unique flat names: soffice writes every output into one folder
                    shutil.copyfile(outdir / relative, staging / f"{k:06d}.xlsx")
                fmt = "xls" if target == "xls" else 'xlsx:Calc MS Excel 2007 XML'
                subprocess.run([office, f"-env:UserInstallation=file://{work}/profile", "--headless", "--convert-to",
                                fmt, "--outdir", str(converted), *sorted(str(p) for p in staging.iterdir())],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1800, check=False)
                for k, relative in batch:
                    result = converted / f"{k:06d}.{target}"
                    if not result.is_file():
                        continue  # not converted: the openpyxl original stays
                    source = outdir / relative
                    new_relative = relative[: -len(".xlsx")] + f".{target}"
                    shutil.move(result, outdir / new_relative)
                    if new_relative != relative:
                        source.unlink()
                        written[new_relative] = written.pop(relative)
                    counts[target] += 1
    return counts


def generate(n: int, outdir: Path, seed: int = 2021, jobs: int | None = None, quiet: bool = False,
             office: bool = True) -> dict:
    """Write the batch into ``outdir`` (emptied first) and a marker describing it; return the marker.
    With ``office`` (and LibreOffice installed) some workbooks are converted to .xls or re-saved.
    Only an empty folder or an earlier batch (one with the marker) is emptied: anything else is an error."""
    started = time.perf_counter()
    if outdir.exists():
        if any(outdir.iterdir()) and not (outdir / MARKER).is_file():
            raise SystemExit(f"{outdir} 不是空文件夹，也不是 generate.py 生成的批次，不会清空它；请换一个文件夹")
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)
    units = plan_units(int(n * 1.1) + 10, seed)
    tasks = plan_files(units, n, seed)
    units = units[: max(t.unit_index for t in tasks) + 1]
    for unit in units:
        (outdir / unit.folder).mkdir(parents=True, exist_ok=True)
    jobs = jobs or os.cpu_count() or 1
    written: dict[str, list[str]] = {}
    forms = 0
    faulty = 0
    fault_counts: dict[str, int] = {}
    with multiprocessing.get_context("fork").Pool(jobs, _init_worker, (str(outdir), units)) as pool:
        for k, (relative, count, faults) in enumerate(pool.imap(write_task, tasks, chunksize=16), start=1):
            written[relative] = faults
            forms += count
            faulty += bool(faults)
            for f in faults:
                fault_counts[f] = fault_counts.get(f, 0) + 1
            if not quiet and k % 500 == 0:
                print(f"  {k}/{len(tasks)} 个工作簿", file=sys.stderr)
    extras = write_extras(outdir, units, seed)
    soffice = find_office() if office else None
    converted = convert_with_office(outdir, written, seed, soffice) if soffice else {"xls": 0, "xlsx": 0}
    marker = {"generator": GENERATOR_VERSION, "n": n, "seed": seed, "workbooks": len(written), "forms": forms,
              "unit_files": extras, "units": len(units), "faulty_workbooks": faulty,
              "xls": converted["xls"], "resaved_by_office": converted["xlsx"],
              "faults": dict(sorted(fault_counts.items())),
              "seconds": round(time.perf_counter() - started, 1)}
    (outdir / MANIFEST).write_text(json.dumps(written, ensure_ascii=False, indent=0), encoding="utf-8")
    (outdir / MARKER).write_text(json.dumps(marker, ensure_ascii=False, indent=1), encoding="utf-8")
    return marker


def main(argv: list[str] | None = None) -> int:
    """Command line: ``generate.py N OUTDIR [--seed S] [--jobs J]``."""
    parser = argparse.ArgumentParser(description="生成用于性能测试的项目支出绩效自评表批次")
    parser.add_argument("n", type=int, help="自评表工作簿数量")
    parser.add_argument("outdir", type=Path, help="输出文件夹（会先清空）")
    parser.add_argument("--seed", type=int, default=2021, help="随机种子（相同种子生成相同内容）")
    parser.add_argument("--jobs", type=int, default=None, help="并行进程数（默认 CPU 核数）")
    parser.add_argument("--no-office", action="store_true",
                        help="不用 LibreOffice 转换部分文件为 .xls 或重新保存（未安装 LibreOffice 时自动跳过）")
    args = parser.parse_args(argv)
    marker = generate(args.n, args.outdir, args.seed, args.jobs, office=not args.no_office)
    print(json.dumps(marker, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
