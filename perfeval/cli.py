"""The command line: parse options, call the library, choose the exit code (PRODUCT.md).

Exit codes: 0 all projects scored and no errors; 1 outputs written but some forms have errors;
2 usage or configuration error; 3 nothing readable in the input; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import errno
import gc
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from itertools import chain
from pathlib import Path

import click

from perfeval import EXIT_INTERRUPTED, INTERRUPTED, __version__, checks
from perfeval.discover import is_archive
from perfeval.model import ERROR, WARNING, Batch
from perfeval.outputs import finish_interrupted, unfinished
from perfeval.pipeline import RETURNS_DIR, Outputs, Progress
from perfeval.rules import RulesError, load_rules
from perfeval.workers import default_jobs, start_early

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_NOTHING = 0, 1, 2, 3

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class ConfigError(click.ClickException):
    """A bad option or rules file: exit code 2 and a Chinese message, no traceback."""

    exit_code = EXIT_USAGE
    prefix = "配置错误"

    def show(self, file=None) -> None:
        click.echo(f"{self.prefix}：{self.format_message()}", err=True)


class SendFailed(ConfigError):
    """The mail could not be delivered (server, login, TLS, size): exit code 2, no traceback."""

    prefix = "发送失败"


def _help(f):
    return click.help_option("-h", "--help", help="显示本帮助并退出")(f)


# ---- click's own words in Chinese: the help's headings and notes, and the usage errors ---------------

_HEADINGS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}
_NOTES = ((re.compile(r"\[default: "), "[默认："), (re.compile(r"\brequired\b(?=[^\[]*\]$)"), "必填"))


class _Formatter(click.HelpFormatter):
    """click's help with Chinese headings and notes. Option names and value names (FILE, INTEGER) stay as
    typed: click aligns the columns by characters, and a Chinese value name, two columns wide, would
    push its row out of line."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args.replace("[OPTIONS]", "[选项]").replace("COMMAND [ARGS]...", "命令 [参数]..."),
                            prefix="用法：")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{_HEADINGS.get(heading, heading)}：\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, _notes(text)) for term, text in rows], col_max, col_spacing)


class _Context(click.Context):
    formatter_class = _Formatter


class _Command(click.Command):
    context_class = _Context


class _Group(click.Group):
    context_class = _Context
    command_class = _Command  # the class of every @main.command


def _notes(text: str) -> str:
    for pattern, new in _NOTES:
        text = pattern.sub(new, text)
    return text


_KINDS = {"Path": "路径", "File": "文件", "Directory": "文件夹"}
_NUMBERS = {"integer": "整数", "float": "数字"}
# click's suggestions: "Did you mean '--jobs'?" (8.1–8.4), "(Possible options: --jobs, --json)" (8.1–8.3),
# "(Did you mean one of: '--jobs', '--json'?)" (8.4)
_SUGGESTED = r"(?:\s+(?:Did you mean (.+?)\?|\((?:Did you mean one of: (.+?)\?|Possible options: (.+?))\)))?$"


def _suggested(m: re.Match) -> str:
    names = m[2] or m[3] or m[4]
    return f"，是否要用 {names.replace(', ', ' 或 ')}？" if names else ""


