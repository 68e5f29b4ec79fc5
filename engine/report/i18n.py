"""The words of the reports in English and in Chinese (报告用语), and how numbers are shown.

English text is the key; :data:`ZH` gives the domestic term (优先级, 次级, 差额支付承诺,
违约概率, 预期损失, 加权平均期限, 信用增级, ...). A report's language comes from
``--lang``, else the scenario's ``report.language``, else English.
"""
from __future__ import annotations

from engine.scenario.supports import support_labels

import math
import re

LANGUAGES = ("en", "zh")

ZH: dict[str, str] = {
    # a guarantor's book (ipabs book)
    "deal": "交易", "PD in the book": "组合中违约概率", "rating in the book": "组合中评级",
    "rating alone (joint default)": "单独评级(联合违约)", "entity": "主体", "capital": "代偿资本",
    "stated rating": "公开评级", "implied grade": "隐含等级", "claims: mean": "代偿需求: 均值",
    "claims: 99% / 99.9% / 99.99%": "代偿需求: 99% / 99.9% / 99.99%分位",
    "of which the outside book (mean)": "其中表外业务(均值)",
    "exhaustion probability": "资本耗尽概率", "exhaustion by year": "逐年资本耗尽概率",
    "failure (exhaustion or own default)": "失效概率(资本耗尽或自身违约)",
    "claims at the rating stresses": "各等级压力下的代偿需求",
    "leverage (guarantees / net assets)": "放大倍数(担保余额/净资产)",
    "largest borrower / net assets": "最大单一借款人/净资产",
    "ES share of 99.9% claims": "99.9%代偿需求的预期短缺贡献",
    "exhaustion probability without it": "去掉该交易后的资本耗尽概率",
    "seniors defaulting together": "同时违约的优先级档数", "probability": "概率",
    "Tranches in the book": "组合中的证券档次", "Contagion": "违约传染",
    "claims in the book": "组合代偿需求", "claims in the book (millions)": "组合代偿需求(百万)",
    "senior default correlation": "优先级违约相关性",
    "The deals run on one set of random numbers: the same firm (its entity code) defaults on "
    "the same date in every deal, factors are shared by label. Each modelled entity pays "
    "from one capital: on the first date its claims (every deal's and its outside book's) "
    "exceed it, the capital left is shared pro rata among that date's claims and the entity "
    "pays nothing more anywhere. Ratings in the book are the tranche-PD method's; alone is "
    "the deal's own joint-default rating, rating the market's (the counterparty rule).":
        "各交易使用同一组随机数: 同一主体(按主体代码)在每笔交易中于同一日期违约, 同名因子共用。"
        "每个建模主体以同一笔资本代偿: 在其代偿需求(各交易及表外业务)首次超过资本的日期, "
        "剩余资本按当日需求比例分配, 此后该主体在任何交易中均不再代偿。组合中评级采用证券违约概率法; "
        "单独评级为交易自身的联合违约评级, 评级为市场口径(交易对手规则)。",
    # tracking ratings
    "tracking ratings": "跟踪评级",
    "Tracking rating from the deal's state after {n} payment dates ({name}): the dates after "
    "it are simulated; the deal summary shows the closing terms.":
        "跟踪评级：依据第 {n} 个兑付日后的交易状态（{name}），模拟其后各期；交易概要为发行时条款。",
    # tranche table
    "{label} (as_of {as_of})": "{label}(第{as_of}期后)",
    "{label}\nas_of {as_of}": "{label}\n第{as_of}期后",
    "closing": "发行时",
    "{rating} (alone {alone})": "{rating}(独立 {alone})",
    "the rating by the scenario's convention (the standalone structure's in brackets)":
        "按本方案评级惯例的评级(括号内为独立评级)",
    "what moved it (notches, + up; each step re-rated on the same paths: {steps})":
        "评级变动归因(子级数,+为上调;各步在相同路径上重新评级:{steps})",
    ", then ": " → ", "time elapsed": "时间推移", "pool performance": "资产池表现",
    "supporter ratings": "增信方评级", "state": "报告", "total": "合计",
    "standalone by step": "独立评级各步",
    "tranche": "证券档次", "balance": "金额", "rating": "评级", "95% range": "95%区间",
    "standalone": "独立评级", "rating by": "评级依据", "joint default": "联合违约评级",
    "default prob ± se": "违约概率 ± 标准误", "expected loss ± se": "预期损失 ± 标准误",
    # the rating method, table and sampling method as the terminal names them (the
    # scenario's keywords stay as written in the files)
    "tranche_pd": "档次违约概率法(tranche_pd)", "expected_loss": "预期损失法(expected_loss)",
    "tdr_bdr": "TDR/BDR法(tdr_bdr)", "domestic": "国内评级表(domestic)",
    "plain": "普通蒙特卡洛(plain)", "importance": "重要性抽样(importance)",
    "default prob and expected loss are the joint-default run's (each supporter a correlated "
    "obligor that pays as documented until it defaults); without any support (standalone): {rows}":
        "违约概率与预期损失为联合违约口径(各增信方作为相关债务人,违约前按文件约定代偿);"
        "无任何增信(独立):{rows}",
    "WAL (y) ± se": "加权平均期限(年) ± 标准误", "default probability": "违约概率",
    "expected loss": "预期损失", "WAL (years)": "加权平均期限(年)",
    "standalone default probability": "独立违约概率", "unrated": "未评级",
    "senior": "优先级", "subordinated": "次级", "coupon": "票面利率",
    "credit enhancement": "信用增级", "subordination below": "次级支持(下方档次占比)",
    "share of notes": "占比", "principal": "本金偿付", "pass-through": "过手摊还",
    "bullet, period {n}": "到期一次还本(第{n}期)", "schedule": "计划摊还",
    "interest": "利息", "deferrable": "可递延", "current": "当期支付",
    # conventions
    "ratings": "评级", "method": "方法", "table": "评级表", "warning": "警告",
    "How the rating was reached": "评级如何得出",
    "coupons (per year, of the pool)": "票息(年化, 占资产池)",
    "the weighted coupon is over the notes, the rest over the pool":
        "加权票面利率以证券为基数, 其余以资产池为基数",
    "expected / legal final dates": "预期到期日 / 法定到期日",
    "Pool stratification": "资产池分布", "Ratings": "评级", "alone": "独立",
    "{paths} paths, seed {seed}; rating by {method}, support convention {support}; every "
    "state on the same paths": "{paths} 条路径, 种子 {seed}; 评级方法 {method}, 增信惯例 {support}; "
    "各状态使用相同路径",
    "Where the deal stands": "交易现状", "What moved each rating (notches, + up)":
        "评级变动归因(级数, +为上调)",
    "performing pool": "正常资产余额", "defaulted (exposure)": "违约资产(违约敞口)",
    "recovered on defaults": "违约资产已回收", "{tranche} balance": "{tranche}余额",
    "{tranche} interest owed": "{tranche}欠付利息", "reserve": "储备金",
    "cash in the accounts": "账户现金", "{support} used / left": "{support}已使用 / 剩余", "industry": "行业", "region": "地区",
    "borrower grade": "借款人评级", "IP type": "知识产权类型", "pledgee": "质权人",
    "appraisal coverage (IP pledged to the pool / loan)": "评估覆盖倍数(质押给资产池的知识产权评估值/贷款)",
    "largest obligors": "最大借款人", "not given": "未设定",
    "below 0.5x": "低于0.5倍", "0.5x to 1x": "0.5至1倍", "1x to 2x": "1至2倍",
    "2x to 3x": "2至3倍", "3x and above": "3倍及以上",
    "pledged to the pool": "质押给资产池", "pledged to the guarantor": "反担保(质押给担保人)",
    "invention_patent": "发明专利", "utility_model": "实用新型专利", "design_patent": "外观设计专利",
    "trademark": "商标", "copyright": "著作权", "software_copyright": "软件著作权",
    "data_ip": "数据知识产权", "plant_variety": "植物新品种",
    "share of the pool by industry": "各行业占资产池比例",
    "all-in cost a year (coupon, fees, support fees), % of the pool":
        "年化综合成本(票息、费用、增信费), 占资产池%", "rating of {tid}": "{tid}的评级",
    "all-in cost": "综合成本", "support fees": "增信费",
    "designs on the same {paths} paths, seed {seed}; all-in cost = notes' coupon + fees + "
    "support fees a year, over the pool": "各方案使用相同的 {paths} 条路径, 种子 {seed}; "
    "综合成本 = 证券票息 + 费用 + 增信费(年化, 占资产池)",
    "subordinated expected loss": "次级预期损失",
    "the support carries {target} at any size of {tranche} (up to the whole of it and the "
    "tranche below): the size rests on the supporters, not on the pool":
        "增信使{tranche}在任何规模下(直至其与下一档合计的全部)都能获得{target}: 规模取决于增信方, "
        "而非资产池",
    "without credit support {tranche} does not earn {target} at any size":
        "不含外部增信时, {tranche}在任何规模下都达不到{target}",
    "without credit support (the pool and structure alone) {tranche} earns {target} up to "
    "{balance} ({share} of the pool)": "不含外部增信时(仅资产池与交易结构), {tranche}获得{target}"
    "的最大规模为{balance}(占资产池{share})",
    "Each cell: the run's default probability ± its standard error, and the grade it lends "
    "(the run's own grade, at most the supporters' grade).": "每格: 该次运行的违约概率 ± 标准误,"
    " 以及其给出的级别(该次运行自身的级别, 不高于增信方级别)。",
    "How the rating was reached (the agencies' counterparty rule): at each supporter grade, "
    "the supporters rated at it or better pay exactly as the documents say (share, cap, lag, "
    "capacity) and never default, every other supporter is defaulted from the start; each "
    "run's grade counts up to that grade. The rating is the best of the standalone grade and "
    "those.": "评级如何得出(评级机构的交易对手规则): 在每个增信方级别上, 级别不低于该级别的增信方"
    "严格按交易文件约定(比例、上限、时滞、代偿能力)履行且不违约, 其余增信方自始视为违约; 每次运行"
    "得出的级别以该增信方级别为上限。最终评级取独立评级与上述各级别中的最高者。",
    "reliance on each support (same paths; rating / joint default, and the supporters the "
    "rating rests on):": "对各项增信的依赖(相同路径; 评级 / 联合违约评级, 括号内为评级所依据的"
    "增信方):",
    "counterparty rule (market convention): rating = best of standalone and each supporter "
    "grade's run, capped at that grade": "交易对手规则(市场惯例): 评级 = 独立评级与各增信方级别"
    "运行结果(以该级别为上限)孰高",
    "standalone: rating = pool and structure alone, no credit support":
        "独立: 评级 = 仅资产池与交易结构, 不含外部增信",
    "joint default: rating = full simulation with supporters as correlated obligors":
        "联合违约: 评级 = 将增信方作为相关债务人的完整模拟",
    # pool
    "pool": "资产池", "expected default rate": "预期违约率",
    "expected loss rate (after collateral, before support)": "预期损失率(质押物处置后、增信前)",
    "pool default rate quantiles": "资产池违约率分位数", "quantile": "分位数",
    "importance sampling: effective sample size {ess} of {paths} paths ({share})":
        "重要性抽样: 有效样本量 {ess} / {paths} 条路径 ({share})",
    "defensive share {share}": "防御性混合比例 {share}",
    "smallest per estimate {ess} ({what})": "单项估计最小有效样本量 {ess} ({what})",
    "warning: {message}": "警告: {message}",
    "effective sample size": "有效样本量", "95% interval": "95%区间",
    "acceleration probability": "加速清偿概率", "statistic": "指标", "value": "数值",
    "paths": "模拟路径", "seed": "随机种子", "elapsed": "耗时",
    "target default rates (TDR, pool WAL {wal} y)": "目标违约率(TDR, 资产池加权平均期限 {wal} 年)",
    "standalone grade": "独立评级", "BDR (no support)": "BDR(无增信)",
    "governing stress": "决定性压力情景", "cushion (BDR - TDR)": "安全垫(BDR - TDR)",
    "grade": "级别", "stress": "压力情景", "TDR": "TDR", "BDR": "BDR",
    # reliance
    "reliance on each support (same paths):": "对各项增信的依赖(相同路径):",
    "without": "去掉", "provider": "提供方", "(nothing removed)": "(不去掉)",
    "rating / joint default": "评级 / 联合违约评级",
    # cash flows
    "period": "期次", "pool default rate": "资产池违约率", "loss rate": "损失率",
    "(after collateral, before support)": "(质押物处置后、增信前)",
    "accelerated from period {n}": "自第{n}期加速清偿", "DEFAULTS": "违约",
    "paid as promised": "按约兑付", "loss": "损失", "WAL": "加权平均期限",
    "interest_collections": "利息回收款", "principal_collections": "本金回收款",
    "recoveries": "处置回收款", "support": "增信", "reimbursed": "返还", "fee": "费用",
    "interest_due": "应付利息", "interest_paid": "实付利息", "principal_paid": "偿付本金",
    "residual_paid": "剩余收益", "reserve_balance": "储备金余额", "cash_left": "结余现金",
    "accelerated": "加速清偿", "yes": "是", "no": "否", "y": "年",
    # sensitivities
    "case": "情景", "base": "基准", "change ± se": "变化 ± 标准误",
    "EL change ± se": "预期损失变化 ± 标准误",
    # compare
    "design": "方案", "vs": "相对", "difference vs {name}": "相对{name}的差异",
    "designs on the same {paths} paths, seed {seed}; differences are paired (same paths), "
    "each with its own standard error": "各方案使用相同的{paths}条路径(随机种子 {seed}); "
    "差异为配对差异(相同路径), 并附各自的标准误",
    # sizing
    "{tranche} earns {target} or better up to a balance of {balance} ({share} of the pool)":
        "{tranche} 在金额不超过 {balance}(占资产池 {share})时可获得 {target} 或更高评级",
    "searched to within {step}: {ok} earns it, {bad} does not":
        "搜索精度 {step}: {ok} 可获得, {bad} 不可获得",
    "no defaulting path in {paths} paths (below {bound} at 95% confidence)":
        "{paths} 条路径中无违约(95%置信上限 {bound})",
    # support types
    **support_labels("zh"),
    "none": "无",
    # HTML sections
    "The deal": "交易概况", "Tranches": "证券档次与评级", "Deal summary": "交易结构摘要",
    "Credit support and providers": "增信措施与提供方", "Pool": "资产池",
    "credit support id": "增信措施",
    "Default timing": "违约时间分布", "Support": "增信代偿", "Triggers": "触发事件",
    "TDR / BDR": "TDR / BDR", "Sensitivities (same random numbers as the base case)":
        "敏感性分析(与基准情形相同的随机数)",
    "Cash flows": "现金流", "Assumptions": "模型假设",
    "Reliance on each support (same random numbers)": "对各项增信的依赖(相同随机数)",
    "currency": "币种", "payment frequency": "支付频率", "legal final": "法定到期",
    "periods": "期", "pool balance": "资产池金额", "assets": "基础资产笔数",
    "obligors": "债务人数", "credit support": "增信措施", "triggers": "触发事件",
    "largest obligor": "最大单一债务人", "pool rate (weighted)": "资产池加权利率",
    "weighted coupon": "加权票面利率", "fees (per year, of the pool)": "费用(年化, 占资产池)",
    "excess spread": "超额利差", "type": "类型", "rating of provider": "提供方评级",
    "covers": "覆盖", "share": "比例", "cap": "上限", "all assets": "全部基础资产",
    "expected payment": "预期代偿金额", "call probability": "代偿概率",
    "expected reimbursement": "预期返还", "expected net cost": "预期净成本",
    "fire probability": "触发概率", "mean period": "平均触发期次",
    "No defaults": "无违约情景", "Stressed: {what}": "压力情景: {what}",
    "the {n} largest borrowers ({names}) default in period {period}, collateral realised at "
    "its mean haircut after its lag": "最大的{n}户借款人({names})于第{period}期违约, "
    "质押物按平均折扣率于处置周期后变现",
    "outcome": "结果", "item": "项目",
    "Monte Carlo paths": "蒙特卡洛路径数", "random seed": "随机种子",
    "sampling method": "抽样方法", "rating method": "评级方法", "support convention": "增信处理惯例",
    "rating table": "理想违约率表", "copula": "Copula", "correlation": "相关性",
    "recovery": "回收假设", "engine version": "引擎版本", "scenario file sha256": "情景文件 sha256",
    "pool default rate distribution": "资产池违约率分布",
    "cumulative pool default rate (% of balance)": "资产池累计违约率(占本金 %)",
    "probability of exceeding": "超过该违约率的概率",
    "P(pool default rate > x)": "P(资产池违约率 > x)", "{tid} attaches": "{tid} 附着点",
    "monthly": "按月", "quarterly": "按季", "semiannual": "按半年", "annual": "按年",
    "{grade} 1y ideal PD": "{grade} 1年理想违约率",
    "expected default (% of pool)": "预期违约(占资产池 %)",
    "default probability of {tid} (log scale)": "{tid} 的违约概率(对数坐标)",
    "Rates and probabilities are in percent; amounts in {currency}. Each estimate is shown "
    "± its Monte Carlo standard error.": "利率与概率以百分比表示; 金额单位 {currency}。"
    "每个估计值后附蒙特卡洛标准误。",
    "The ratings": "三种评级",
    "Cash flows with no defaults and under a stress, period by period (in tables of eight "
    "periods).": "逐期现金流: 无违约情景与压力情景(每表八期)。",
    "Each tranche's rating (by the convention above) and joint-default rating with one "
    "support arrangement removed: what the rating rests on.":
        "去掉某一项增信后各档次的评级(按上述惯例)与联合违约评级: 评级依赖于哪些增信。",
    "Break-even default rates of the standalone structure (no credit support); each run of "
    "the support ladder has its own, with its supporters paying.":
        "独立结构(无增信)的盈亏平衡违约率; 增信阶梯的每次运行另有其盈亏平衡违约率(该级别及以上的增信方按约履行)。",
    "report for the committee": "评审会报告", "generated by ipabs": "由 ipabs 生成",
    "collateral: haircut {haircut} of appraised value on average, realised {lag} after "
    "default; systemic share {systemic}": "质押物: 平均折扣率 {haircut}(占评估值), 违约后 {lag} "
    "变现; 系统性部分 {systemic}",
    "no collateral": "无质押物", "months": "个月", "none given": "未设定",
}


