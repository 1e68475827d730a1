"""Build the bundled example: the seed unit's five 2021 projects as filled 自评表 workbooks.

The seed is a district 金融事务中心's 2021 self-evaluation report (238.80 万元 budget, 114.35 万元
spent). Goals come from its §一（二）, achievements from §三, the funds from its 资金概况 table, the
unit narrative from §一（三）, §二, §四 and §五 — verbatim, slips included (“近450余万”, “为家企业”),
because perfeval must find them. Targets the seed states without numbers are given qualitative
indicators; the 司法鉴定 project misses its 2021 targets, as the seed says.

Run ``python examples/seed-2021/build_examples.py`` to rewrite the workbooks next to this file.
"""

from __future__ import annotations

import re
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from perfeval.model import Amount, Funds, FundsRow, Indicator, Project, UnitInfo, Value
from perfeval.template import FORM_SHEET, UNIT_FILE, write_form, write_unit_sheet

HERE = Path(__file__).resolve().parent
YEAR = 2021
DEPARTMENT = "长沙市开福区人民政府"
IMPLEMENTER = "长沙市开福区金融事务中心"
OWN_LEVEL_LABEL = "其中：区级资金"
BUDGET_POINTS = 10.0
FILLER = "文琼"
PHONE = "0731-00000000"

OUTPUT, EFFECT, SATISFACTION = "产出指标", "效益指标", "满意度指标"
SATISFIED = (SATISFACTION, "服务对象满意度指标", "服务对象满意度", "≥90%", "95%", 10, 10)

FORENSIC_DELAY = "本项目是计划2021年及2022年度内完成的指标，2021年还只完成招标部分，具体鉴定工作在2022年完成"