# click 8's usage messages (exceptions.py, types.py, parser.py), most specific first; a message of
# another form is shown as it is
_USAGE_ERRORS = (
    (re.compile(r"^Invalid value for (.+?): (.*)$", re.S), lambda m: f"{m[1]} 的值无效：{_usage_message(m[2])}"),
    (re.compile(r"^(.+?) is not in the range (.+?)\.?$"), lambda m: f"{m[1]} 不在允许的范围 {m[2]} 内"),
    (re.compile(r"^(.+?) is not a valid (integer|float)(?: range)?\.?$"), lambda m: f"{m[1]} 不是{_NUMBERS[m[2]]}"),
    (re.compile(r"^(Path|File|Directory) (.+?) does not exist\.?$"), lambda m: f"{_KINDS[m[1]]} {m[2]} 不存在"),
    (re.compile(r"^(Path|File|Directory) (.+?) is a directory\.?$"), lambda m: f"{m[2]} 是文件夹，这里需要文件"),
    (re.compile(r"^(Path|File|Directory) (.+?) is a file\.?$"), lambda m: f"{m[2]} 是文件，这里需要文件夹"),
    (re.compile(r"^(Path|File|Directory) (.+?) is not readable\.?$"), lambda m: f"{m[2]} 没有读取权限"),
    (re.compile(r"^Missing argument (.+?)\.?$"), lambda m: f"缺少参数 {m[1]}"),
    (re.compile(r"^Missing option (.+?)\.?$"), lambda m: f"缺少选项 {m[1]}"),
    (re.compile(r"^No such option:? (\S+?)\.?" + _SUGGESTED), lambda m: f"没有选项 {m[1]}{_suggested(m)}"),
    (re.compile(r"^No such command (\S+?)\.?" + _SUGGESTED), lambda m: f"没有命令 {m[1]}{_suggested(m)}"),
    (re.compile(r"^Option (.+?) requires (?:an argument|\d+ arguments)\.?$"), lambda m: f"选项 {m[1]} 后面需要给出值"),
    (re.compile(r"^Option (.+?) does not take a value\.?$"), lambda m: f"选项 {m[1]} 后面不能有值"),
    (re.compile(r"^Got unexpected extra arguments? \((.+)\)$"), lambda m: f"多余的参数：{m[1]}"),
)


def _usage_message(text: str) -> str:
    """A click usage message in Chinese; one of an unknown form as it is."""
    for pattern, chinese in _USAGE_ERRORS:
        m = pattern.match(text.strip())
        if m:
            return chinese(m)
    return text


def _usage_error(exc: click.UsageError) -> None:
    if exc.ctx is not None:
        click.echo(exc.ctx.get_usage(), err=True)
        click.echo(f"查看帮助：{exc.ctx.command_path} -h\n", err=True)
    click.echo(f"错误：{_usage_message(exc.format_message())}", err=True)


@click.group(cls=_Group, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", message="perfeval %(version)s", help="显示版本并退出")
@_help
def main() -> None:
    """perfeval：项目支出绩效自评批量审核、评分与报告工具。

    把各项目填好的《项目支出绩效自评表》放进一个文件夹，一条命令完成读取、审核、评分，
    生成汇总表、Word 自评报告和退回修改的标注副本。

    \b
    示例：
      perfeval template -o 模板
      perfeval check 收件箱/
      perfeval run examples/seed-2021 -o output
    """


def _load_rules(rules_file: Path | None, inbox: Path | None = None):
    try:
        return load_rules(rules_file, inbox=inbox)
    except RulesError as exc:
        raise ConfigError(str(exc)) from None


@main.command(context_settings=CONTEXT)
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="模板写入的文件夹")
@click.option("--year", type=click.IntRange(2000, 2100), default=2021, show_default=True, help="自评年度")
@click.option("--projects", "project_list", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="项目清单（项目名称、项目编码、主管部门、实施单位、年初预算数、全年预算数、项目类型、资金用途），"
                   "为每个项目生成一份预填的自评表")
@_help
def template(outdir: Path, year: int, project_list: Path | None) -> None:
    """生成空白的《项目支出绩效自评表》和《单位情况》模板；给出项目清单时为每个项目生成预填的自评表。

    \b
    示例：
      perfeval template -o 模板 --year 2021
      perfeval template -o 待填报 --projects 项目清单.xlsx
    """
    from perfeval import template as forms

    if project_list is None:
        written = forms.write_templates(outdir, year)
    else:
        try:
            projects = forms.read_project_list(project_list)
        except forms.ProjectListError as exc:
            raise ConfigError(str(exc)) from None
        written = forms.write_prefilled(projects, outdir, year)
        unit_file = outdir / forms.UNIT_FILE
        forms.write_unit_sheet(unit_file, year=year)
        written.append(unit_file)
    for path in written:
        click.echo(f"已生成 {path}")