#: English display names of scenario keywords.
EN: dict[str, str] = {
    **support_labels("en"), "credit support id": "support",
}


#: The warnings result and book documents hold (in English, written by
#: :func:`engine.rating.deal.rating_warnings`, :func:`engine.result.sampling_warnings` and
#: :mod:`engine.books.result`) and their Chinese, for a Chinese table: ``(the English
#: message's pattern, the Chinese text with its groups)``. An unknown message stays English.
_ZH_WARNINGS = [
    (r"(?P<id>.+?): (?P<r>\S+) rests on (?P<on>.+); the joint-default view gives (?P<j>\S+) "
     r"\((?P<n>\d+) notches lower\)",
     "{id}:{r}依赖于{on};联合违约口径仅为{j}(低{n}个子级)"),
    (r"estimates resting on fewer than (?P<k>\d+) effective paths \(their standard errors are "
     r"unreliable; use more paths\): (?P<items>.+)",
     "以下估计的有效路径少于{k}条(其标准误不可靠,请增加路径数):{items}"),
    (r"the importance-sampling weights are degenerate: an effective sample size of "
     r"(?P<ess>\S+) of (?P<paths>\S+) paths; raise simulation.importance.defensive_share or "
     r"the paths",
     "重要性抽样权重退化:{paths}条路径的有效样本量仅为{ess};请提高"
     "simulation.importance.defensive_share或路径数"),
    (r"(?P<e>.+?): guarantees of (?P<x>\S+)x net assets, above the (?P<cap>\S+)x cap "
     r"\((?P<small>\S+)x for a small and micro book\)",
     "{e}:担保责任余额为净资产的{x}倍,超过{cap}倍的上限(小微企业融资担保业务为{small}倍)"),
    (r"(?P<e>.+?): its largest borrower is (?P<share>\S+) of net assets, above the "
     r"(?P<cap>\S+) cap",
     "{e}:最大单一客户的担保责任余额为净资产的{share},超过{cap}的上限"),
    (r"(?P<e>.+?): stated (?P<stated>\S+), but its failure probability in this book "
     r"\((?P<p>\S+): capital exhausted or its own default\) supports (?P<implied>\S+); the "
     r"deals' market ratings rest on (?P=stated)",
     "{e}:公开评级{stated},但其在本组合中的失效概率({p}:代偿资本耗尽或自身违约)仅支持"
     "{implied};各交易的市场评级依赖于{stated}"),
]
_ZH_WARNINGS = [(re.compile(pattern + "$", re.S), zh) for pattern, zh in _ZH_WARNINGS]