# (一级, 二级, 三级, 年度指标值, 实际完成值, 分值, 得分[, 偏差原因分析及改进措施])
PROJECTS = (
    {
        "name": "（公共）打击和处置非法集资专项工作经费",
        "fund_use": "用于维护打非领导小组及成员中心工作运转",
        "budget": 81.20, "actual": 40.88,
        "goal": "主要联合成员中心做好区域内防非处非工作，年度内计划组织辖区内40家成员单位召开防范化解涉众型"
                "非法经营活动稳定风险联席会议；制定《开福区涉众型非法经营活动稳定风险排查整治行动方案》等文件；"
                "制定了“两节”宣传、第9个集中宣传月等专项宣传活动方案，计划组织大型宣传活动50次、“七进”集中宣讲"
                "活动750次；继续聚焦万达广场“一非三贷”巡视整改突出问题“回头看”工作，持续开展整治；组织“防范"
                "非法集资知识答题团队争霸赛”抢答赛；号召干部职工（1490余人）积极参加“防范非法集资知识答题团队"
                "争霸赛”进行答题（共计得分13.41万分），为省级排名贡献助力。",
        "achievement": "年度内共组织40余家成员单位召开了2021年防范化解涉众型非法经营活动稳定风险联席会议(第一次会议)，"
                       "制定了《关于建立长沙市开福区防范化解涉众型非法经营活动稳定风险联席会议制度的通知》、《开福区涉众型"
                       "非法经营活动稳定风险排查整治行动方案》等文件，就如何更好开展全年工作、专项治理行动等进行了部署；"
                       "制定了“两节”宣传、第9个集中宣传月等专项宣传活动方案。2021年度，开展大型集中宣传活动60余次，参与"
                       "群众6300余人；“七进”集中宣讲活动792次，参与群众3.47万人次；聚焦万达广场“一非三贷”巡视整改突出"
                       "问题“回头看”工作，持续开展整治，并制定了《关于在全区推广“万达新模式”进一步健全防范和处置非法集资"
                       "工作长效机制的通知》文件，建立了高效运行的工作长效机制，有效推广了优秀工作经验。",
        "indicators": (
            (OUTPUT, "数量指标", "大型集中宣传活动", "≥50次", "60余次", 15, 15),
            (OUTPUT, "数量指标", "“七进”集中宣讲活动", "≥750次", "792次", 15, 15),
            (OUTPUT, "数量指标", "召开联席会议的成员单位", "40家", "40余家", 10, 10),
            (OUTPUT, "时效指标", "专项宣传活动完成时间", "2021年12月底前", "按时完成", 10, 10),
            (EFFECT, "社会效益指标", "群众防范非法集资意识", "有效提升", "有效提升", 15, 15),
            (EFFECT, "可持续影响指标", "防非处非工作长效机制", "建立健全", "已完成，建立了高效运行的工作长效机制", 15, 15),
            SATISFIED,
        ),
    },
    {
        "name": "（部门）打击和处置非法集资工作经费",
        "fund_use": "用于防范化解区域内金融风险",
        "budget": 27.10, "actual": 27.10,
        "goal": "主要用于防范化解区域内金融风险，年度内本单位计划组织发放宣传手册及制品6.5万份，公益广告宣传6000次，"
                "发送警示短信4万条；排查非法集资风险隐患。",
        "achievement": "本年度共发放宣传手册及制品6.76万份，公益广告宣传6050余次，发送警示短信4.53万余条；紧盯考核指标。"
                       "提前化解非法集资风险隐患10起（其中资金清退类7起、暂未吸资类3起），清退资金近450余万，力争全面完成"
                       "“打早打小”考核工作任务，目前我区暂无新增非吸案件；借助各种新兴媒介载体，如：微博、微信、网站、抖音、"
                       "快手等进行网络宣传，共计发布原创作品32篇，媒体宣传报道52次，自媒体宣传700余次，累计获得点击量、"
                       "阅读量、转发量7.31万余次，有效互动宣传覆盖人数5.92万余人；发放宣传手册及制品6.76万份，公益广告"
                       "宣传6050余次，发送警示短信4.53万余条；呼吁市民关注“长沙打非专线”、“湖南金融”等微信公众号，普及"
                       "相关防非处非政策，强化《防非和处置非法集资条例》的宣传引导。",
        "indicators": (
            (OUTPUT, "数量指标", "发放宣传手册及制品", "6.5万份", "6.76万份", 15, 15),
            (OUTPUT, "数量指标", "公益广告宣传", "6000次", "6050余次", 15, 15),
            (OUTPUT, "数量指标", "发送警示短信", "4万条", "4.53万余条", 10, 10),
            (OUTPUT, "质量指标", "非法集资风险隐患排查", "全面排查", "已完成全面排查", 10, 10),
            (EFFECT, "社会效益指标", "新增非法吸收公众存款案件", "0起", "0起", 15, 15),
            (EFFECT, "社会效益指标", "群众防范非法集资意识", "有效提升", "有效提升", 15, 15),
            SATISFIED,
        ),
    },
    {
        "name": "金融产业培育经费",
        "fund_use": "用于区内金融产业培育工作",
        "budget": 22.50, "actual": 22.50,
        "goal": "主要做好区内金融产业培育工作，年度内本单位计划教育培训企业200家、咨询服务企业300家、影视传媒企业120家、"
                "电子商务企业500家、房地产企业120家、医疗美容健康企业240家，其他行业企业900家，对风险控制不足、缺乏"
                "持续经营能力的企业，采取加强培训及责令整改相结合的方式进行培育；对有融资需求的企业开展“惠企暖风行动”、"
                "“党建引领、助力千企行动”；对接招商银行、农业银行、台湾合作金库银行等在化解房地产风险、涉农贷款、政府性"
                "债券等方面给予支持；计划培育区内一家企业上市。",
        "achievement": "本年度由街道专班组织本辖区风险排查，实施“一地一方案”的精准排查，针对全区各领域非法经营活动风险隐患"
                       "开展排查整治行动。全年，我区共计上门摸排企业2906家，其中，重点摸排各类投融资类188家、养老企业37家、"
                       "文化旅游企业79家、农林业企业41、教育培训企业237家、咨询服务企业326家、影视传媒企业140家、电子商务"
                       "企业514家、房地产企业124家、医疗美容健康企业262家，其他行业企业958家，对风险控制不足、缺乏持续经营"
                       "能力的企业，采取责令整改，共计下达责令整改通知14次；全年共组织14场银企对接会，引导50余家金融机构为"
                       "300余家企业提供金融服务，宣讲金融惠企政策；联合14家金融机构开展“百优行长进百企”融资对接活动，了解"
                       "企业需求，缓解融资困境；对16家有融资需求的企业开展“惠企暖风行动”、“党建引领、助力千企行动”；对接"
                       "招商银行、农业银行、台湾合作金库银行等在化解房地产风险、涉农贷款、政府性债券等方面给予支持。",
        "indicators": (
            (OUTPUT, "数量指标", "摸排培育教育培训企业", "200家", "237家", 7, 7),
            (OUTPUT, "数量指标", "摸排培育咨询服务企业", "300家", "326家", 7, 7),
            (OUTPUT, "数量指标", "摸排培育影视传媒企业", "120家", "140家", 7, 7),
            (OUTPUT, "数量指标", "摸排培育电子商务企业", "500家", "514家", 7, 7),
            (OUTPUT, "数量指标", "摸排培育房地产企业", "120家", "124家", 7, 7),
            (OUTPUT, "数量指标", "摸排培育医疗美容健康企业", "240家", "262家", 7, 7),
            (OUTPUT, "数量指标", "摸排培育其他行业企业", "900家", "958家", 8, 8),
            (EFFECT, "经济效益指标", "企业融资困境", "有效缓解", "有效缓解", 15, 15),
            (EFFECT, "社会效益指标", "非法经营活动风险隐患排查整治", "全面排查整治",
             "已完成，实施“一地一方案”精准排查", 15, 15),
            SATISFIED,
        ),
    },
    {
        "name": "金融监管工作经费",
        "fund_use": "用于金融行业监管工作",
        "budget": 22.50, "actual": 22.50,
        "goal": "做好金融行业监管工作，年度内本单位计划组织10场银企对接会，引导辖区内金融机构为家企业提供金融服务，宣讲"
                "金融惠企政策；计划在辖区内的16个街道建立起防非处非工作专班，组建以区级专班为统领，街道专班齐抓共管，信息"
                "互通的常态化预警模式。街道专班组织本辖区实施“一地一方案”的精准排查。",
        "achievement": "全区以辖区街道为单位建立起16个防非处非工作专班，并组建了以区级专班为统领，街道专班齐抓共管，信息互通"
                       "的常态化预警模式；会同辖区内的长沙银行、华融湘江银行、交通银行等十余家银行机构联合开展了宣传活动，引导"
                       "市民理性投资，树立正确理财观念，警惕非法集资陷阱。",
        "indicators": (
            # 14 of 10 is 140% of target, and the form gives no reason: perfeval must warn (T007).
            (OUTPUT, "数量指标", "银企对接会", "≥10场", "14场", 20, 20),
            (OUTPUT, "数量指标", "防非处非工作专班", "16个", "16个", 20, 20),
            (OUTPUT, "质量指标", "常态化预警模式", "建立区街两级常态化预警模式",
             "已完成，组建以区级专班为统领、街道专班齐抓共管、信息互通的常态化预警模式", 10, 10),
            (EFFECT, "社会效益指标", "市民理性投资意识", "有效提升", "有效提升", 15, 15),
            (EFFECT, "可持续影响指标", "防非处非工作机制", "长效运行", "效果明显", 15, 15),
            SATISFIED,
        ),
    },
    {
        "name": "打非案件司法鉴定中介费",
        "fund_use": "用于打非案件鉴定工作",
        "budget": 85.50, "actual": 1.37,
        "goal": "主要作用于做好打非案件鉴定工作；单位计划今年到2022年通过招投标方式聘请专业的司法鉴定机构对打非案件进行"
                "鉴定，防范化解区域内金融风险。",
        "achievement": FORENSIC_DELAY + "。",
        "indicators": (
            (OUTPUT, "数量指标", "司法鉴定服务招标", "1次", "1次", 20, 20),
            (OUTPUT, "质量指标", "打非案件司法鉴定", "完成年度鉴定任务", "部分达成，招标工作已结束，鉴定工作跨年度实施",
             15, 10, FORENSIC_DELAY + "；下一步督促鉴定机构按合同约定时限完成鉴定。"),
            (OUTPUT, "时效指标", "鉴定工作完成时间", "2021年12月底前", "鉴定工作2022年完成", 15, 5,
             FORENSIC_DELAY + "；2022年加快鉴定进度，按进度支付资金。"),
            (EFFECT, "社会效益指标", "为打非案件处置提供鉴定依据", "有效支撑", "部分达成，鉴定工作跨年度实施", 30, 21,
             "具体鉴定工作在2022年完成，鉴定结果尚未形成；鉴定完成后及时用于案件处置。"),
            (SATISFACTION, "服务对象满意度指标", "服务对象满意度", "≥90%", "90%", 10, 10),
        ),
    },
)

