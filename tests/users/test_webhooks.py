"""The playbook webhook's SSRF guard (users.webhooks): refused addresses, schemes and
credentials at save time and again at send time, and a POST that goes to the checked address
(no second DNS lookup) with the URL's host in Host and, over TLS, as the server name.

Names resolve through the ``fake_dns`` fixture (tests/users/conftest.py); the receivers are
real servers on 127.0.0.1, allowed only under ``OPSDESK_WEBHOOK_ALLOW_PRIVATE``."""

import datetime
import ipaddress
import shutil
import ssl
import subprocess
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from opsdesk.audit import Actor
from opsdesk.models import AuditSource
from tests.factories import CustomerFactory, StoreFactory, TierChangeFactory
from users import webhooks
from users.models import ActionKind, Playbook, RunStatus, Tier, TriggerKind
from users.playbooks import playbook_run, webhook_deliver
from users.services import playbook_set_enabled, playbook_update

ACTOR = Actor(user=None, source=AuditSource.TASK)
SECRET = "s3cret-signing-key-0123"
D = datetime.date(2026, 11, 10)


@pytest.fixture(autouse=True)
def _english():
    # The messages are compared in English (the default language is zh-hans).
    with translation.override("en"):
        yield


class Receiver:
    """A real HTTP(S) server on 127.0.0.1 that records each request's headers and answers
    200; with ``tls`` (a certificate and key) it speaks TLS and records the SNI name."""

    def __init__(self, tls: tuple[str, str] | None = None):
        self.requests: list[dict] = []
        self.server_names: list[str | None] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                self.rfile.read(length)
                receiver.requests.append(dict(self.headers))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)

            def remember(_socket, server_name, _context):
                receiver.server_names.append(server_name)

            context.sni_callback = remember
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# --- addresses -------------------------------------------------------------------------------

REFUSED_ALWAYS = [
    "0.0.0.0",  # unspecified
    "::",
    "169.254.169.254",  # link-local: cloud metadata
    "fe80::1",
    "224.0.0.1",  # multicast
    "ff02::1",
    "240.0.0.1",  # reserved
    "255.255.255.255",  # broadcast
    "::ffff:169.254.169.254",  # IPv4-mapped link-local
]
REFUSED_UNLESS_ALLOWED = [
    "127.0.0.1",  # loopback
    "127.8.9.10",
    "::1",
    "10.1.2.3",  # private
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # shared address space (carrier NAT)
    "fc00::1",  # unique local
    "fd12:3456::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2002:c0a8:0101::1",  # 6to4 of 192.168.1.1
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.216.34"]


@pytest.mark.parametrize("address", REFUSED_ALWAYS + REFUSED_UNLESS_ALLOWED)
def test_non_public_addresses_are_refused_by_default(address):
    problem = webhooks.address_problem(ipaddress.ip_address(address), allow_private=False)
    assert problem is not None and "address" in problem


@pytest.mark.parametrize("address", REFUSED_ALWAYS)
def test_the_setting_never_opens_unspecified_link_local_multicast_or_reserved(address):
    assert webhooks.address_problem(ipaddress.ip_address(address), allow_private=True)


@pytest.mark.parametrize("address", REFUSED_UNLESS_ALLOWED)
def test_the_setting_allows_loopback_and_private_targets(address):
    assert webhooks.address_problem(ipaddress.ip_address(address), allow_private=True) is None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert webhooks.address_problem(ipaddress.ip_address(address), allow_private=False) is None


# --- URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://hooks.example.com/x", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("gopher://hooks.example.com/", "http:// or https://"),
        ("https://user:pass@hooks.example.com/x", "user name or password"),
        ("https://token@hooks.example.com/x", "user name or password"),
        ("https:///x", "no host"),
        ("http://127.0.0.1:8000/hook", "127.0.0.1 is a loopback address"),
        ("http://[::1]/hook", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/hook", "127.0.0.1 is a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://localhost:8000/", "loopback"),  # a name resolving to loopback
        ("http://internal.example.com/", "10.0.0.7 is a private network address"),
        ("http://mixed.example.com/", "192.168.0.9 is a private network address"),
        ("http://v6.example.com/", "fd00::5 is a private network address"),
        ("http://nowhere.invalid/", "cannot be resolved"),
        ("http://hooks.example.com:99999/", "not valid"),
    ],
)
def test_refused_urls_say_why(fake_dns, url, words):
    fake_dns.names["internal.example.com"] = ["10.0.0.7"]
    fake_dns.names["mixed.example.com"] = ["93.184.216.34", "192.168.0.9"]  # any private: no
    fake_dns.names["v6.example.com"] = ["fd00::5"]
    with pytest.raises(webhooks.WebhookRefused) as refused:
        webhooks.webhook_target(url)
    assert words in str(refused.value)