def warning_text(message: str, lang: str = "en") -> str:
    """A document's warning as a table in ``lang`` shows it (English: as it is)."""
    if lang == "zh":
        for pattern, zh in _ZH_WARNINGS:
            found = pattern.match(message)
            if found:
                return zh.format(**found.groupdict())
    return message


def tr(text: str, lang: str = "en", **kw) -> str:
    """``text`` in ``lang`` (the English text is the key), formatted with ``kw``."""
    if lang == "zh":
        out = ZH.get(text, text)
    else:
        out = EN.get(text, text)
    return out.format(**kw) if kw else out


def state_heading(state: dict, lang: str = "en", two_lines: bool = False) -> str:
    """A tracked state's heading: its label (the first, ``closing``, in the report's
    language) and the payment dates behind it (on a second line for a chart's axis)."""
    label = tr("closing", lang) if state["label"] == "closing" else state["label"]
    form = "{label}\nas_of {as_of}" if two_lines else "{label} (as_of {as_of})"
    return tr(form, lang, label=label, as_of=state["as_of"])


def language(scenario=None, override: str | None = None) -> str:
    """``override`` if given, else the scenario's ``report.language``, else ``en``."""
    if override:
        return override
    spec = getattr(scenario, "report", None)
    return getattr(spec, "language", None) or "en"


