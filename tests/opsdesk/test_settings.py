"""12-factor settings: embedded defaults, URLs for services, and a production mode that
refuses to start unsafe and passes ``check --deploy`` without a warning.

Settings are read once, at import, so every case runs Django in a new process with exactly
the environment the test gives. That process does not read a developer's ``.env`` file (it
would leak into the cases); everything else is ``manage.py`` as usual.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
SETTINGS_SOURCE = (BASE_DIR / "opsdesk" / "settings.py").read_text()
ENV_EXAMPLE = BASE_DIR / ".env.example"

#: Every variable settings.py reads through ``env.<type>("NAME", ...)``.
SETTINGS_VARIABLES = frozenset(re.findall(r"\benv\.\w+\(\s*\"([A-Z][A-Z0-9_]*)\"", SETTINGS_SOURCE))
#: Read by the test suite, not by settings.py.
TEST_VARIABLES = frozenset({"OPSDESK_REQUIRE_BROWSER", "OPSDESK_REQUIRE_WORKER"})

# Runs like manage.py, with reading of BASE_DIR/.env switched off.
WITHOUT_DOTENV = "import environ; environ.Env.read_env = classmethod(lambda cls, *a, **k: None); "
MANAGE = (
    WITHOUT_DOTENV + "import sys; from django.core.management import execute_from_command_line; "
    "execute_from_command_line(['manage.py', *sys.argv[1:]])"
)
PRINT_SETTINGS = (
    WITHOUT_DOTENV + "import json, django; django.setup(); "
    "from django.conf import settings; from opsdesk.celery import app; "
    "print(json.dumps({"
    "'database': {k: str(settings.DATABASES['default'].get(k)) "
    "for k in ('ENGINE', 'NAME', 'HOST', 'PORT', 'USER')}, "
    "'eager': settings.CELERY_TASK_ALWAYS_EAGER, "
    "'broker': app.conf.broker_url, 'result_backend': app.conf.result_backend, "
    "'cache': settings.CACHES['default']['BACKEND']}))"
)

GOOD_KEY = secrets.token_urlsafe(48)  # 64 characters
NO_ISSUES = "System check identified no issues (0 silenced)."


def run_django(code: str, *args: str, **variables: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a new Python with DJANGO_SETTINGS_MODULE set and, of the variables
    settings.py reads, only ``variables``."""
    environment = {
        name: value
        for name, value in os.environ.items()
        # The browser tests lift Django's async guard for the pytest process; a deploy
        # check of a real production process must not inherit that.
        if name not in SETTINGS_VARIABLES and name != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    environment.update(DJANGO_SETTINGS_MODULE="opsdesk.settings", **variables)
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=BASE_DIR,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def check_deploy(**variables: str) -> subprocess.CompletedProcess:
    return run_django(
        MANAGE, "check", "--deploy", "--fail-level", "WARNING", OPSDESK_PRODUCTION="1", **variables
    )


def printed_settings(**variables: str) -> dict:
    process = run_django(PRINT_SETTINGS, **variables)
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout.strip().splitlines()[-1])


def test_production_without_secret_key_refuses_to_start():
    process = check_deploy(ALLOWED_HOSTS="ops.example.com")

    assert process.returncode != 0
    assert "ImproperlyConfigured" in process.stderr
    assert "SECRET_KEY is missing or weak" in process.stderr
    assert NO_ISSUES not in process.stdout


@pytest.mark.parametrize(
    "weak_key",
    [
        "",
        "short-but-secret",
        "a" * 64,  # long enough, but only one distinct character
        "django-insecure-" + secrets.token_urlsafe(48),  # Django's startproject placeholder
        "opsdesk-development-only-key-never-use-in-production",  # the built-in dev key
    ],
    ids=["empty", "short", "repetitive", "django-insecure", "development-key"],
)
def test_production_with_weak_secret_key_refuses_to_start(weak_key):
    process = check_deploy(SECRET_KEY=weak_key, ALLOWED_HOSTS="ops.example.com")

    assert process.returncode != 0
    assert "SECRET_KEY is missing or weak" in process.stderr


def test_production_without_allowed_hosts_refuses_to_start():
    process = check_deploy(SECRET_KEY=GOOD_KEY)

    assert process.returncode != 0
    assert "ImproperlyConfigured" in process.stderr
    assert "ALLOWED_HOSTS is empty" in process.stderr


def test_production_with_debug_on_refuses_to_start():
    process = check_deploy(SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="ops.example.com", DEBUG="1")

    assert process.returncode != 0
    assert "DEBUG must not be on" in process.stderr


def test_production_with_key_and_hosts_passes_check_deploy_without_warnings():
    process = check_deploy(SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="ops.example.com")

    assert process.returncode == 0, process.stdout + process.stderr
    assert process.stdout.strip() == NO_ISSUES
    assert "WARNING" not in process.stdout + process.stderr
    assert "security." not in process.stdout + process.stderr  # no deploy check id at all


def test_without_database_url_the_database_is_sqlite_under_var():
    database = printed_settings()["database"]

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(database["NAME"]) == BASE_DIR / "var" / "opsdesk.sqlite3"


def test_database_url_selects_postgresql():
    # Settings only: nothing connects to this host.
    database = printed_settings(DATABASE_URL="postgres://ops:secret@db.example:5433/opsdesk")[
        "database"
    ]

    assert database == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "opsdesk",
        "HOST": "db.example",
        "PORT": "5433",
        "USER": "ops",
    }


def test_without_redis_url_tasks_run_in_process():
    printed = printed_settings()

    assert printed["eager"] is True
    assert printed["broker"] == "memory://"
    assert printed["cache"] == "django.core.cache.backends.locmem.LocMemCache"


def test_redis_url_is_the_broker_result_backend_and_cache():
    url = "redis://cache.example:6379/3"

    printed = printed_settings(REDIS_URL=url)

    assert printed["eager"] is False
    assert printed["broker"] == url
    assert printed["result_backend"] == url
    assert printed["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_env_example_lists_every_variable_settings_reads():
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.MULTILINE))

    assert SETTINGS_VARIABLES, "no env.<type>(...) call found in settings.py"
    assert SETTINGS_VARIABLES - listed == set()
    assert TEST_VARIABLES - listed == set()