UNIT = UnitInfo(
    name=IMPLEMENTER,
    year=YEAR,
    department=DEPARTMENT,
    own_level_name="区级",
    funds_management=(
        "我中心的项目资金由开福区政府根据《开福区金融办打非专项经费（公共部分）管理办法》、《（部门）打击和处置非法集资"
        "工作经费管理办法》、《金融产业培育经费管理办法》、《金融监管工作经费管理办法》、《打非案件司法鉴定经费管理办法》"
        "等相关规定每年从预算资金中拨付给我中心，由我中心按照资金使用的有关规定进行统筹支配。今年，区政府向我中心共拨付"
        "专项资金114.35万元，我中心按照既定的资金使用规定执行，由文琼同志主要负责项目资金的统筹支配，按《关于进一步健全"
        "打击和处置非法集资工作领导机构和工作机制的通知》、三定文件及相关工作开展需求等既定标准，将资金拨付给街道、社区等"
        "相应部门，用于区域内防非处非工作、区内金融产业培育、防范化解区域内金融风险等相关工作；由文琼同志主要负责对各项目"
        "的实施情况进行跟踪。"),
    evaluation_work=(
        "我中心根据绩效自评相关文件精神，由办公室牵头制定本中心的绩效自评标准及评价指标体系建设，各科室根据自身情况提交"
        "各科室自评报告及评分，办公室根据各科室的自评报告及评分完善并向区财政局报告本中心的绩效自评报告。"),
    problems="\n".join((
        "1、“打早打小”受制约。随着金融改革步伐加快，产品不断创新，衍生出的新型金融行为、融资模式，街道、社区等基层工作"
        "人员无法及时甄别。若没有当事人投诉、举报，在当前优化营商环境大背景下，基层工作人员无法深入到企业检查了解其运营"
        "模式、资金来源等关键信息。在排查的过程中有大部分企业采取规避的手段，不愿提供企业内部的信息情况，避重就轻的行为"
        "较为明显，甚至有在表明来意的情况下拒不让进门的情形；",
        "2、案件侦办移诉时间跨度长。非吸案件涉及行业领域广，涉案人群数量众多，作案手段多样，隐蔽性较强，给破案侦办带来了"
        "难度。再加上案件查处从受案、立案、侦办、抓捕、移送、审批、处置等司法程序繁多，办结周期短则半年，长则一两年；",
        "3、行业监管有短板。区金融事务中心属于事业单位，没有行政手段职能，监管力量薄弱，具有专业知识储备和金融监管经验的"
        "人才缺乏。同时，根据工作职能职责，中心仅对有省局颁发行业许可证的小贷、典当及融担公司进行例行检查和监管工作，其他"
        "类金融企业仅排查是否存在非法集资风险隐患，若没有群众投诉举报，无法进一步核实其背后非法集资隐患。",
    )),
    suggestions="\n".join((
        "1、强化宣传教育。一方面，动员辖区各金融机构做好全区面上防范金融风险宣传教育，组织各成员单位打非线上工作人员适时"
        "开展业务培训，提高识别风险的业务能力。另一方面，街道将防非宣教工作抓在日常、融入平常，持续开展“四重七进”宣传，"
        "充分利用辖区企事业单位、楼宇、商场等公共宣传媒介，循环刊播风险提示，提高居民防范意识。",
        "2、强化排查整治。一方面抓好群防群治。各楼宇警示牌张贴涉非线索奖励办法、公布辖区举报电话，发动群众检举揭发非法"
        "金融活动。督促物业管理方全力配合街道开展相关工作，要求物业管理方与入驻企业签订责任书，企业书面承诺不违规违法开展"
        "经营活动。另一方面做好摸底排查。各街道要成立专门工作排查组，在原有的地毯式摸排基础上做到每月一巡查，准确摸清风险"
        "隐患点。",
        "3、强化案件查办。公安部门继续加大非法集资等涉众型经济案件侦办打击力度，遏制案件高发态势，消化存量风险。",
    )),
    other_notes="无",
    contact=FILLER,
    phone=PHONE,
    report_date="2022年3月1日",
)