@main.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--rules", "rules_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="评分规则文件（TOML）；默认使用收件箱中的 perfeval.toml")
@click.option("--year", type=click.IntRange(2000, 2100), help="评价年度（默认取单位情况或表头年度）")
@click.option("--jobs", type=click.IntRange(1, 64), help="读取的并行进程数（默认为 CPU 核数）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出审核结果")
@click.option("-q", "--quiet", is_flag=True, help="只输出合计行")
@_help
def check(paths: tuple[Path, ...], rules_file: Path | None, year: int | None, jobs: int | None, as_json: bool,
          quiet: bool) -> None:
    """只审核，不生成文件：列出每个文件的问题，退出码表示是否有错误。

    \b
    示例：
      perfeval check 收件箱/
      perfeval check 项目A.xlsx 项目B.xls --json
    """
    started = time.perf_counter()
    start_early(jobs or default_jobs())
    from perfeval.pipeline import evaluate
    from perfeval.result_json import sections

    inbox = paths[0] if len(paths) == 1 and paths[0].is_dir() else None
    rules = _load_rules(rules_file, inbox)
    with _progress(quiet or as_json) as progress:
        batch = evaluate(list(paths), rules, year, jobs=jobs or default_jobs(), progress=progress)
    if as_json:
        _echo_json_sections(*sections(batch), indent=1, default=str)
    else:
        if not quiet:
            _print_issues(batch)
        click.echo(_summary_line(batch, None if quiet else time.perf_counter() - started))
    sys.exit(_exit_code(batch))