# ----------------------------------------------------------------------------- numbers


def money(x, digits: int = 0) -> str:
    """``195,700,000`` (``-`` for nothing)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:,.{digits}f}"


#: Most decimals a percentage is shown with (a rare event's 0.0000207%: never ``2.07e-05%``).
MAX_PCT_DECIMALS = 10


def pct_digits(x: float) -> int:
    """Decimals (of a percentage) that show about three significant digits, 1 to 4, or
    more for a fraction below 0.0001% (up to :data:`MAX_PCT_DECIMALS`)."""
    if x == 0 or not math.isfinite(x):
        return 2
    d = 2 - math.floor(math.log10(abs(100.0 * x)))
    return max(1, min(4 if d <= 4 else MAX_PCT_DECIMALS, d))


def se_decimals(se: float) -> int:
    """Decimals of a percentage that show its standard error ``se`` (a fraction) to two
    significant digits: 1 at least, :data:`MAX_PCT_DECIMALS` at most."""
    return max(1, min(MAX_PCT_DECIMALS, 1 - math.floor(math.log10(100.0 * se))))


def pct(x, digits: int | None = None) -> str:
    """A fraction as a percentage: ``0.0123%``, ``5.00%``, ``25.4%``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    d = pct_digits(x) if digits is None else digits
    return f"{100.0 * x:.{d}f}%"


