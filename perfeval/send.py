"""perfeval send: e-mail a run's outputs to the finance bureau (PRODUCT.md "Commands").

``compose`` builds the message from an output folder (the summary workbook, the report(s) and a
Chinese summary of result.json), ``send`` delivers it over SMTP, ``write_eml`` keeps it as a file
for --dry-run. Every failure is a ``SendError`` whose Chinese message can be shown to the user as is.

The SMTP password is read only from the environment variable PERFEVAL_SMTP_PASSWORD: a password in
perfeval.toml is refused, and no message, repr or file ever contains it (QUALITY.md, Robustness).
"""

from __future__ import annotations

import json
import math
import os
import tomllib
import re
import smtplib
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from perfeval.model import ERROR, NOT_SCORED, WARNING
from perfeval.outputs import (
    REPORT_NAME, RESULT_NAME, SUMMARY_NAME, finish_interrupted, numbered_names, report_names, unfinished,
)

PASSWORD_ENV = "PERFEVAL_SMTP_PASSWORD"
SECURITY_MODES = ("plain", "starttls", "ssl")
DEFAULT_PORTS = {"plain": 25, "starttls": 587, "ssl": 465}
CONFIG_KEYS = ("host", "port", "security", "user", "sender", "to", "timeout", "max_mb", "cafile")
DEFAULT_SENDER = "perfeval@localhost"


MIME_TYPES = {
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
}
GRADES = ("优", "良", "中", "差")
ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")
RUN_FIRST = "请先运行 perfeval run 生成输出"


class SendError(Exception):
    """Chinese message, safe to print (never contains the password)."""


@dataclass(frozen=True)
class SendSettings:
    """How to reach the SMTP server; built by ``settings_from`` (defaults < perfeval.toml < command line)."""

    host: str = "localhost"
    port: int | None = None  # None: 25 plain, 587 starttls, 465 ssl
    security: str = "plain"  # "plain" | "starttls" | "ssl"
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # only from PERFEVAL_SMTP_PASSWORD
    sender: str | None = None  # From; default user or "perfeval@localhost"
    timeout: float = 30.0
    max_bytes: int = 20 * 1024 * 1024  # total size of the attachments
    cafile: str | None = None  # extra CA bundle, e.g. an internal mail server's own CA

    @property
    def effective_port(self) -> int:
        """The port to connect to: the one given, else the usual one for the security mode."""
        return self.port or DEFAULT_PORTS[self.security]

    @property
    def address(self) -> str:
        """host:port, as shown in messages."""
        return f"{self.host}:{self.effective_port}"


# --- settings ---------------------------------------------------------------------------------------

def settings_from(config: dict, **cli) -> SendSettings:
    """[send] section of perfeval.toml (keys: host, port, security, user, sender, to, timeout, max_mb,
    cafile) overridden by CLI values that are not None; password from os.environ["PERFEVAL_SMTP_PASSWORD"];
    a password key in the file is REJECTED with SendError("密码只能通过环境变量 PERFEVAL_SMTP_PASSWORD 提供…").
    Unknown keys -> SendError naming the key and the allowed ones. ``to`` is validated here but read
    by the caller (the recipients are not a connection setting)."""
    check_config_keys(config)
    values = {key: config[key] for key in ("host", "port", "security", "user", "sender", "timeout", "cafile")
              if key in config}
    if "max_mb" in config:
        values["max_bytes"] = to_bytes(config["max_mb"])
    if "to" in config:
        check_recipients_setting(config["to"])
    allowed = {f.name for f in fields(SendSettings)} - {"password"}
    for key, value in cli.items():
        if key not in allowed:
            raise TypeError(f"settings_from() got an unexpected keyword argument {key!r}")
        if value is not None:
            values[key] = value
    check_values(values)
    if "timeout" in values:
        values["timeout"] = float(values["timeout"])
    values["password"] = os.environ.get(PASSWORD_ENV) or None
    values["sender"] = values.get("sender") or values.get("user") or DEFAULT_SENDER
    return SendSettings(**values)


def check_config_keys(config: dict) -> None:
    """Refuse a password in the file (whatever the key is called) and any unknown key."""
    for key in config:
        if "password" in key.lower() or "passwd" in key.lower():
            raise SendError(f"密码只能通过环境变量 {PASSWORD_ENV} 提供，不能写在配置文件中："
                            f"请删除 perfeval.toml [send] 中的“{key}”项，改为设置环境变量 {PASSWORD_ENV}")
    unknown = [key for key in config if key not in CONFIG_KEYS]
    if unknown:
        raise SendError(f"perfeval.toml 的 [send] 中有未知的设置项“{unknown[0]}”；"
                        f"可用的设置项：{'、'.join(CONFIG_KEYS)}")


