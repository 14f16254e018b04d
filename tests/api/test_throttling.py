"""Rate limits per user and per token: past the rate a 429 with Retry-After, in the API's error
shape. Rates come from settings (the suite's defaults are far above what a test sends)."""

from rest_framework.test import APIClient

from opsdesk.tokens import token_create


def _rates(settings, **rates):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "1000/hour", "token": "1000/hour", **rates},
    }


def test_a_user_past_the_rate_gets_429_with_retry_after(world, client_for, settings):
    _rates(settings, user="3/minute")
    client = client_for("analyst")

    statuses = [client.get("/api/v1/stores/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/stores/")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    body = response.json()
    assert set(body) == {"detail", "code", "errors"} and body["code"] == "throttled"
    # Another user is not affected.
    assert client_for("manager").get("/api/v1/stores/").status_code == 200


def test_each_token_has_its_own_budget(world, settings):
    _rates(settings, token="2/minute")
    user = world.users["analyst"]
    first, second = (token_create(user=user, name=n).key for n in ("a", "b"))

    def get(key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        return client.get("/api/v1/stores/")

    assert [get(first).status_code for _ in range(3)] == [200, 200, 429]
    assert get(second).status_code == 200
    assert "Retry-After" in get(first).headers