def pct_pm(x, se, digits: int | None = None) -> str:
    """A fraction and its standard error in percent, at the standard error's precision:
    ``0.0120% ± 0.0021%``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if se is None or not math.isfinite(se) or se <= 0:
        return pct(x, digits)
    d = digits if digits is not None else se_decimals(se)
    return f"{100.0 * x:.{d}f}% ± {100.0 * se:.{d}f}%"


def estimate(x, se, paths: int | None = None) -> str:
    """A Monte Carlo estimate of a probability in percent with its standard error; an
    estimate of zero shows the bound it rests on (no event in ``paths`` paths: below
    ``3 / paths`` at 95% confidence) instead of ``0 ± 0``."""
    if x == 0 and paths and (se is None or se == 0):
        return f"0 (< {pct(3.0 / paths)})"
    return pct_pm(x, se)


def num_pm(x, se, digits: int = 2) -> str:
    """``1.00 ± 0.01`` (``-`` for nothing); a standard error too small for ``digits`` but
    not zero is ``± < 0.01``, never ``± 0.00``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if se is None:
        return f"{x:.{digits}f}"
    unit = 10.0 ** -digits
    shown = f"< {unit:.{digits}f}" if 0.0 < se < unit / 2 else f"{se:.{digits}f}"
    return f"{x:.{digits}f} ± {shown}"