def check_values(values: dict) -> None:
    """Each setting has the right type and range; the message names the key and what is allowed."""
    for key in ("host", "user", "sender", "cafile"):
        if key in values and (not isinstance(values[key], str) or not values[key].strip()):
            raise SendError(f"发送设置 {key} 应为非空文字，现为 {values[key]!r}")
    if "security" in values and values["security"] not in SECURITY_MODES:
        raise SendError(f"发送设置 security 的值“{values['security']}”无效；可用的值：{'、'.join(SECURITY_MODES)}")
    port = values.get("port")
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535):
        raise SendError(f"发送设置 port 应为 1–65535 的整数，现为 {port!r}")
    timeout = values.get("timeout")
    if timeout is not None and not is_positive_number(timeout):
        raise SendError(f"发送设置 timeout 应为大于 0 的秒数，现为 {timeout!r}")
    if "sender" in values and not ADDRESS.match(parseaddr(values["sender"])[1] or "-"):
        raise SendError(f"发件人地址“{values['sender']}”格式不正确，应形如 name@example.com")


def check_recipients_setting(value) -> None:
    """``to`` in perfeval.toml: an address or a list of addresses."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
        raise SendError(f"perfeval.toml [send] 的 to 应为一个邮箱地址或地址列表，现为 {value!r}")


def to_bytes(max_mb) -> int:
    """max_mb (megabytes, as in perfeval.toml) -> bytes."""
    if not is_positive_number(max_mb):
        raise SendError(f"发送设置 max_mb 应为大于 0 的数（单位 MB），现为 {max_mb!r}")
    return int(max_mb * 1024 * 1024)


def is_positive_number(value) -> bool:
    """True for a finite int or float above zero (TOML booleans are not numbers here, and its inf is none of
    a size or a timeout)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < math.inf


# --- composing the message ----------------------------------------------------------------------------

def finish_outputs(outdir: Path) -> None:
    """A run killed while putting its outputs in place is finished first; a folder that still holds a
    mix of two runs is never mailed (SendError)."""
    mixed = "为避免发送新旧混杂的材料，本次未发送"
    try:
        finish_interrupted(outdir)
    except OSError as exc:
        raise SendError(f"输出文件夹 {outdir} 中有一组输出未能全部放入（{exc.strerror or exc}），{mixed}；"
                        "请关闭正在使用这些文件的程序（如 Excel、Word）后重试") from None
    if unfinished(outdir):
        raise SendError(f"perfeval run 正在向输出文件夹 {outdir} 放入新的输出，{mixed}；请待其完成后重试")


def compose(outdir: Path, to: list[str], sender: str, unit: str | None = None) -> EmailMessage:
    """Subject "<单位名称><年度>年度项目支出绩效自评材料"; a Chinese plain-text body that summarises the
    batch from result.json; attachments: the summary workbook and the report(s), Chinese file names
    intact (RFC 2231), MIME types of xlsx/docx. unit=None: the whole folder (all reports); unit="X":
    only X's report plus the combined summary. Missing folder/files -> SendError saying to run
    `perfeval run` first."""
    _, message = next(outgoing(outdir, to, sender, unit))
    return message


def outgoing(outdir: Path, to: list[str], sender: str, unit: str | None = None, each_unit: bool = False,
             max_bytes: int | None = None, refuse_oversize: bool = False) -> Iterator[tuple[str, EmailMessage]]:
    """The mails of one send (``compose``'s), each with the .eml name a dry run writes it to: one for the
    folder or for ``unit``, or with ``each_unit`` one per unit of a multi-unit folder. result.json, its
    report names and its units' parts are worked out once: a city's result.json is megabytes, its report
    names are hundreds, each made safe, and its issues thousands.

    Each unit's mail carries the combined summary beside the unit's report, unless with a unit's report
    that would pass ``max_bytes`` (the attachments' limit), or its copies would come to more than
    ``REPEAT_BYTES``: a city's summary (20 MB for 10,000 forms) made every unit's mail too large to send,
    or 600 mails of 26 MB each. It then goes once, in a mail of its own before the units' mails
    (``SUMMARY_MAIL``), and each unit's mail says so. A mail with a file missing, or with ``refuse_oversize``
    (a real send) one whose attachments pass ``max_bytes``, is refused before any mail is composed, so that
    a send never goes (or a dry run is written) in part."""
    outdir = Path(outdir)
    data = read_result(outdir)
    multi = data_multi_unit(data)
    if not each_unit:
        units: list[str | None] = [unit]
    else:  # a single unit's folder is one mail
        units = [u["name"] for u in data["units"]] if multi else [None]
    reports, parts = report_files(data), unit_parts(data) if multi else {}
    apart = each_unit and multi and _too_large_to_repeat(outdir, reports, len(units), max_bytes)
    mails: list[tuple[str | None, str]] = [(name, "apart" if apart else "attached") for name in units]
    # numbered like the reports: "X中心" and "X中心." (or "ABC" and "abc") would write one file; the
    # summary's own mail after the units' names (a unit may be named 绩效自评汇总表)
    names = numbered_names([name or MAIL_NAME for name in units] + [SUMMARY_MAIL] * apart, ".eml")
    if apart:  # first: each unit's mail then speaks of a mail sent (and a summary too large is refused first)
        mails.insert(0, (None, "only"))
        names.insert(0, names.pop())
    for name, summary in mails:  # before any mail goes (or is written): a re-run would repeat those
        _preflight(outdir, data, reports, name, summary, max_bytes if refuse_oversize else None)
    shared: dict[str, EmailMessage] = {}  # the summary, read and encoded once for all the mails
    for eml, (name, summary) in zip(names, mails):
        yield eml, _compose(outdir, data, reports, parts, to, sender, name, shared, summary)