def round_half_up(number: float, places: int = 2) -> float:
    """Round as the scoring rules do (ROUND_HALF_UP), not as Python's banker's rounding."""
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(str(number)).quantize(quantum, rounding=ROUND_HALF_UP))


def money(value: float) -> Amount:
    """An amount in 万元 as the form shows it."""
    return Amount(value, "", f"{value:.2f}")


def make_funds(budget: float, actual: float) -> Funds:
    """The funds block: all of it 当年财政拨款 from the district (区级资金); no carry-over, no other funds."""
    row = FundsRow("年度资金总额", money(budget), money(budget), money(actual))
    appropriation = FundsRow("其中：当年财政拨款", money(budget), money(budget), money(actual))
    own_level = FundsRow(OWN_LEVEL_LABEL, money(budget), money(budget), money(actual))
    rate = actual / budget
    return Funds(total=row, appropriation=appropriation, own_level=own_level,
                 weight=Amount(BUDGET_POINTS, "", "10"),
                 rate_written=Amount(round_half_up(rate, 4), "", f"{rate:.2%}"),
                 score_written=Amount(round_half_up(BUDGET_POINTS * min(rate, 1.0)), "", ""))


def make_indicator(spec: tuple) -> Indicator:
    """An ``Indicator`` from (一级, 二级, 三级, 指标值, 完成值, 分值, 得分[, 偏差原因])."""
    level1, level2, name, target, actual, weight, score, *deviation = spec
    return Indicator(level1=level1, level2=level2, name=name, target=Value(text=target),
                     actual=Value(text=actual), weight=Amount(float(weight), "", str(weight)),
                     score_written=Amount(float(score), "", str(score)),
                     deviation=deviation[0] if deviation else "")