def grade(x, lang: str = "en") -> str:
    """A grade, or ``unrated``."""
    return tr("unrated", lang) if x is None else x


def grade_range(rng) -> str:
    """``AAAsf..AA+sf`` (best..worst); ``-`` for none."""
    return "..".join(rng) if rng else "-"


# ----------------------------------------------------------------------------- table headers

#: Column names of the CSV tables and workbook sheets, in Chinese (the English headers are
#: the JSON keys themselves).
ZH_COLUMNS = {
    "id": "编号", "entity": "主体代码(统一社会信用代码)", "balance": "金额", "rated": "是否评级", "rating": "评级",
    "rating_range": "评级95%区间", "rating_by": "评级依据", "rating_standalone": "独立评级",
    "rating_substitution": "交易对手规则评级", "rating_joint_default": "联合违约评级",
    "rating_range_standalone": "独立评级95%区间",
    "rating_range_substitution": "交易对手规则评级95%区间",
    "rating_range_joint_default": "联合违约评级95%区间", "support_ladder": "增信阶梯",
    "default_probability": "违约概率", "expected_loss": "预期损失",
    "wal_years": "加权平均期限(年)", "default_probability_raw": "违约概率(未加权)",
    "model_default_probability": "模型违约概率", "case": "情景", "tranche": "证券档次",
    "pd_change": "违约概率变化", "el_change": "预期损失变化", "without": "去掉",
    "provider": "提供方", "expected_payment": "预期支付", "call_probability": "触发概率",
    "expected_reimbursement": "预期偿还", "expected_net_cost": "预期净成本",
    "expected_default_rate": "预期违约率", "expected_loss_rate": "预期损失率",
    "acceleration_probability": "加速清偿概率", "default_timing": "违约时间分布",
    "item": "项目", "value": "数值", "period": "期数", "date": "日期",
    "expected_final_date": "预期到期日", "legal_final_date": "法定到期日", "interest_collections": "利息回收",
    "principal_collections": "本金回收", "recoveries": "处置回收", "cash_left": "账户余额",
    "accelerated": "是否加速清偿", "bdr": "盈亏平衡违约率", "bdr_governing_stress": "决定性压力情景",
    "bdr_cushion": "盈亏平衡违约率缓冲", "large_obligor_test": "大额借款人测试",
    "capacity_exhaustion_probability": "代偿能力耗尽概率", "design": "方案",
    "fire_probability": "触发概率", "mean_fire_period": "平均触发期数",
    "support_floor_by": "评级依据", "dimension": "维度", "group": "分组", "obligors": "借款人数",
    "loans": "贷款笔数", "items": "项数", "appraised_value": "评估值", "share": "占比",
    "grade": "评级", "industry": "行业",
}
_ZH_COSTS = {"weighted_coupon": "加权票息", "pool_rate": "资产池利率", "notes_coupon": "证券票息",
             "fees": "费用", "support_fees": "增信费", "all_in": "综合成本",
             "excess_spread": "超额利差", "fees_amount": "费用金额",
             "support_fees_amount": "增信费金额"}
