"""Auth routes: providers, register, login, refresh, GitHub sign-in and bearer-token checks."""

from __future__ import annotations

import jwt
import pytest

from dragops_emulator import Emulator, SeededUser
from kit.clients import http_client
from kit.emulator import form_a, form_b

SENTINEL_PASSWORD = "Sentinel-Pa55word!"


def register(emu: Emulator, **overrides: object):
    body = {"email": "jane@example.com", "firstName": "Jane", "lastName": "Smith", "password": "SecurePass1@"}
    body.update(overrides)
    with http_client(emu) as client:
        return client.post("/api/auth/register", json=body)


def test_providers_are_public_and_show_local_auth_only_by_default(emu: Emulator) -> None:
    with http_client(emu) as client:
        response = client.get("/api/auth/providers")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and body["timestamp"].endswith("Z")
    assert body["data"] == {"local": True, "github": False}


def test_providers_show_the_github_client_id_when_configured(emu: Emulator) -> None:
    emu.update_settings(github_client_id="Iv1.abc123", local_auth=False)
    with http_client(emu) as client:
        data = client.get("/api/auth/providers").json()["data"]
    assert data == {"local": False, "github": True, "githubClientId": "Iv1.abc123"}


def test_register_returns_201_with_a_working_token_and_the_user(emu: Emulator) -> None:
    response = register(emu)
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["user"]["email"] == "jane@example.com"
    assert data["user"]["role"] == "user"
    assert data["user"]["id"].startswith("usr_")
    assert set(data["user"]) == {"id", "email", "firstName", "lastName", "role"}
    with http_client(emu, token=data["token"]) as client:
        assert client.get("/api/patterns").status_code == 200


def test_a_token_carries_subject_email_and_expiry_one_hour_later(emu: Emulator) -> None:
    token = register(emu).json()["data"]["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert claims["email"] == "jane@example.com"
    assert claims["sub"].startswith("usr_")
    assert claims["exp"] - claims["iat"] == 3600


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": None}, "email is required"),
        ({"email": "not-an-email"}, "email must be a valid email address"),
        ({"email": 42}, "email must be a string"),
        ({"firstName": None}, "firstName is required"),
        ({"lastName": ""}, "lastName must not be empty"),
        ({"password": None}, "password is required"),
        ({"password": "Sh0rt!"}, "password must be at least 8 characters and contain a special character"),
        (
            {"password": "NoSpecial123"},
            "password must be at least 8 characters and contain a special character",
        ),
    ],
)
def test_register_refuses_invalid_fields_naming_the_field(
    emu: Emulator, overrides: dict[str, object], message: str
) -> None:
    response = register(emu, **overrides)
    assert response.status_code == 400
    assert form_b(response) == ("VALIDATION", message)


def test_register_refuses_an_email_already_taken_whatever_its_case(emu: Emulator) -> None:
    assert register(emu).status_code == 201
    response = register(emu, email="JANE@example.com")
    assert response.status_code == 409
    assert form_a(response)[0] == "EMAIL_ALREADY_EXISTS"


def test_register_and_login_are_refused_when_local_auth_is_disabled(emu: Emulator, user: SeededUser) -> None:
    emu.update_settings(local_auth=False)
    assert form_a(register(emu)) == (
        "LOCAL_AUTH_DISABLED",
        "Email and password sign-in is disabled on this instance",
    )
    with http_client(emu) as client:
        response = client.post("/api/auth/login", json={"email": user.email, "password": user.password})
    assert response.status_code == 403
    assert form_a(response)[0] == "LOCAL_AUTH_DISABLED"


def test_login_returns_a_token_and_the_user(emu: Emulator, user: SeededUser) -> None:
    with http_client(emu) as client:
        response = client.post("/api/auth/login", json={"email": user.email, "password": user.password})
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and "timestamp" in body
    assert body["data"]["user"]["id"] == user.id
    with http_client(emu, token=body["data"]["token"]) as client:
        assert client.get("/api/connections").status_code == 200


@pytest.mark.parametrize("wrong", ["password", "email"])
def test_login_with_a_wrong_email_or_password_gives_one_answer(
    emu: Emulator, user: SeededUser, wrong: str
) -> None:
    body = {"email": user.email, "password": user.password}
    body[wrong] = "nobody@example.com" if wrong == "email" else "Wrong-password1"
    with http_client(emu) as client:
        response = client.post("/api/auth/login", json=body)
    assert response.status_code == 401
    assert form_a(response) == ("INVALID_CREDENTIALS", "Invalid credentials")


def test_login_without_a_password_is_a_validation_error(emu: Emulator) -> None:
    with http_client(emu) as client:
        response = client.post("/api/auth/login", json={"email": "a@example.com"})
    assert response.status_code == 400
    assert form_b(response) == ("VALIDATION", "password is required")