def make_project(number: int, spec: dict) -> Project:
    """One project of the seed as a filled form would hold it."""
    funds = make_funds(spec["budget"], spec["actual"])
    indicators = tuple(make_indicator(row) for row in spec["indicators"])
    total = round_half_up(funds.score_written.value + sum(i.score_written.value for i in indicators))
    return Project(
        file=form_filename(number, spec["name"]), sheet=FORM_SHEET, name=spec["name"],
        department=DEPARTMENT, implementer=IMPLEMENTER, year=YEAR, goal=spec["goal"],
        achievement=spec["achievement"], funds=funds, indicators=indicators,
        total_written=Amount(total, "", f"{total:.2f}"), project_type="经常性",
        fund_use=spec["fund_use"], filler=FILLER, phone=PHONE)


def build_projects() -> list[Project]:
    """The seed unit's five 2021 projects."""
    return [make_project(number, spec) for number, spec in enumerate(PROJECTS, start=1)]


def safe_name(text: str, limit: int = 60) -> str:
    """A file name part that is safe on Windows: no brackets, separators, reserved characters or spaces."""
    cleaned = re.sub(r'[（）()【】\[\]<>:"/\\|?*\s\x00-\x1f]', "", text).strip(". ")
    return cleaned[:limit] or "项目"


def form_filename(number: int, name: str) -> str:
    """"01_公共打击和处置非法集资专项工作经费.xlsx"."""
    return f"{number:02d}_{safe_name(name)}.xlsx"


def write_examples(outdir: Path = HERE) -> list[Path]:
    """Write the five forms and 单位情况.xlsx into ``outdir``; return the paths written."""
    outdir = Path(outdir)
    written = []
    for project in build_projects():
        path = outdir / project.file
        write_form(path, project, YEAR)
        written.append(path)
    unit_path = outdir / UNIT_FILE
    write_unit_sheet(unit_path, UNIT, YEAR)
    written.append(unit_path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: optional output folder (default: next to this script)."""
    args = sys.argv[1:] if argv is None else argv
    for path in write_examples(Path(args[0]) if args else HERE):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