@main.command(context_settings=CONTEXT)
@click.argument("inbox", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--output", "outdir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="输出文件夹")
@click.option("--rules", "rules_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="评分规则文件（TOML）；默认使用收件箱中的 perfeval.toml")
@click.option("--year", type=click.IntRange(2000, 2100), help="评价年度（默认取单位情况或表头年度）")
@click.option("--jobs", type=click.IntRange(1, 64), help="读取和生成退回修改副本的并行进程数（默认为 CPU 核数）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出运行摘要")
@click.option("-q", "--quiet", is_flag=True, help="不输出过程信息")
@_help
def run(inbox: Path, outdir: Path, rules_file: Path | None, year: int | None, jobs: int | None,
        as_json: bool, quiet: bool) -> None:
    """批量处理：读取、审核、评分，生成汇总表、自评报告、退回修改副本和 result.json。

    \b
    示例：
      perfeval run examples/seed-2021 -o output
      perfeval run 收件箱/ -o 输出/ --rules perfeval.toml --year 2021
    """
    started = time.perf_counter()
    jobs = jobs or default_jobs()
    start_early(jobs)
    from perfeval import pipeline
    from perfeval.result_json import totals

    rules = _load_rules(rules_file, inbox)
    _check_outdir(inbox, outdir)
    with _progress(quiet or as_json) as progress:
        batch = pipeline.evaluate([inbox], rules, year, exclude=outdir, jobs=jobs, progress=progress)
        if not batch.results:
            progress.finish()
            _print_issues(batch)
            click.echo("没有读到任何自评表，未生成输出。请检查文件夹中是否有填好的自评表。", err=True)
            sys.exit(EXIT_NOTHING)
        gc.enable()  # the writers build and drop cyclic structures (documents, workbooks)
        try:
            outputs = pipeline.write_outputs(batch, outdir, jobs, progress)
        except OSError as exc:  # the disk filled up, the folder was removed or locked meanwhile
            progress.finish()
            _outdir_failed(outdir, exc)
        batch = outputs.batch
    elapsed = time.perf_counter() - started
    if as_json:
        _echo_json({"totals": totals(batch), "outputs": {
            "summary": str(outputs.summary), "reports": [str(p) for p in outputs.reports], "result": str(outputs.result),
            "returns": [str(p) for p in outputs.returns]}, "seconds": round(elapsed, 3)})
    elif not quiet:
        t = totals(batch)
        read = _files_read(batch)
        click.echo(f"读取文件 {read} 个，无法读取或无自评表 {len(batch.files) - read} 个；"
                   f"项目 {t['projects']} 个，已评分 {t['scored']} 个；错误 {t['errors']} 个，警告 {t['warnings']} 个。")
        if batch.ignored:
            click.echo(f"已忽略非电子表格文件：{_some(batch.ignored)}")
            archives = [name for name in batch.ignored if is_archive(name)]
            if archives:
                click.echo(f"其中压缩包未解压：{_some(archives)}；如含自评表，请解压后放入收件文件夹再运行")
        click.echo(f"全年预算数合计 {t['budget']:.2f} 万元，全年执行数合计 {t['actual']:.2f} 万元，"
                   f"执行率 {(t['rate'] or 0) * 100:.2f}%。")
        click.echo(_outputs_line(outputs))
        click.echo(f"用时 {elapsed:.2f} 秒。")
    sys.exit(_exit_code(batch))


@main.command(context_settings=CONTEXT)
@click.argument("outdir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--to", "to", multiple=True, help="收件人邮箱，可多次给出（也可在 perfeval.toml 的 [send] 中设置 to）")
@click.option("--smtp-host", help="SMTP 服务器地址")
@click.option("--smtp-port", type=click.IntRange(1, 65535), help="SMTP 端口（默认 25，STARTTLS 587，SSL 465）")
@click.option("--starttls", "security", flag_value="starttls", help="使用 STARTTLS 加密")
@click.option("--ssl", "security", flag_value="ssl", help="使用 SSL/TLS 直连加密")
@click.option("--user", help="SMTP 登录用户名；密码只从环境变量 PERFEVAL_SMTP_PASSWORD 读取")
@click.option("--from", "sender", help="发件人地址（默认同用户名）")
@click.option("--unit", help="多单位批次中只发送该单位的报告（附合并汇总表）")
@click.option("--each-unit", is_flag=True, help="多单位批次中每个单位各发一封邮件")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="配置文件（默认当前文件夹的 perfeval.toml）")
@click.option("--dry-run", is_flag=True, help="不发送，把邮件写成 .eml 文件放在输出文件夹中")
@_help
def send(outdir: Path, to: tuple[str, ...], smtp_host: str | None, smtp_port: int | None, security: str | None,
         user: str | None, sender: str | None, unit: str | None, each_unit: bool, config_file: Path | None,
         dry_run: bool) -> None:
    """把汇总表和自评报告通过邮件发送给财政局。

    \b
    示例：
      export PERFEVAL_SMTP_PASSWORD=授权码
      perfeval send output --to jxk@czj.example.gov.cn --smtp-host smtp.example.com --ssl --user me@example.com
      perfeval send output --to jxk@czj.example.gov.cn --dry-run
    """
    from perfeval import send as mail

    if unit is not None and each_unit:
        raise click.UsageError("--unit 与 --each-unit 不能同时使用：只发一个单位用 --unit，每个单位各发一封用 --each-unit")
    try:
        config = mail.read_config(config_file or (Path("perfeval.toml") if Path("perfeval.toml").is_file() else None))
        settings = mail.settings_from(config, host=smtp_host, port=smtp_port, security=security, user=user,
                                      sender=sender)
        recipients = list(to) or mail.recipients_in(config)
        if not recipients:
            raise mail.SendError("没有收件人：请用 --to 指定，或在 perfeval.toml 的 [send] 中设置 to")
        mail.finish_outputs(outdir)  # a run killed while putting them in place: finished, never mailed half
        for eml, message in mail.outgoing(outdir, recipients, settings.sender or "perfeval@localhost", unit,
                                          each_unit, settings.max_bytes, refuse_oversize=not dry_run):
            if dry_run:
                path = mail.write_eml(message, outdir / eml)
                click.echo(f"已写入邮件文件 {path}（未发送）")
            else:
                mail.send(message, settings)
                click.echo(f"已发送“{message['Subject']}”至 {'、'.join(recipients)}")
    except mail.SendError as exc:
        raise SendFailed(str(exc)) from None


