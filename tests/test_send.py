"""perfeval send: the seed example's real outputs, e-mailed to a real SMTP server (aiosmtpd) on 127.0.0.1.

Three aiosmtpd 1.4.6 quirks shape the fixtures (LIBRARIES.md §6): port=0 is not supported, so a free
port is picked first; a failed login must return AuthResult(success=False, handled=False) or no reply
is sent and the client hangs; with implicit TLS, AUTH is only offered when auth_require_tls=False.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import ssl
import time
import tomllib
from contextlib import contextmanager
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from perfeval import pipeline
from perfeval.returns import safe_file_name
from perfeval.rules import load_rules
from perfeval.send import PASSWORD_ENV, SendError, SendSettings, compose, send, settings_from, write_eml

SEED = Path(__file__).resolve().parent.parent / "examples" / "seed-2021"
UNIT = "长沙市开福区金融事务中心"
SUBJECT = f"{UNIT}2021年度项目支出绩效自评材料"
TO = ["jxk@czj.example.gov.cn"]
USER = "jxzx@kaifu.example.gov.cn"
PASSWORD = "Kf-auth-7731"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
def outdir(tmp_path_factory) -> Path:
    """A real output folder: the bundled seed example through the whole pipeline."""
    out = tmp_path_factory.mktemp("out")
    pipeline.run(SEED, out, load_rules())
    return out


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def cafile(ca, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture(scope="module")
def server_tls(ca) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


class Inbox:
    """aiosmtpd handler that keeps every envelope it accepts."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def check_login(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            USER.encode(), PASSWORD.encode()):
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(**options):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), server_hostname="localhost",
                            **options)
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def received(inbox: Inbox):
    assert len(inbox.envelopes) == 1
    return BytesParser(policy=policy.default).parsebytes(inbox.envelopes[0].original_content)


def attachments(message) -> dict[str, tuple[str, str]]:
    """file name -> (MIME type, sha256 of the bytes)."""
    return {part.get_filename(): (part.get_content_type(), hashlib.sha256(part.get_content()).hexdigest())
            for part in message.iter_attachments()}


def on_disk(outdir: Path, *names: str) -> dict[str, str]:
    return {name: hashlib.sha256((outdir / name).read_bytes()).hexdigest() for name in names}


def exception_chain(exc: BaseException) -> list[BaseException]:
    chain = []
    while exc is not None:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def settings(port: int, **options) -> SendSettings:
    return SendSettings(host="127.0.0.1", port=port, timeout=5, **options)


# --- delivery ------------------------------------------------------------------------------------

def test_plain_smtp_delivers_summary_body_and_attachments(outdir):
    with smtp_server() as (inbox, port):
        send(compose(outdir, TO, "perfeval@kaifu.example.gov.cn"), settings(port))
    message = received(inbox)
    assert inbox.envelopes[0].rcpt_tos == TO
    assert message["Subject"] == SUBJECT
    assert message["From"].addresses[0].display_name == UNIT
    body = message.get_body(("plain",)).get_content()
    for text in ("5 个项目", "238.80 万元", "114.35 万元", "47.89%", "优 4 个", "中 1 个", "警告 6 个"):
        assert text in body
    assert "None" not in body
    got = attachments(message)
    expected = on_disk(outdir, "绩效自评汇总.xlsx", "绩效自评报告.docx")
    assert got == {"绩效自评汇总.xlsx": (XLSX, expected["绩效自评汇总.xlsx"]),
                   "绩效自评报告.docx": (DOCX, expected["绩效自评报告.docx"])}
    # RFC 2231 on the wire, so that the Chinese names survive every client
    assert b"filename*=utf-8''%E7%BB%A9%E6%95%88" in inbox.envelopes[0].original_content