def test_an_allowed_url_is_pinned_to_its_checked_address():
    target = webhooks.webhook_target("https://hooks.example.com/in?store=tea")
    assert target == webhooks.WebhookTarget(
        "https", "hooks.example.com", 443, "/in?store=tea", ("93.184.216.34",)
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://[::ffff:7f00:1]/hook",
        "https://user:pw@hooks.example.com/",
    ],
)
def test_saving_a_playbook_with_an_internal_url_is_a_field_error(db, url):
    store = StoreFactory()
    playbook = Playbook.objects.create(
        store=store, name="Hook", trigger=TriggerKind.ENTERED_TIER, tier=Tier.DORMANT
    )
    with pytest.raises(ValidationError) as error:
        playbook_update(
            playbook=playbook,
            actor=ACTOR,
            action=ActionKind.WEBHOOK,
            webhook_url=url,
            webhook_secret=SECRET,
        )
    assert list(error.value.message_dict) == ["webhook_url"]
    playbook.refresh_from_db()
    assert (playbook.action, playbook.webhook_url) == (ActionKind.EXPORT, "")


def test_the_admin_form_refuses_an_internal_url(db):
    from users.admin import PlaybookAdminForm

    store = StoreFactory()
    form_class = type(
        "Form",
        (PlaybookAdminForm,),
        {"Meta": type("Meta", (), {"model": Playbook, "exclude": ["store"]})},
    )
    data = {
        "name": "Hook",
        "code": "",
        "trigger": TriggerKind.ENTERED_TIER,
        "tier": Tier.DORMANT,
        "segment": "",
        "cart_hours": 24,
        "churn_threshold": "0.7",
        "member_day": 18,
        "action": ActionKind.WEBHOOK,
        "message_template": "",
        "webhook_url": "http://169.254.169.254/latest/",
        "webhook_secret": SECRET,
        "coupon_value": "0",
        "holdout_share": "0.1",
        "cooldown_days": 30,
    }
    form = form_class(data, instance=Playbook(store=store))
    assert not form.is_valid()
    assert "link-local" in " ".join(form.errors["webhook_url"])


# --- sending ---------------------------------------------------------------------------------


def test_delivery_is_refused_when_the_name_resolves_inside_by_send_time(db, fake_dns):
    """Saved while the name pointed at a public address; by the run it points at the metadata
    service: nothing is sent, the run says why, and no try is repeated."""
    store = StoreFactory()
    TierChangeFactory(
        customer=CustomerFactory(store=store), day=D, tier=Tier.DORMANT, previous_tier="active"
    )
    fake_dns.names["rebind.example.com"] = ["93.184.216.34"]
    playbook = Playbook.objects.create(
        store=store, name="Hook", trigger=TriggerKind.ENTERED_TIER, tier=Tier.DORMANT
    )
    playbook_update(
        playbook=playbook,
        actor=ACTOR,
        action=ActionKind.WEBHOOK,
        webhook_url="http://rebind.example.com/hook",
        webhook_secret=SECRET,
        holdout_share=Decimal("0"),
        enabled=True,
    )
    fake_dns.names["rebind.example.com"] = ["169.254.169.254"]
    run = playbook_run(playbook=playbook, day=D, actor=ACTOR, backoff_seconds=0)
    run.refresh_from_db()
    assert (run.status, run.attempts) == (RunStatus.FAILED, 1)
    assert "169.254.169.254 is a link-local address" in run.error
    # Enabling again is refused (the check runs), disabling is always possible.
    with pytest.raises(ValidationError):
        playbook_update(playbook=playbook, actor=ACTOR, enabled=True, name="Hook 2")
    playbook.refresh_from_db()
    playbook_set_enabled(playbook=playbook, enabled=False, actor=ACTOR)
    playbook.refresh_from_db()
    assert not playbook.enabled