def test_the_password_appears_in_no_response_and_no_log(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    created = register(emu, password=SENTINEL_PASSWORD)
    with http_client(emu) as client:
        login = client.post(
            "/api/auth/login", json={"email": "jane@example.com", "password": SENTINEL_PASSWORD}
        )
        bad = client.post(
            "/api/auth/login", json={"email": "jane@example.com", "password": SENTINEL_PASSWORD + "x"}
        )
    for response in (created, login, bad):
        assert SENTINEL_PASSWORD not in response.text
    assert SENTINEL_PASSWORD not in caplog.text
    assert SENTINEL_PASSWORD not in str(emu.request_log())
    stored = emu.state.store.list("users") if emu.state else []
    assert all(SENTINEL_PASSWORD not in str(doc) for doc in stored)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "Missing bearer token"),
        ("Token abc", "Authorization header must be 'Bearer <token>'"),
        ("Bearer", "Authorization header must be 'Bearer <token>'"),
        ("Bearer not-a-jwt", "Invalid token"),
    ],
)
def test_requests_without_a_valid_bearer_token_are_unauthorized(
    emu: Emulator, header: str | None, message: str
) -> None:
    headers = {"Authorization": header} if header else {}
    with http_client(emu) as client:
        response = client.get("/api/patterns", headers=headers)
    assert response.status_code == 401
    assert form_a(response) == ("UNAUTHORIZED", message)


def test_a_token_signed_with_another_key_is_refused(emu: Emulator, user: SeededUser) -> None:
    forged = jwt.encode(
        {"sub": user.id, "exp": 4_000_000_000}, "not-the-signing-secret-of-this-emulator-instance", "HS256"
    )
    with http_client(emu, token=forged) as client:
        response = client.get("/api/patterns")
    assert response.status_code == 401
    assert form_a(response) == ("UNAUTHORIZED", "Invalid token")


def test_a_token_expires_when_the_clock_passes_its_lifetime(emu: Emulator, user: SeededUser) -> None:
    with http_client(emu, user) as client:
        assert client.get("/api/patterns").status_code == 200
        emu.advance_clock(3601)
        response = client.get("/api/patterns")
    assert response.status_code == 401
    assert form_a(response) == ("TOKEN_EXPIRED", "Token expired")


def test_the_token_lifetime_follows_the_setting(emu: Emulator) -> None:
    emu.update_settings(token_ttl_seconds=60)
    short = emu.seed_user()
    with http_client(emu, short) as client:
        # 58, not 59: expiry is in whole seconds and the real clock moves too on a loaded machine.
        emu.advance_clock(58)
        assert client.get("/api/patterns").status_code == 200
        emu.advance_clock(3)
        assert client.get("/api/patterns").status_code == 401


def test_refresh_gives_a_new_token_up_to_24_hours_after_expiry(emu: Emulator, user: SeededUser) -> None:
    emu.advance_clock(3600 + 23 * 3600)
    with http_client(emu, user) as client:
        response = client.post("/api/auth/refresh")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    new_token = body["data"]["token"]
    assert new_token != user.token
    with http_client(emu, token=new_token) as client:
        assert client.get("/api/patterns").status_code == 200


def test_refresh_of_a_live_token_works_too(emu: Emulator, user: SeededUser) -> None:
    with http_client(emu, user) as client:
        response = client.post("/api/auth/refresh")
    assert response.status_code == 200
    assert response.json()["data"]["token"] != user.token


def test_refresh_is_refused_more_than_24_hours_after_expiry(emu: Emulator, user: SeededUser) -> None:
    emu.advance_clock(3600 + 24 * 3600 + 1)
    with http_client(emu, user) as client:
        response = client.post("/api/auth/refresh")
    assert response.status_code == 401
    assert form_a(response) == ("TOKEN_EXPIRED", "Token expired more than 24 hours ago; sign in again")


def test_refresh_needs_a_bearer_token(emu: Emulator) -> None:
    with http_client(emu) as client:
        response = client.post("/api/auth/refresh")
    assert response.status_code == 401
    assert form_a(response) == ("UNAUTHORIZED", "Missing bearer token")


def test_a_token_of_a_user_wiped_by_a_reset_is_invalid(emu: Emulator, user: SeededUser) -> None:
    emu.reset()
    with http_client(emu, user) as client:
        response = client.get("/api/patterns")
        refresh = client.post("/api/auth/refresh")
    assert form_a(response) == ("UNAUTHORIZED", "Invalid token")
    assert refresh.status_code == 401


def test_github_sign_in_is_refused_unless_configured(emu: Emulator) -> None:
    with http_client(emu) as client:
        response = client.post("/api/auth/github", json={"code": "test:dev@example.com"})
    assert response.status_code == 403
    assert form_a(response)[0] == "GITHUB_AUTH_DISABLED"


def test_github_sign_in_with_a_test_code_signs_the_same_user_up_then_in(emu: Emulator) -> None:
    emu.update_settings(github_client_id="Iv1.abc123")
    with http_client(emu) as client:
        first = client.post("/api/auth/github", json={"code": "test:dev@example.com"})
        second = client.post("/api/auth/github", json={"code": "test:dev@example.com"})
        bad = client.post("/api/auth/github", json={"code": "gho_real_looking_code"})
        missing = client.post("/api/auth/github", json={})
    assert first.status_code == 200 and second.status_code == 200
    assert first.json()["data"]["user"]["id"] == second.json()["data"]["user"]["id"]
    assert first.json()["data"]["user"]["email"] == "dev@example.com"
    assert form_a(bad)[0] == "INVALID_OAUTH_CODE"
    assert form_b(missing) == ("VALIDATION", "code is required")


def test_a_github_user_cannot_log_in_with_a_password(emu: Emulator) -> None:
    emu.update_settings(github_client_id="Iv1.abc123")
    with http_client(emu) as client:
        client.post("/api/auth/github", json={"code": "test:dev@example.com"})
        response = client.post("/api/auth/login", json={"email": "dev@example.com", "password": ""})
        response2 = client.post("/api/auth/login", json={"email": "dev@example.com", "password": "x"})
    assert response.status_code == 400
    assert response2.status_code == 401