_ZH_SUFFIXES = (("_se", "标准误"), ("_ess", "有效样本数"), ("_standalone", "(独立)"),
                ("_low", "下限"), ("_high", "上限"))


def column_label(col, lang: str = "en") -> str:
    """A table's column header in ``lang``: the JSON key in English; in Chinese its label
    (a suffix such as ``_se`` as 标准误, a cash-flow column by its parts)."""
    col = str(col)
    if lang != "zh":
        return col
    if col in ZH_COLUMNS:
        return ZH_COLUMNS[col]
    for suffix, label in _ZH_SUFFIXES:
        if col.endswith(suffix) and col[:-len(suffix)] in ZH_COLUMNS:
            return ZH_COLUMNS[col[:-len(suffix)]] + label
    if col.startswith("default_rate_q"):
        rest = col[len("default_rate_q"):]
        q, _, end = rest.partition("_")
        return f"资产池违约率{q}分位数" + ({"low": "下限", "high": "上限"}.get(end, ""))
    if col.startswith("cost_"):
        return "成本:" + _ZH_COSTS.get(col[5:], col[5:])
    head, sep, tail = col.partition(":")
    if sep:
        if head in ("support", "fee", "reimbursed", "bdr"):
            return f"{ZH.get(head, ZH_COLUMNS.get(head, head))}:{tail}"
        return f"{head}:{ZH.get(tail, ZH_COLUMNS.get(tail, tail))}"
    return ZH.get(col.replace("_", " "), col)