MAIL_NAME = "绩效自评材料"  # the .eml of the whole folder's mail
SUMMARY_MAIL = "绩效自评汇总表"  # the .eml of the summary's own mail, when it goes apart from the units'


# the most the copies of the summary may come to in the units' mails of one send (a district's 20 units and
# its 1 MB summary: 20 MB)
REPEAT_BYTES = 100 * 1024 * 1024


def _size(path: Path) -> int:
    """A file's size; 0 for a missing one (``check_files`` names it)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _too_large_to_repeat(outdir: Path, reports: dict[str, str], mails: int, max_bytes: int | None) -> bool:
    """Whether the summary should not go into every one of ``mails`` units' mails: its copies pass
    ``REPEAT_BYTES``, or with a unit's report it passes ``max_bytes`` (a report too large on its own is
    refused whatever goes with it: it leaves the summary with the others)."""
    summary = _size(outdir / SUMMARY_NAME)
    if summary * mails > REPEAT_BYTES:
        return True
    if max_bytes is None:
        return False
    fitting = [size for size in (_size(outdir / name) for name in reports.values()) if size <= max_bytes]
    return summary + max(fitting, default=0) > max_bytes


def _attachments(reports: dict[str, str], unit: str | None, summary: str) -> list[str]:
    """A mail's files. ``summary``: "attached" beside the report(s); "apart": the unit's report alone, the
    summary going in a mail of its own; "only": that mail, the summary alone."""
    selected = list(reports.values()) if unit is None else [reports[unit]]
    return {"attached": [SUMMARY_NAME, *selected], "apart": selected, "only": [SUMMARY_NAME]}[summary]


def _year(data: dict):
    """The evaluation year of result.json ("" when it names none)."""
    return data.get("year") or data.get("unit", {}).get("year") or ""


def _subject(data: dict, name: str, summary: str) -> str:
    return f"{name}{_year(data)}年度项目支出绩效自评{'汇总表' if summary == 'only' else '材料'}"


def _preflight(outdir: Path, data: dict, reports: dict[str, str], unit: str | None, summary: str,
               max_bytes: int | None) -> None:
    """SendError when a mail's unit is unknown, a file of it is missing, or its files pass ``max_bytes``."""
    name = unit_name(data, unit, reports)
    files = _attachments(reports, unit, summary)
    check_files(outdir, files)
    total = sum(_size(outdir / file_name) for file_name in files)
    if max_bytes is not None and total > max_bytes:
        raise oversize(total, max_bytes, _subject(data, name, summary), sum(f != SUMMARY_NAME for f in files))


def _compose(outdir: Path, data: dict, reports: dict[str, str], parts: dict[str, tuple[list[dict], list[dict]]],
             to: list[str], sender: str, unit: str | None, shared: dict[str, EmailMessage],
             summary: str) -> EmailMessage:
    """One mail, with the files ``_attachments`` gives it (there: ``_preflight``); ``shared``: the summary's
    part, encoded once for every mail of the send."""
    name = unit_name(data, unit, reports)
    attachments = _attachments(reports, unit, summary)
    year = _year(data)
    message = EmailMessage()
    message["Subject"] = _subject(data, name, summary)
    message["From"] = sender_header(sender, name)
    message["To"] = ", ".join(check_addresses(to))
    message["Date"] = formatdate(localtime=True)
    # make_msgid() without a domain asks DNS for this machine's name, which can hang on office networks.
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "localhost")
    chosen = unit if data_multi_unit(data) else None
    part = parts[chosen] if chosen is not None else unit_part(data, None)
    note = ""
    if summary == "apart":
        note = (f"　　本批次的汇总表（{SUMMARY_NAME}，{megabytes(_size(outdir / SUMMARY_NAME))}）较大，"
                f"未随各单位的邮件重复附上，另以邮件“{_subject(data, unit_name(data, None, reports), 'only')}”发送。")
    message.set_content(body_text(data, name, year, chosen, attachments, part, note))
    message.make_mixed()
    for file_name in attachments:
        # each unit's mail of a city carries the same combined summary (26 MB for 10,000 forms): encoded
        # once, the same part goes into every mail, which serialising does not change
        attachment = shared.get(file_name) or attachment_part(outdir / file_name)
        if file_name == SUMMARY_NAME:
            shared[file_name] = attachment
        message.attach(attachment)
    return message