@main.command(context_settings=CONTEXT)
@click.option("--rules", "rules_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="评分规则文件（TOML）")
@_help
def rules(rules_file: Path | None) -> None:
    """显示生效的评分规则（预设 + 规则文件）。

    \b
    示例：
      perfeval rules
      perfeval rules --rules perfeval.toml
    """
    effective = _load_rules(rules_file, Path.cwd() if rules_file is None else None)
    for key, value, doc in effective.describe():
        click.echo(f"{key:<18} {value:<40} {doc}")


@main.command("list-checks", context_settings=CONTEXT)
@_help
def list_checks() -> None:
    """列出全部审核规则（编号、级别、说明）。

    \b
    示例：
      perfeval list-checks
    """
    for entry in sorted(checks.REGISTRY.values(), key=lambda c: (c.code[0] != "F", c.code)):
        click.echo(f"{entry.code}  {entry.level}  {entry.title}")


class _Bar(Progress):
    """A progress bar on the terminal for batches of more than a few files."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar = None

    def start(self, label: str, total: int) -> None:
        self.finish()
        if self.enabled and total > PROGRESS_FROM:
            self.bar = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)
            self.bar.__enter__()

    def advance(self, steps: int) -> None:
        if self.bar is not None:
            self.bar.update(steps)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __enter__(self) -> "_Bar":
        return self

    def __exit__(self, *exc) -> None:
        self.finish()


PROGRESS_FROM = 5  # files


def _progress(silent: bool) -> _Bar:
    return _Bar(not silent and sys.stdout.isatty())


def _some(names) -> str:
    """'a、b、c、d、e 等 7 个': the first five names of a list."""
    return "、".join(names[:5]) + (f" 等 {len(names)} 个" if len(names) > 5 else "")


def _tolerant_output() -> None:
    """A console or redirected output in a legacy encoding (GBK on a Chinese Windows, zh_CN.GBK on
    Linux) cannot show every character of a file name (an emoji, a bidi control): such a character
    is printed as "?" instead of ending the run with a traceback after its work was done."""
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) == "strict" and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):  # a stream that cannot change: left as it is
                pass


def _echo_json(data: dict, **options) -> None:
    """JSON on stdout, as text when the output's encoding can take every string in it, else with every
    non-ASCII character escaped: never a lossy "?" in what a program reads."""
    if sys.stdout is None:  # pythonw: nowhere to write, as click.echo would have it
        return
    sys.stdout.write(_json_encoder([data], **options).encode(data) + "\n")
    sys.stdout.flush()


def _echo_json_sections(head: dict, lists: dict, **options) -> None:
    """``_echo_json`` of ``head`` followed by ``lists`` (key -> a function giving the list's items), as
    ``json.dumps`` with ``indent`` writes the whole, without ever holding the lists: a city's ``check --json``
    is 200 MB of text from 10,000 projects' dicts (630 MB at the peak when built whole). The items are made
    twice, once to see whether the output's encoding can take all their text, once to write them."""
    from perfeval.result_json import write_list

    if sys.stdout is None:
        return
    encode = _json_encoder(chain([head], (item for items in lists.values() for item in items())), **options).encode
    step = " " * options.get("indent", 0)

    def nested(text: str) -> str:  # an item's text two levels in (JSON text holds no raw line break)
        return step * 2 + text.replace("\n", "\n" + step * 2)

    sys.stdout.write(encode(head)[:-2])  # without "\n}"
    for key, items in lists.items():
        sys.stdout.write(f",\n{step}{encode(key)}: ")
        write_list(sys.stdout, (nested(encode(item)) for item in items()), ",\n", ("\n", "\n" + step))
    sys.stdout.write("\n}\n")
    sys.stdout.flush()


def _json_encoder(values: Iterable, **options) -> json.JSONEncoder:
    """The encoder for ``values`` on stdout: escaping non-ASCII only when the output's encoding cannot take
    some string of them."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    default = options.get("default", str)
    escaped = not all(_encodable(value, encoding, default) for value in values)
    return json.JSONEncoder(ensure_ascii=escaped, **options)


def _encodable(value, encoding: str, default) -> bool:
    """Whether every string in ``value`` (as JSON would write it: ``default`` for other objects) can be
    written in ``encoding``."""
    stack = [value]
    try:
        "".encode(encoding)  # an encoding Python does not know: escape everything
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                if not item.isascii():
                    item.encode(encoding)
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, (list, tuple)):
                stack.extend(item)
            elif item is not None and not isinstance(item, (bool, int, float)):
                stack.append(default(item))
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def run_main() -> None:
    """The console script: Ctrl-C ends the run cleanly, leaving the previous outputs as they were."""
    _tolerant_output()
    # One short-lived batch holds hundreds of thousands of small objects that all live to the end:
    # the cyclic collector would only rescan them again and again (measured: ~15% of a 10,000-form run).
    gc.freeze()
    gc.disable()
    try:
        code = main(standalone_mode=False)  # click's own mode turns Ctrl-C into "Aborted!" and exit 1
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo(INTERRUPTED, err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.exceptions.UsageError as exc:
        _usage_error(exc)
        sys.exit(exc.exit_code)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _check_outdir(inbox: Path, outdir: Path) -> None:
    """Refuse, before any work, an output folder that is the inbox (or holds it) or cannot be written."""
    try:
        inside = inbox.resolve() == outdir.resolve() or outdir.resolve() in inbox.resolve().parents
    except (OSError, RuntimeError):
        inside = False
    if inside:
        click.echo(f"输出文件夹 {outdir} 就是收件箱（或包含收件箱），输出会与报送的文件混在一起；"
                   "请用 -o 指定另一个文件夹", err=True)
        sys.exit(EXIT_USAGE)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=outdir).close()
        finish_interrupted(outdir)  # a killed run's outputs that cannot be put in place: say so before any work
    except OSError as exc:
        _outdir_failed(outdir, exc)


def _outdir_failed(outdir: Path, exc: OSError) -> None:
    reason = {errno.ENOTDIR: "路径中有同名的文件", errno.EACCES: "没有写入权限", errno.EPERM: "没有写入权限",
              errno.ENOSPC: "磁盘已满", errno.EROFS: "磁盘只读", errno.EEXIST: "已有同名文件",
              errno.EISDIR: "输出文件名被同名文件夹占用", errno.EFBIG: "文件超过系统或磁盘允许的大小",
              errno.EDQUOT: "磁盘配额已用完"}.get(exc.errno, "系统错误")
    kept = ("有一组已全部生成的输出尚未全部放入该文件夹（已放入的是新的输出），下次运行 perfeval run 或 perfeval send "
            "时会自动补全" if outdir.is_dir() and unfinished(outdir) else "之前的输出保持不变")
    click.echo(f"无法写入输出文件夹 {outdir}（{reason}，错误号 {exc.errno}）：{kept}。"
               "请检查该路径是否是文件、磁盘是否已满、是否有写入权限、其中的文件是否在其他程序中打开，或用 -o 指定另一个文件夹", err=True)
    sys.exit(EXIT_USAGE)


def _print_issues(batch: Batch) -> None:
    by_file: dict[str, list] = defaultdict(list)
    for issue in batch.issues:
        by_file[issue.file or "（本批）"].append(issue)
    for file, found in by_file.items():
        click.echo(f"\n{file}")
        for i in found:
            where = f"{i.sheet}!{i.cell}" if i.cell else (i.sheet or "—")
            colour = {ERROR: "red", WARNING: "yellow"}.get(i.level)
            click.echo("  " + click.style(f"{i.level}", fg=colour) + f"  {where:<24} {i.code}  {i.message}")


MAX_LISTED_REPORTS = 3


def _outputs_line(outputs: Outputs) -> str:
    """Where the run wrote its outputs. The units' reports are counted, not listed, past a few: a city's
    batch has dozens, and a line of dozens of paths hides the rest of the summary."""
    reports = [str(p) for p in outputs.reports]
    if len(reports) > MAX_LISTED_REPORTS:
        reports = [f"各单位绩效自评报告 {len(reports)} 份在 {outputs.folder}"]
    returns = f"，退回修改副本 {len(outputs.returns)} 份在 {outputs.folder / RETURNS_DIR}" if outputs.returns else ""
    return f"输出：{outputs.summary}、{'、'.join(reports)}、{outputs.result}{returns}"


def _files_read(batch: Batch) -> int:
    """The files a form was read from (a repeated one too); the others could not be read or hold none."""
    return sum(1 for f in batch.files if f.status in ("已读取", "重复提交"))


def _summary_line(batch: Batch, elapsed: float | None) -> str:
    """check's closing line: what was read and scored, what was found, and how long it took (``elapsed``;
    None under -q, whose line a script may compare from run to run)."""
    from perfeval.result_json import totals

    t = totals(batch)
    return (f"合计：文件 {len(batch.files)} 个（无法读取或无自评表 {len(batch.files) - _files_read(batch)} 个），"
            f"项目 {t['projects']} 个（已评分 {t['scored']} 个），错误 {t['errors']} 个，警告 {t['warnings']} 个，"
            f"提示 {t['infos']} 个" + (f"；用时 {elapsed:.2f} 秒" if elapsed is not None else ""))


def _exit_code(batch: Batch) -> int:
    if not batch.results:
        return EXIT_NOTHING
    return EXIT_ERRORS if any(i.level == ERROR for i in batch.issues) else EXIT_OK