def test_the_post_goes_to_the_checked_address_with_the_urls_host(settings, fake_dns):
    """Allowed under the setting. The name answers 127.0.0.1 to the check and an unreachable
    address to any later lookup: the delivery succeeds on the first try, so the connection
    used the checked address (no second lookup, no rebinding window), and Host is the name."""
    settings.OPSDESK_WEBHOOK_ALLOW_PRIVATE = True
    answers = iter([["127.0.0.1"]])
    fake_dns.names["hooks.internal.test"] = lambda: next(answers, ["10.255.255.1"])
    with Receiver() as receiver:
        delivery = webhook_deliver(
            url=f"http://hooks.internal.test:{receiver.port}/hook",
            secret=SECRET,
            payload={"run_id": 1},
            attempts=1,
            timeout=5,
        )
    assert (delivery.delivered, delivery.attempts) == (True, 1)
    assert fake_dns.asked.count("hooks.internal.test") == 1
    assert receiver.requests[0]["Host"] == f"hooks.internal.test:{receiver.port}"


def test_an_address_that_does_not_answer_falls_back_to_the_next_checked_one(settings, fake_dns):
    """127.0.0.2 has no listener on the port (refused): the POST goes to 127.0.0.1."""
    settings.OPSDESK_WEBHOOK_ALLOW_PRIVATE = True
    with Receiver() as receiver:
        fake_dns.names["two.internal.test"] = ["127.0.0.2", "127.0.0.1"]
        target = webhooks.webhook_target(f"http://two.internal.test:{receiver.port}/")
        assert target.addresses == ("127.0.0.2", "127.0.0.1")
        assert webhooks.post(target, body=b"{}", headers={}, timeout=5) == 200
    assert len(receiver.requests) == 1


def test_the_same_url_is_refused_without_the_setting(fake_dns):
    fake_dns.names["hooks.internal.test"] = ["127.0.0.1"]
    with Receiver() as receiver:
        delivery = webhook_deliver(
            url=f"http://hooks.internal.test:{receiver.port}/hook",
            secret=SECRET,
            payload={},
            backoff_seconds=0,
        )
    assert (delivery.delivered, delivery.attempts) == (False, 1)
    assert "loopback" in delivery.error
    assert receiver.requests == []


def test_a_redirect_is_not_followed(settings):
    settings.OPSDESK_WEBHOOK_ALLOW_PRIVATE = True

    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(307)
            self.send_header("Location", "http://169.254.169.254/")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        delivery = webhook_deliver(
            url=f"http://127.0.0.1:{server.server_address[1]}/",
            secret=SECRET,
            payload={},
            backoff_seconds=0,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert (delivery.delivered, delivery.attempts, delivery.error) == (False, 1, "HTTP 307")


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for hooks.internal.test (openssl command line)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=hooks.internal.test",
            "-addext",
            "subjectAltName=DNS:hooks.internal.test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def test_tls_sends_the_urls_host_as_server_name_and_checks_the_certificate(
    settings, fake_dns, certificate
):
    settings.OPSDESK_WEBHOOK_ALLOW_PRIVATE = True
    fake_dns.names["hooks.internal.test"] = ["127.0.0.1"]
    fake_dns.names["other.internal.test"] = ["127.0.0.1"]
    trust = ssl.create_default_context(cafile=certificate[0])
    with Receiver(tls=certificate) as receiver:
        target = webhooks.webhook_target(f"https://hooks.internal.test:{receiver.port}/in")
        status = webhooks.post(target, body=b"{}", headers={}, timeout=5, ssl_context=trust)
        assert status == 200
        assert receiver.server_names == ["hooks.internal.test"]
        assert receiver.requests[0]["Host"] == f"hooks.internal.test:{receiver.port}"
        # The same address under a name the certificate does not carry: refused by TLS.
        wrong = webhooks.webhook_target(f"https://other.internal.test:{receiver.port}/in")
        with pytest.raises(ssl.SSLCertVerificationError):
            webhooks.post(wrong, body=b"{}", headers={}, timeout=5, ssl_context=trust)