def read_config(path: Path | None) -> dict:
    """The [send] section of a perfeval.toml ({} without a file); SendError when it is malformed."""
    if path is None:
        return {}
    try:
        section = tomllib.loads(path.read_text(encoding="utf-8")).get("send", {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SendError(f"配置文件 {path} 格式有误：{exc}") from None
    if not isinstance(section, dict):
        raise SendError(f"配置文件 {path} 的 [send] 必须是一个表")
    return section


def recipients_in(config: dict) -> list[str]:
    """The ``to`` setting as a list of addresses."""
    value = config.get("to")
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def read_result(outdir: Path) -> dict:
    """result.json of an output folder, or SendError saying what is missing."""
    if not outdir.is_dir():
        raise SendError(f"找不到输出文件夹 {outdir}：{RUN_FIRST}")
    path = outdir / RESULT_NAME
    if not path.is_file():
        raise SendError(f"输出文件夹 {outdir} 中缺少 {RESULT_NAME}：{RUN_FIRST}")
    try:
        # bytes: read as text, a city's 157 MB result.json took four times its size on the way in
        data = json.loads(path.read_bytes(), object_hook=_without_indicators)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SendError(f"{path} 无法读取（{exc}）：请重新运行 perfeval run 生成输出") from None
    if not isinstance(data, dict) or not isinstance(data.get("projects"), list):
        raise SendError(f"{path} 不是 perfeval run 生成的结果文件：请重新运行 perfeval run 生成输出")
    return data


def _without_indicators(obj: dict) -> dict:
    """A result.json object as a mail needs it: a project without its indicators, which are three quarters of
    a city's result.json (157 MB for 10,000 forms in 601 units, 830 MB once parsed), let go as soon as each
    is read."""
    if "indicators" in obj and "budget_explanation" in obj:
        del obj["indicators"]
    return obj


def data_multi_unit(data: dict) -> bool:
    """True when the run held several reporting units (one report per unit)."""
    return len(data.get("units") or []) > 1


def report_files(data: dict) -> dict[str, str]:
    """Unit name -> report file name, as the run named them (``outputs.report_names``)."""
    if not data_multi_unit(data):
        return {data.get("unit", {}).get("name", ""): REPORT_NAME}
    return report_names([unit["name"] for unit in data["units"]])


def unit_name(data: dict, unit: str | None, reports: dict[str, str]) -> str:
    """The name the subject and body speak of: the chosen unit, else the batch's unit."""
    if unit is None:
        return data.get("unit", {}).get("name") or "本单位"
    if unit not in reports:
        raise SendError(f"输出中没有单位“{unit}”；可选的单位：{'、'.join(n for n in reports if n) or '无'}")
    return unit


def check_files(outdir: Path, names: list[str]) -> None:
    """Every attachment exists, else one SendError listing all missing files."""
    missing = [name for name in names if not (outdir / name).is_file()]
    if missing:
        raise SendError(f"输出文件夹 {outdir} 中缺少 {'、'.join(missing)}：{RUN_FIRST}")


def check_addresses(addresses: list[str]) -> list[str]:
    """Recipients as given, each a plain address; SendError on an empty list or a malformed one."""
    if not addresses:
        raise SendError("没有收件人：请用 --to 指定，或在 perfeval.toml 的 [send] 中设置 to")
    for address in addresses:
        if not ADDRESS.match(address.strip()):
            raise SendError(f"收件人地址“{address}”格式不正确，应形如 jxk@czj.example.gov.cn")
    return [a.strip() for a in addresses]


def sender_header(sender: str, name: str) -> Address | str:
    """From: the unit's name shown beside a bare address, so the bureau sees who reports."""
    display, address = parseaddr(sender)
    if not ADDRESS.match(address or "-"):
        raise SendError(f"发件人地址“{sender}”格式不正确，应形如 name@example.com")
    local, _, domain = address.rpartition("@")
    return Address(display_name=display or name, username=local, domain=domain)


def attachment_part(path: Path) -> EmailMessage:
    """One output file as an attachment part, as ``add_attachment`` makes it: the Chinese name encoded per
    RFC 2231 (filename*=utf-8''). No Content-Type name= parameter: with the long OOXML MIME types, Python's
    header folding then turns the type itself into an encoded-word ("application/=?utf-8?q?vnd...") that
    no client reads."""
    maintype, subtype = MIME_TYPES.get(path.suffix.lower(), ("application", "octet-stream"))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SendError(f"无法读取附件 {path}（{exc.strerror or exc}）") from None
    part = EmailMessage()
    part.set_content(data, maintype=maintype, subtype=subtype, filename=path.name, disposition="attachment")
    return part


def body_text(data: dict, name: str, year, unit: str | None, attachments: list[str],
              part: tuple[list[dict], list[dict]], note: str = "") -> str:
    """The plain-text body: what is sent, the batch in figures, the projects that need attention (``part``:
    the unit's ``unit_part``), the attachments and a ``note`` on them."""
    projects, issues = part
    totals = data["totals"] if unit is None and "totals" in data else totals_of(projects, issues)
    lines = [
        "您好：",
        "",
        f"　　现报送{name}{year}年度项目支出绩效自评材料，请审阅。",
        "",
        "一、自评概况",
        *summary_lines(totals),
        *attention_lines(projects),
        "",
        "二、附件",
        *(f"{n}. {file_name}" for n, file_name in enumerate(attachments, 1)),
        *([note] if note else []),
        "",
        f"　　以上材料由 perfeval {data.get('perfeval_version', '')} 于 {run_time(data)} 生成，"
        "各项数据以附件为准。",
    ]
    return "\n".join(lines) + "\n"


def summary_lines(totals: dict) -> list[str]:
    """Projects, money, rate, grades and open issues, in sentences."""
    rate = totals.get("rate")
    rate_text = f"{rate * 100:.2f}%" if rate is not None else "无法计算（预算数为0）"
    grades = totals.get("grades", {})
    grade_text = "、".join(f"{g} {grades.get(g, 0)} 个" for g in GRADES)
    if grades.get(NOT_SCORED):
        grade_text += f"、{NOT_SCORED} {grades[NOT_SCORED]} 个"
    lines = [
        f"　　本次自评共 {totals.get('projects', 0)} 个项目，已评分 {totals.get('scored', 0)} 个。"
        f"全年预算数合计 {totals.get('budget', 0):.2f} 万元，全年执行数合计 {totals.get('actual', 0):.2f} 万元，"
        f"执行率 {rate_text}。",
        f"　　评分等级：{grade_text}。",
        f"　　审核问题：错误 {totals.get('errors', 0)} 个，警告 {totals.get('warnings', 0)} 个"
        "（明细见汇总表“审核问题”工作表）。",
    ]
    if totals.get("errors"):
        lines.append("　　存在错误的自评表正在修改，修改后将重新报送。")
    return lines


def attention_lines(projects: list[dict]) -> list[str]:
    """The projects 未评分 or graded 差, by name, with the reason or the score."""
    lines = []
    unscored = [p for p in projects if p.get("status") == NOT_SCORED]
    if unscored:
        lines.append("　　未评分的项目：" + "；".join(
            f"{p['name']}（{p['reason']}）" if p.get("reason") else p["name"] for p in unscored) + "。")
    poor = [p for p in projects if p.get("grade") == "差"]
    if poor:
        lines.append("　　等级为“差”的项目：" + "；".join(
            f"{p['name']}（核定总分 {p['total']:.2f} 分）" if p.get("total") is not None else p["name"]
            for p in poor) + "。")
    return lines


def unit_part(data: dict, unit: str | None) -> tuple[list[dict], list[dict]]:
    """The projects and issues of one unit (all of them for unit=None), chosen as Batch.for_unit does:
    its projects, the issues of its files, and the batch-level issues about it (U001)."""
    if unit is None:
        return data["projects"], data.get("issues", [])
    return unit_parts(data, [unit])[unit]


def unit_parts(data: dict, units: list[str] | None = None) -> dict[str, tuple[list[dict], list[dict]]]:
    """``unit_part`` of every unit (or of ``units``), in one pass over the results: a mail per unit of a
    city's thousand units must not each scan every project and issue."""
    units = [u.get("name") for u in data.get("units", [])] if units is None else units
    parts: dict[str, tuple[list[dict], list[dict]]] = {unit: ([], []) for unit in units}
    owners: dict[str, set[str]] = {}  # file -> the units whose issues its issues are
    for p in data["projects"]:
        if p.get("unit") in parts:
            parts[p["unit"]][0].append(p)
            owners.setdefault(p.get("file"), set()).add(p["unit"])
    for u in data.get("units", []):
        if u.get("name") in parts and u.get("source"):  # no 单位情况: no file-less issue is its own for that
            owners.setdefault(u["source"], set()).add(u["name"])
    for f in data.get("files", []):
        if f.get("unit") in parts:  # a repeated form's file
            owners.setdefault(f.get("name"), set()).add(f["unit"])
    for i in data.get("issues", []):
        if i.get("file"):
            for unit in owners.get(i["file"], ()):
                parts[unit][1].append(i)
        elif i.get("unit") in parts:  # a batch-level issue (U001) concerns the unit it is about
            parts[i["unit"]][1].append(i)
    return parts


def totals_of(projects: list[dict], issues: list[dict]) -> dict:
    """The figures of result.json's totals (perfeval.result_json.totals) for a part of the batch."""
    def amount(p: dict, column: str) -> float:
        value = ((p.get("funds") or {}).get("total") or {}).get(column) or {}
        return value.get("value") or 0.0

    budget = sum(amount(p, "budget") or amount(p, "initial") for p in projects)
    actual = sum(amount(p, "actual") for p in projects)
    grades: dict[str, int] = {}
    for p in projects:
        key = p.get("grade") or p.get("status")
        grades[key] = grades.get(key, 0) + 1
    return {
        "projects": len(projects),
        "scored": sum(1 for p in projects if p.get("total") is not None),
        "budget": round(budget, 2), "actual": round(actual, 2),
        "rate": round(actual / budget, 6) if budget else None,
        "grades": grades,
        "errors": sum(1 for i in issues if i.get("level") == ERROR),
        "warnings": sum(1 for i in issues if i.get("level") == WARNING),
    }


def run_time(data: dict) -> str:
    """result.json's run time as 2022-03-01 09:30."""
    return str(data.get("run_time", "")).replace("T", " ")[:16]


# --- sending ---------------------------------------------------------------------------------------

def send(message: EmailMessage, settings: SendSettings) -> None:
    """Deliver via smtplib (SMTP, SMTP+STARTTLS, SMTP_SSL), logging in when a user is set. Every failure
    becomes a SendError with a Chinese message: connection refused or timed out (主机、端口), login
    failed, certificate not trusted, no STARTTLS, message too large (checked against max_bytes before
    connecting, and SMTP 552), recipients refused. The password never appears in a message."""
    check_size(message, settings.max_bytes)
    if settings.user and not settings.password:
        raise SendError(f"已指定登录用户 {settings.user}，但没有密码：请设置环境变量 {PASSWORD_ENV}")
    try:
        deliver(message, settings)
    except SendError as exc:
        raise SendError(scrub(str(exc), settings.password)) from None


def check_size(message: EmailMessage, max_bytes: int) -> None:
    """SendError when the attachments together exceed max_bytes (before any connection is made)."""
    total = attachments_size(message)
    if total > max_bytes:
        reports = sum(part.get_filename() != SUMMARY_NAME for part in message.iter_attachments())
        raise oversize(total, max_bytes, message["Subject"], reports)


def oversize(total: int, max_bytes: int, subject: str, reports: int) -> SendError:
    """The refusal of a mail whose attachments (``reports`` reports among them) pass the limit."""
    limit = "在 perfeval.toml 的 [send] 中调整 max_mb（须不超过邮件服务器允许的大小）"
    # only a mail of several units' reports gets smaller by sending unit by unit
    advice = f"请分单位发送（--unit 或 --each-unit），或{limit}" if reports > 1 else f"请{limit}，或通过其他途径报送"
    return SendError(f"附件总大小 {megabytes(total)} 超过上限 {megabytes(max_bytes)}，邮件“{subject}”未发送：{advice}")


def attachments_size(message: EmailMessage) -> int:
    """Total size in bytes of the message's attachments, as files (before base64)."""
    return sum(len(part.get_payload(decode=True) or b"") for part in message.iter_attachments())


def megabytes(size: int) -> str:
    """2411724 -> '2.30 MB'."""
    return f"{size / 1024 / 1024:.2f} MB"


def deliver(message: EmailMessage, settings: SendSettings) -> None:
    """Connect, secure, log in and send, always closing the connection."""
    smtp = connect(settings)
    try:
        if settings.security == "starttls":
            start_tls(smtp, settings)
        if settings.user:
            log_in(smtp, settings)
        transfer(smtp, message, settings)
    except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
        raise SendError(f"与邮件服务器 {settings.address} 的连接意外中断（{exc}）：请稍后重试，"
                        "或检查加密方式（--starttls / --ssl）与端口是否匹配") from None
    except (socket.timeout, TimeoutError):
        raise SendError(f"邮件服务器 {settings.address} 在 {settings.timeout:g} 秒内没有响应：请稍后重试") from None
    finally:
        close_quietly(smtp)


def close_quietly(smtp: smtplib.SMTP) -> None:
    """QUIT, or just drop the socket when the session is already broken."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def tls_context(settings: SendSettings) -> ssl.SSLContext:
    """The system's trusted CAs, plus settings.cafile when given; host names are always checked."""
    context = ssl.create_default_context()
    if settings.cafile:
        try:
            context.load_verify_locations(cafile=settings.cafile)
        except FileNotFoundError:
            raise SendError(f"找不到 CA 证书文件 {settings.cafile}：请检查 perfeval.toml [send] 的 cafile") from None
        except (ssl.SSLError, OSError) as exc:
            raise SendError(f"CA 证书文件 {settings.cafile} 无法读取（{exc}）：应为 PEM 格式的证书") from None
    return context


def connect(settings: SendSettings) -> smtplib.SMTP:
    """An open SMTP session (implicit TLS for security="ssl"), or a SendError naming host:port."""
    context = tls_context(settings) if settings.security != "plain" else None
    host, port, address = settings.host, settings.effective_port, settings.address
    try:
        if settings.security == "ssl":
            return smtplib.SMTP_SSL(host, port, timeout=settings.timeout, context=context)
        return smtplib.SMTP(host, port, timeout=settings.timeout)
    except ssl.SSLCertVerificationError as exc:
        raise certificate_error(settings, exc) from None
    except ssl.SSLError as exc:
        raise SendError(f"与邮件服务器 {address} 建立 SSL 加密连接失败（{exc.reason or exc}）："
                        "请确认该端口使用 SSL 直连（通常为 465 端口）；587 端口请改用 --starttls") from None
    except ConnectionRefusedError:
        raise SendError(f"无法连接邮件服务器 {address}：连接被拒绝。请检查主机、端口是否正确，"
                        "以及邮件服务器是否已启动") from None
    except socket.gaierror:
        raise SendError(f"找不到邮件服务器 {host}（主机名无法解析）：请检查主机名和网络连接") from None
    except (socket.timeout, TimeoutError):
        raise SendError(f"连接邮件服务器 {address} 超时（{settings.timeout:g} 秒）：请检查主机、端口和网络，"
                        "以及防火墙是否放行该端口；SSL 直连的端口（通常为 465）请加 --ssl") from None
    except smtplib.SMTPConnectError as exc:
        raise SendError(f"邮件服务器 {address} 拒绝连接（{reply(exc)}）：请稍后重试或联系邮件管理员") from None
    except smtplib.SMTPServerDisconnected:
        raise SendError(f"邮件服务器 {address} 连接后立即断开：请检查端口与加密方式（--starttls / --ssl）"
                        "是否匹配") from None
    except OSError as exc:
        raise SendError(f"无法连接邮件服务器 {address}（{exc.strerror or exc}）：请检查主机、端口和网络") from None


def start_tls(smtp: smtplib.SMTP, settings: SendSettings) -> None:
    """Upgrade the session with STARTTLS, checking the server's certificate."""
    smtp.ehlo()
    if not smtp.has_extn("starttls"):
        raise SendError(f"邮件服务器 {settings.address} 不支持 STARTTLS 加密：如服务器使用 SSL 直连"
                        "（通常为 465 端口），请改用 --ssl；否则请向邮件管理员确认加密方式")
    try:
        smtp.starttls(context=tls_context(settings))
    except ssl.SSLCertVerificationError as exc:
        raise certificate_error(settings, exc) from None
    except ssl.SSLError as exc:
        raise SendError(f"与邮件服务器 {settings.address} 协商 STARTTLS 加密失败（{exc.reason or exc}）") from None
    except smtplib.SMTPResponseException as exc:
        raise SendError(f"邮件服务器 {settings.address} 拒绝 STARTTLS（{reply(exc)}）") from None
    smtp.ehlo()


def certificate_error(settings: SendSettings, exc: ssl.SSLCertVerificationError) -> SendError:
    """The message for a server certificate that is not trusted or does not match the host."""
    return SendError(f"证书校验失败：邮件服务器 {settings.address} 的证书不受信任或与主机名不符"
                     f"（{exc.verify_message or exc.reason}）。请确认服务器地址正确；单位内部邮件服务器使用"
                     "自有证书时，请在 perfeval.toml 的 [send] 中用 cafile 指定其 CA 证书文件")


def log_in(smtp: smtplib.SMTP, settings: SendSettings) -> None:
    """AUTH with settings.user and the password from the environment."""
    try:
        smtp.login(settings.user, settings.password)
    except UnicodeEncodeError:
        # smtplib encodes AUTH PLAIN/LOGIN credentials as ASCII (Python 3.11), whatever the server allows
        raise SendError(f"用户名或密码含有汉字等非 ASCII 字符，无法登录邮件服务器 {settings.address}："
                        f"请改用邮箱提供的“授权码”（通过环境变量 {PASSWORD_ENV} 提供）") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(f"登录邮件服务器 {settings.address} 失败：用户名或密码错误（{reply(exc)}）。"
                        f"用户名为 {settings.user}，密码请通过环境变量 {PASSWORD_ENV} 提供；"
                        "部分邮箱须使用“授权码”而不是登录密码") from None
    except smtplib.SMTPNotSupportedError:
        hint = ("服务器可能要求先加密：请加 --starttls 或 --ssl" if settings.security == "plain"
                else "如该服务器无须登录，请不要指定 --user")
        raise SendError(f"邮件服务器 {settings.address} 未提供登录（AUTH）功能：{hint}") from None
    except smtplib.SMTPResponseException as exc:
        raise SendError(f"登录邮件服务器 {settings.address} 失败（{reply(exc)}）") from None
    except smtplib.SMTPException as exc:
        raise SendError(f"登录邮件服务器 {settings.address} 失败（{exc}）：服务器支持的登录方式与本程序不兼容，"
                        "请联系邮件管理员") from None


def transfer(smtp: smtplib.SMTP, message: EmailMessage, settings: SendSettings) -> None:
    """MAIL, RCPT, DATA; refusals become SendErrors (552: too large; 530: log in or encrypt first)."""
    try:
        refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendError("邮件服务器拒收全部收件人：" + refusals(exc.recipients)
                        + "。请检查收件人地址；如服务器只允许登录后发往外部地址，请用 --user 登录") from None
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        raise SendError(refused_message(exc, message, settings)) from None
    except smtplib.SMTPNotSupportedError as exc:
        raise SendError(f"邮件服务器 {settings.address} 不支持本邮件所需的功能（{exc}）") from None
    if refused:
        delivered = [a for a in message["To"].addresses if a.addr_spec not in refused]
        raise SendError(f"邮件已发给 {'、'.join(a.addr_spec for a in delivered) or '无'}，但以下收件人被拒收："
                        + refusals(refused) + "。请检查这些地址后单独重发")


def refused_message(exc: smtplib.SMTPResponseException, message: EmailMessage, settings: SendSettings) -> str:
    """Why the server refused the sender or the data, with what to do."""
    text = reply(exc)
    if exc.smtp_code == 552:
        return (f"邮件过大，邮件服务器拒收（{text}）：附件总大小 {megabytes(attachments_size(message))}。"
                "请分单位发送（--unit 或 --each-unit），或改用服务器允许的大小")
    if exc.smtp_code == 530 and "starttls" in text.lower():
        return f"邮件服务器 {settings.address} 要求先加密（{text}）：请加 --starttls"
    if exc.smtp_code == 530:
        return (f"邮件服务器 {settings.address} 要求先登录（{text}）：请用 --user 指定用户名，"
                f"并通过环境变量 {PASSWORD_ENV} 提供密码")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"邮件服务器拒绝发件人 {exc.sender}（{text}）：请检查 --from 是否与登录用户一致"
    return f"邮件服务器拒收邮件（{text}）"


def refusals(recipients: dict) -> str:
    """{'a@x': (550, b'no such user')} -> 'a@x（550 no such user）'."""
    return "；".join(f"{address}（{code} {decode(text)}）" for address, (code, text) in recipients.items())


def reply(exc: smtplib.SMTPResponseException) -> str:
    """The server's answer as '535 5.7.8 Authentication credentials invalid'."""
    return f"{exc.smtp_code} {decode(exc.smtp_error)}".strip()


def decode(text: bytes | str) -> str:
    """A server reply as text, whatever its encoding."""
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def scrub(text: str, password: str | None) -> str:
    """The text with the password masked, should a server ever echo it back in a reply."""
    return text.replace(password, "******") if password else text


# --- dry run -------------------------------------------------------------------------------------

def write_eml(message: EmailMessage, path: Path) -> Path:
    """--dry-run: write the message as .eml (the bytes smtplib would send, CRLF line ends) and return
    the path. Written to a temporary name and renamed, so a failure leaves no half-written file."""
    path = Path(path)
    data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        staging.write_bytes(data)
        os.replace(staging, path)
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise SendError(f"无法写入邮件文件 {path}（{exc.strerror or exc}）") from None
    return path