def test_starttls_with_login_delivers(outdir, server_tls, cafile, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with smtp_server(tls_context=server_tls, require_starttls=True, authenticator=check_login,
                     auth_require_tls=True) as (inbox, port):
        config = {"host": "127.0.0.1", "security": "starttls", "timeout": 5, "cafile": cafile}
        chosen = settings_from(config, port=port, user=USER, host=None, security=None, sender=None)
        send(compose(outdir, TO, chosen.sender), chosen)
    assert received(inbox)["Subject"] == SUBJECT
    assert inbox.envelopes[0].mail_from == USER
    assert PASSWORD not in repr(chosen)


def test_wrong_password_is_a_chinese_error_without_the_password(outdir, server_tls, cafile, monkeypatch):
    wrong = "wrong-secret-0042"
    monkeypatch.setenv(PASSWORD_ENV, wrong)
    with smtp_server(tls_context=server_tls, require_starttls=True, authenticator=check_login,
                     auth_require_tls=True) as (inbox, port):
        chosen = settings_from({"security": "starttls", "cafile": cafile}, host="127.0.0.1", port=port,
                               user=USER, timeout=5)
        started = time.monotonic()
        with pytest.raises(SendError) as caught:
            send(compose(outdir, TO, USER), chosen)
    assert time.monotonic() - started < 3  # a real 535 reply, not a client timeout
    assert "用户名或密码错误" in str(caught.value) and PASSWORD_ENV in str(caught.value)
    assert wrong not in str(caught.value) and wrong not in repr(caught.value)
    assert caught.value.__suppress_context__  # a traceback shows only the Chinese message
    assert all(wrong not in repr(e) for e in exception_chain(caught.value))
    assert inbox.envelopes == []


def test_non_ascii_password_is_an_error_not_a_crash(outdir, server_tls, cafile):
    secret = "授权码-0042"
    with smtp_server(ssl_context=server_tls, authenticator=check_login, auth_require_tls=False) as (inbox, port):
        with pytest.raises(SendError, match="非 ASCII") as caught:
            send(compose(outdir, TO, USER), settings(port, security="ssl", cafile=cafile, user=USER,
                                                      password=secret))
    assert secret not in str(caught.value)
    assert inbox.envelopes == []


def test_implicit_tls_delivers(outdir, server_tls, cafile, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with smtp_server(ssl_context=server_tls, authenticator=check_login, auth_require_tls=False) as (inbox, port):
        send(compose(outdir, TO, USER), settings(port, security="ssl", cafile=cafile, user=USER,
                                                  password=PASSWORD))
    message = received(inbox)
    assert message["Subject"] == SUBJECT
    assert set(attachments(message)) == {"绩效自评汇总.xlsx", "绩效自评报告.docx"}


def test_untrusted_certificate_is_refused(outdir, server_tls):
    with smtp_server(ssl_context=server_tls) as (inbox, port):
        with pytest.raises(SendError, match="证书校验失败") as caught:
            send(compose(outdir, TO, USER), settings(port, security="ssl"))
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert inbox.envelopes == []


def test_server_without_starttls(outdir, cafile):
    with smtp_server() as (inbox, port):
        with pytest.raises(SendError, match="不支持 STARTTLS"):
            send(compose(outdir, TO, USER), settings(port, security="starttls", cafile=cafile))
    assert inbox.envelopes == []


def test_connection_refused_names_host_and_port(outdir):
    port = free_port()
    with pytest.raises(SendError, match="连接被拒绝") as caught:
        send(compose(outdir, TO, USER), settings(port))
    assert f"127.0.0.1:{port}" in str(caught.value) and "主机、端口" in str(caught.value)


def test_oversize_is_refused_before_connecting(outdir):
    # nothing listens on the port: a connection attempt would fail with 连接被拒绝 instead
    with pytest.raises(SendError, match="附件总大小 .* 超过上限") as caught:
        send(compose(outdir, TO, USER), settings(free_port(), max_bytes=50_000))
    assert "max_mb" in str(caught.value)


def test_server_size_limit_552(outdir):
    with smtp_server(data_size_limit=20_000) as (inbox, port):
        with pytest.raises(SendError, match="邮件过大"):
            send(compose(outdir, TO, USER), settings(port))
    assert inbox.envelopes == []


# --- composing ------------------------------------------------------------------------------------

def test_write_eml_reads_back_the_same_message(outdir, tmp_path):
    message = compose(outdir, TO, USER)
    path = write_eml(message, tmp_path / "绩效自评材料.eml")
    back = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert back["Subject"] == SUBJECT
    assert back["To"] == TO[0]
    assert attachments(back) == attachments(message)
    assert {name: sha for name, (_, sha) in attachments(back).items()} == on_disk(
        outdir, "绩效自评汇总.xlsx", "绩效自评报告.docx")
    assert list(tmp_path.iterdir()) == [path]


def test_missing_outputs_say_to_run_first(outdir, tmp_path):
    with pytest.raises(SendError, match="perfeval run"):
        compose(tmp_path / "不存在", TO, USER)
    partial = tmp_path / "partial"
    shutil.copytree(outdir, partial)
    (partial / "绩效自评报告.docx").unlink()
    with pytest.raises(SendError, match="缺少 绩效自评报告.docx.*perfeval run"):
        compose(partial, TO, USER)
    with pytest.raises(SendError, match="收件人地址"):
        compose(outdir, ["不是地址"], USER)


@pytest.fixture(scope="module")
def two_units(outdir, tmp_path_factory) -> Path:
    """The seed output re-labelled as a two-unit batch: projects 1–3 belong to unit A, 4–5 to B."""
    folder = tmp_path_factory.mktemp("two-units")
    shutil.copy(outdir / "绩效自评汇总.xlsx", folder)
    data = json.loads((outdir / "result.json").read_text(encoding="utf-8"))
    names = ["开福区金融事务中心", "开福区财政局/预算股"]
    data["unit"] = {"name": "长沙市开福区人民政府", "year": 2021}
    data["units"] = [{"name": n, "year": 2021, "source": ""} for n in names]
    for n, project in enumerate(data["projects"]):
        project["unit"] = names[0] if n < 3 else names[1]
    (folder / "result.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for name in names:
        (folder / safe_file_name(name, "绩效自评报告.docx")).write_bytes(name.encode())
    return folder


def test_one_unit_of_a_multi_unit_folder(two_units):
    whole = compose(two_units, TO, USER)
    assert set(attachments(whole)) == {"绩效自评汇总.xlsx", "开福区金融事务中心绩效自评报告.docx",
                                       "开福区财政局_预算股绩效自评报告.docx"}
    one = compose(two_units, TO, USER, unit="开福区财政局/预算股")
    assert one["Subject"] == "开福区财政局/预算股2021年度项目支出绩效自评材料"
    assert set(attachments(one)) == {"绩效自评汇总.xlsx", "开福区财政局_预算股绩效自评报告.docx"}
    body = one.get_body(("plain",)).get_content()
    # projects 4 and 5 only: 22.50 + 85.50 budget, 22.50 + 1.37 spent, warnings N001 + T007 + B005
    for text in ("2 个项目", "108.00 万元", "23.87 万元", "22.10%", "优 1 个", "中 1 个", "警告 3 个"):
        assert text in body
    with pytest.raises(SendError, match="没有单位“雨花区”"):
        compose(two_units, TO, USER, unit="雨花区")


# --- settings -----------------------------------------------------------------------------------

def test_password_in_the_config_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    toml = tmp_path / "perfeval.toml"
    toml.write_text('[send]\nhost = "smtp.example.com"\npassword = "s3cret-in-file"\n', encoding="utf-8")
    config = tomllib.loads(toml.read_text(encoding="utf-8"))["send"]
    with pytest.raises(SendError, match=f"密码只能通过环境变量 {PASSWORD_ENV} 提供") as caught:
        settings_from(config)
    assert "s3cret-in-file" not in str(caught.value)


def test_settings_precedence_and_validation(monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    config = {"host": "smtp.example.com", "port": 2525, "security": "starttls", "user": USER,
              "to": ["a@example.com"], "timeout": 10, "max_mb": 5}
    chosen = settings_from(config, host=None, port=587, security=None, user=None, sender=None)
    assert (chosen.host, chosen.port, chosen.security, chosen.user, chosen.sender) == (
        "smtp.example.com", 587, "starttls", USER, USER)
    assert (chosen.timeout, chosen.max_bytes, chosen.password) == (10.0, 5 * 1024 * 1024, PASSWORD)
    assert PASSWORD not in repr(chosen)
    assert SendSettings(security="ssl").effective_port == 465
    assert settings_from({}).sender == "perfeval@localhost"
    with pytest.raises(SendError, match="未知的设置项“smtp_host”.*host、port"):
        settings_from({"smtp_host": "x"})
    with pytest.raises(SendError, match="security 的值“tls”无效.*plain、starttls、ssl"):
        settings_from({"security": "tls"})
    with pytest.raises(SendError, match="port 应为 1–65535"):
        settings_from({"port": "25"})
    # TOML's inf is a float too: no size or timeout (int(inf) raised OverflowError, a traceback)
    for key in ("max_mb", "timeout"):
        with pytest.raises(SendError, match=f"{key} 应为大于 0 的"):
            settings_from(tomllib.loads(f"{key} = inf"))


def test_unit_and_each_unit_together_are_a_usage_error(two_units):
    """--unit and --each-unit ask for different sends; given both, every unit's mail went (--unit ignored,
    an unknown unit too)."""
    from click.testing import CliRunner

    from perfeval.cli import main

    result = CliRunner().invoke(main, ["send", str(two_units), "--to", TO[0], "--unit", "雨花区", "--each-unit",
                                       "--dry-run"])
    assert result.exit_code == 2 and "--unit 与 --each-unit 不能同时使用" in result.output
    assert not list(two_units.glob("*.eml"))


def test_login_without_password_fails_before_connecting(outdir, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    chosen = settings_from({}, host="127.0.0.1", port=free_port(), user=USER)
    with pytest.raises(SendError, match=f"没有密码：请设置环境变量 {PASSWORD_ENV}"):
        send(compose(outdir, TO, USER), chosen)


# ---- the command line ----------------------------------------------------------------------------


def test_cli_send_delivers_over_a_real_server(outdir, monkeypatch):
    from click.testing import CliRunner

    from perfeval.cli import main

    monkeypatch.delenv("PERFEVAL_SMTP_PASSWORD", raising=False)
    with smtp_server() as (inbox, port):
        result = CliRunner().invoke(main, ["send", str(outdir), "--to", "jxk@czj.example.gov.cn",
                                           "--smtp-host", "127.0.0.1", "--smtp-port", str(port)])
        assert result.exit_code == 0, result.output
        message = received(inbox)
    assert message["Subject"] == "长沙市开福区金融事务中心2021年度项目支出绩效自评材料"
    assert set(attachments(message)) == {"绩效自评汇总.xlsx", "绩效自评报告.docx"}


def each_unit_mails(folder: Path, max_mb: float, tmp_path: Path, dry_run: bool = False):
    """``perfeval send FOLDER --each-unit`` with ``max_mb`` (perfeval.toml) to a real SMTP server: the CLI
    result and the mails received (or, with ``dry_run``, the .eml files written), in order."""
    from click.testing import CliRunner

    from perfeval.cli import main

    with smtp_server() as (inbox, port):
        config = tmp_path / "perfeval.toml"
        config.write_text(f'[send]\nhost = "127.0.0.1"\nport = {port}\nmax_mb = {max_mb!r}\n', encoding="utf-8")
        result = CliRunner().invoke(main, ["send", str(folder), "--to", TO[0], "--each-unit", "--config", str(config),
                                           *(["--dry-run"] if dry_run else [])])
    if dry_run:
        paths = [Path(line.split("已写入邮件文件 ", 1)[1].split("（")[0]) for line in result.output.splitlines()
                 if line.startswith("已写入邮件文件")]
        return result, paths
    return result, [BytesParser(policy=policy.default).parsebytes(e.original_content) for e in inbox.envelopes]


def test_each_unit_sends_a_summary_too_large_to_repeat_once(two_units, tmp_path, monkeypatch):
    """--each-unit where the summary with a unit's report would pass max_mb. A city's summary (20 MB for 10,000
    forms) went into every unit's mail, so that each of them was refused as too large (or, just within the
    limit, 600 mails of 26 MB each went out), and the advice to send unit by unit led back to the same
    refusal. The summary now goes once, in a mail of its own before the units' mails, each of which carries
    its own report and says where the summary is."""
    from perfeval.send import outgoing

    monkeypatch.delenv("PERFEVAL_SMTP_PASSWORD", raising=False)
    summary = (two_units / "绩效自评汇总.xlsx").stat().st_size
    # the summary fits alone, and each (tiny) report; the summary with a report does not
    result, mails = each_unit_mails(two_units, (summary + 8) / 1048576, tmp_path)
    assert result.exit_code == 0, result.output
    assert [m["Subject"] for m in mails] == ["长沙市开福区人民政府2021年度项目支出绩效自评汇总表",
                                             "开福区金融事务中心2021年度项目支出绩效自评材料",
                                             "开福区财政局/预算股2021年度项目支出绩效自评材料"]
    assert [list(attachments(m)) for m in mails] == [["绩效自评汇总.xlsx"], ["开福区金融事务中心绩效自评报告.docx"],
                                                    ["开福区财政局_预算股绩效自评报告.docx"]]
    assert attachments(mails[0]) == {"绩效自评汇总.xlsx": (XLSX, on_disk(two_units, "绩效自评汇总.xlsx")["绩效自评汇总.xlsx"])}
    for mail in mails[1:]:
        body = mail.get_body(("plain",)).get_content()
        assert "绩效自评汇总.xlsx" in body and "未随各单位的邮件重复附上" in body
        assert "另以邮件“长沙市开福区人民政府2021年度项目支出绩效自评汇总表”发送" in body
    whole = mails[0].get_body(("plain",)).get_content()
    assert "5 个项目" in whole and "1. 绩效自评汇总.xlsx" in whole and "未随" not in whole
    # within the limit (the default 20 MB), every unit's mail carries the summary beside its report, one
    # part encoded once for all of them
    unit_mails = [m for _, m in outgoing(two_units, TO, USER, each_unit=True, max_bytes=20 << 20)]
    assert [sorted(attachments(m)) for m in unit_mails] == [
        ["开福区金融事务中心绩效自评报告.docx", "绩效自评汇总.xlsx"], ["开福区财政局_预算股绩效自评报告.docx", "绩效自评汇总.xlsx"]]
    assert "未随" not in unit_mails[0].get_body(("plain",)).get_content()
    # nor when its copies would come to more than REPEAT_BYTES (600 units' mails of 26 MB each)
    monkeypatch.setattr("perfeval.send.REPEAT_BYTES", 2 * summary - 1)
    apart = [m for _, m in outgoing(two_units, TO, USER, each_unit=True, max_bytes=20 << 20)]
    assert [list(attachments(m)) for m in apart] == [["绩效自评汇总.xlsx"], ["开福区金融事务中心绩效自评报告.docx"],
                                                    ["开福区财政局_预算股绩效自评报告.docx"]]


def test_each_unit_with_the_summary_apart_in_awkward_folders(two_units, tmp_path, monkeypatch):
    """The summary's own mail beside a unit named like it; a missing summary; a unit report too large
    whatever goes with it, which neither takes the summary from the other units' mails nor lets any mail go
    before the refusal (a re-run would send those twice)."""
    monkeypatch.delenv("PERFEVAL_SMTP_PASSWORD", raising=False)
    summary = (two_units / "绩效自评汇总.xlsx").stat().st_size
    named = tmp_path / "named"
    shutil.copytree(two_units, named)
    data = json.loads((named / "result.json").read_text(encoding="utf-8"))
    data["units"][1]["name"] = "绩效自评汇总表"
    for project in data["projects"][3:]:
        project["unit"] = "绩效自评汇总表"
    (named / "result.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (named / "开福区财政局_预算股绩效自评报告.docx").rename(named / "绩效自评汇总表绩效自评报告.docx")
    result, paths = each_unit_mails(named, (summary + 8) / 1048576, tmp_path, dry_run=True)
    assert result.exit_code == 0, result.output
    assert [p.name for p in paths] == ["绩效自评汇总表(2).eml", "开福区金融事务中心.eml", "绩效自评汇总表.eml"]
    subjects = [BytesParser(policy=policy.default).parsebytes(p.read_bytes())["Subject"] for p in paths]
    assert subjects == ["长沙市开福区人民政府2021年度项目支出绩效自评汇总表", "开福区金融事务中心2021年度项目支出绩效自评材料",
                        "绩效自评汇总表2021年度项目支出绩效自评材料"]

    missing = tmp_path / "missing"
    shutil.copytree(two_units, missing)
    (missing / "绩效自评汇总.xlsx").unlink()
    (missing / "开福区财政局_预算股绩效自评报告.docx").write_bytes(b"x" * 50_000)  # too large on its own
    result, mails = each_unit_mails(missing, 40_000 / 1048576, tmp_path)
    assert result.exit_code == 2 and "缺少 绩效自评汇总.xlsx" in result.output and "Traceback" not in result.output
    assert mails == []

    large = tmp_path / "large"
    shutil.copytree(two_units, large)
    (large / "开福区财政局_预算股绩效自评报告.docx").write_bytes(b"x" * (summary + 1000))
    result, mails = each_unit_mails(large, (summary + 500) / 1048576, tmp_path)
    assert result.exit_code == 2 and "“开福区财政局/预算股2021年度项目支出绩效自评材料”未发送" in result.output
    assert mails == []  # refused before any mail went
    result, paths = each_unit_mails(large, (summary + 500) / 1048576, tmp_path, dry_run=True)
    first = BytesParser(policy=policy.default).parsebytes(paths[0].read_bytes())
    assert len(paths) == 2 and sorted(attachments(first)) == ["开福区金融事务中心绩效自评报告.docx", "绩效自评汇总.xlsx"]


def test_a_missing_report_stops_the_send_before_any_mail(two_units, tmp_path):
    """A unit's report missing from the folder: the first unit's mail was written (or sent) before the
    error, so that a re-run repeated it. Nothing goes now until every mail's files are there."""
    from click.testing import CliRunner

    from perfeval.cli import main

    folder = tmp_path / "out"
    shutil.copytree(two_units, folder)
    (folder / "开福区财政局_预算股绩效自评报告.docx").unlink()
    result = CliRunner().invoke(main, ["send", str(folder), "--to", TO[0], "--each-unit", "--dry-run"])
    assert result.exit_code == 2 and "缺少 开福区财政局_预算股绩效自评报告.docx" in result.output
    assert not list(folder.glob("*.eml"))


def test_oversize_advice_fits_the_mail(two_units, outdir):
    """Sending unit by unit is advised only for a mail of several units' reports: a single unit's mail is no
    smaller that way."""
    with pytest.raises(SendError) as several:
        send(compose(two_units, TO, USER), settings(free_port(), max_bytes=1000))
    assert "请分单位发送（--unit 或 --each-unit）" in str(several.value)
    with pytest.raises(SendError) as single:
        send(compose(outdir, TO, USER), settings(free_port(), max_bytes=1000))
    message = str(single.value)
    assert "--unit" not in message and "max_mb" in message and SUBJECT in message


def test_cli_send_failure_exits_two_without_traceback(outdir):
    from click.testing import CliRunner

    from perfeval.cli import main

    result = CliRunner().invoke(main, ["send", str(outdir), "--to", "a@b.cn", "--smtp-host", "127.0.0.1",
                                       "--smtp-port", str(free_port())])
    assert result.exit_code == 2 and "发送失败" in result.output and "Traceback" not in result.output


def test_cli_dry_run_writes_an_eml(outdir, tmp_path):
    import shutil

    from click.testing import CliRunner

    from perfeval.cli import main

    copy = tmp_path / "out"
    shutil.copytree(outdir, copy)
    result = CliRunner().invoke(main, ["send", str(copy), "--to", "a@b.cn", "--dry-run"])
    assert result.exit_code == 0, result.output
    eml = next(copy.glob("*.eml"))
    parsed = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    assert parsed["To"] == "a@b.cn"
