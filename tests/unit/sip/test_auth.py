"""Digest authentication: challenge parsing, RFC test vectors, DigestClient retries."""

from __future__ import annotations

import random

import pytest

from alexphone.core.errors import LocalProtocolError, ParseError
from alexphone.core.ids import BRANCH_MAGIC, IdFactory
from alexphone.sip.auth import (
    Algorithm,
    Authorization,
    Challenge,
    DigestClient,
    DigestCredentials,
    UnsupportedChallengeError,
    build_authorization,
    choose_challenge,
    compute_response,
    parse_auth_params,
    parse_challenges,
)
from alexphone.sip.digest_verify import verify
from alexphone.sip.message import Headers, Request, Response
from alexphone.sip.uri import parse_sip_uri

# RFC 2617 §3.5
RFC2617_CHALLENGE = (
    'Digest realm="testrealm@host.com", qop="auth,auth-int", '
    'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
)
# RFC 7616 §3.9.1
RFC7616_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC7616_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
RFC7616_OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"


def rfc7616_challenge(algorithm: str) -> Challenge:
    return Challenge.parse(
        f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, '
        f'nonce="{RFC7616_NONCE}", opaque="{RFC7616_OPAQUE}"'
    )


def test_parse_rfc2617_challenge() -> None:
    challenge = Challenge.parse(RFC2617_CHALLENGE)
    assert challenge.realm == "testrealm@host.com"
    assert challenge.nonce == "dcd98b7102dd2f0e8b11d0f600bfb0c093"
    assert challenge.opaque == "5ccc069c403ebaf9f0171e9517f40e41"
    assert challenge.qop == ("auth", "auth-int")
    assert challenge.algorithm is Algorithm.MD5
    assert challenge.stale is False


def test_parse_stale_algorithm_and_escapes() -> None:
    challenge = Challenge.parse(
        'digest  realm = "a \\"quoted\\" realm" ,nonce=abc==, algorithm=sha-256-SESS, stale=TRUE'
    )
    assert challenge.realm == 'a "quoted" realm'
    assert challenge.nonce == "abc=="
    assert challenge.algorithm is Algorithm.SHA256_SESS
    assert challenge.stale is True
    assert challenge.qop == ()


@pytest.mark.parametrize(
    "value",
    [
        'Digest nonce="x"',  # no realm
        'Digest realm="x"',  # no nonce
        'Digest realm="x, nonce="y"',  # unterminated quote
        'realm="x", Digest nonce="y"',  # param before scheme
        'Digest realm="x" nonce="y"',  # missing comma
        'Digest realm=, nonce="y"',  # missing value
        'Digest realm="x", nonce="y", @',  # stray character
    ],
)
def test_malformed_challenge_raises_parse_error(value: str) -> None:
    with pytest.raises(ParseError):
        Challenge.parse(value)


def test_unknown_scheme_and_algorithm_are_reported_as_unsupported() -> None:
    with pytest.raises(UnsupportedChallengeError) as info:
        Challenge.parse('Basic realm="x"')
    assert info.value.scheme == "Basic"
    with pytest.raises(UnsupportedChallengeError):
        Challenge.parse('Digest realm="x", nonce="y", algorithm=SHA-512-256')
    with pytest.raises(UnsupportedChallengeError):
        Challenge.parse('Digest realm="x", nonce="y", qop="auth-conf"')


def test_several_challenges_in_one_value_and_token68_are_split() -> None:
    items = parse_auth_params('Negotiate abc+/==, Digest realm="r", nonce="n", Basic realm="b"')
    assert [scheme for scheme, _ in items] == ["Negotiate", "Digest", "Basic"]
    assert items[1][1] == [("realm", "r"), ("nonce", "n")]


def test_choose_prefers_sha256_over_md5() -> None:
    values = [
        'Digest realm="r", nonce="1", algorithm=MD5, qop="auth"',
        'Basic realm="r"',
        'Digest realm="r", nonce="2", algorithm=SHA-256, qop="auth"',
        "Digest garbage",
    ]
    challenges = parse_challenges(values)
    assert [c.nonce for c in challenges] == ["1", "2"]
    chosen = choose_challenge(challenges)
    assert chosen is not None and chosen.algorithm is Algorithm.SHA256
    assert choose_challenge(challenges, realm="other") is None
    first = choose_challenge(parse_challenges(values[:1] * 2))
    assert first is not None and first.nonce == "1"


def test_rfc2617_example_response() -> None:
    value = build_authorization(
        "GET",
        "/dir/index.html",
        DigestCredentials("Mufasa", "Circle Of Life"),
        Challenge.parse(RFC2617_CHALLENGE),
        nc=1,
        cnonce="0a4f113b",
    )
    creds = Authorization.parse(value)
    assert creds.response == "6629fae49393a05397450978507c4ef1"
    assert (creds.qop, creds.nc, creds.cnonce) == ("auth", "00000001", "0a4f113b")
    assert creds.opaque == "5ccc069c403ebaf9f0171e9517f40e41"
    assert 'username="Mufasa"' in value and "qop=auth," in value
    assert verify(value, "GET", "Circle Of Life")
    assert not verify(value, "GET", "Circle of Life")
    assert not verify(value, "POST", "Circle Of Life")


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_examples(algorithm: str, expected: str) -> None:
    value = build_authorization(
        "GET",
        "/dir/index.html",
        DigestCredentials("Mufasa", "Circle of Life"),
        rfc7616_challenge(algorithm),
        nc=1,
        cnonce=RFC7616_CNONCE,
    )
    creds = Authorization.parse(value)
    assert creds.response == expected
    assert creds.algorithm.value == algorithm
    assert verify(value, "GET", "Circle of Life", username="Mufasa")
    assert not verify(value, "GET", "Circle of Life", username="Simba")


def test_rfc2069_mode_without_qop() -> None:
    challenge = Challenge.parse('Digest realm="r", nonce="n"')
    value = build_authorization("REGISTER", "sip:r", DigestCredentials("u", "p"), challenge)
    assert "qop" not in value and "cnonce" not in value and " nc=" not in value
    # RFC 2069: H(HA1:nonce:HA2)
    ha1 = Algorithm.MD5.hash("u:r:p")
    ha2 = Algorithm.MD5.hash("REGISTER:sip:r")
    assert Authorization.parse(value).response == Algorithm.MD5.hash(f"{ha1}:n:{ha2}")
    assert verify(value, "REGISTER", "p")


def test_auth_int_and_sess_round_trip_through_verify() -> None:
    challenge = Challenge.parse('Digest realm="r", nonce="n", qop="auth-int", algorithm=MD5-sess')
    creds = DigestCredentials("u", "p")
    value = build_authorization("INVITE", "sip:b@r", creds, challenge, cnonce="c", body=b"v=0")
    assert "qop=auth-int" in value
    assert verify(value, "INVITE", "p", body=b"v=0")
    assert not verify(value, "INVITE", "p", body=b"v=1")
    with pytest.raises(LocalProtocolError):
        build_authorization("INVITE", "sip:b@r", creds, challenge)


def test_userhash() -> None:
    challenge = Challenge.parse('Digest realm="r", nonce="n", qop="auth", userhash=true')
    value = build_authorization(
        "REGISTER", "sip:r", DigestCredentials("alice", "pw"), challenge, cnonce="c"
    )
    creds = Authorization.parse(value)
    assert creds.userhash and creds.username == Algorithm.MD5.hash("alice:r")
    assert verify(value, "REGISTER", "pw", username="alice")
    assert not verify(value, "REGISTER", "pw")


def test_compute_response_session_variant_differs() -> None:
    common = {
        "username": "u", "realm": "r", "password": "p", "method": "M", "uri": "sip:x",
        "nonce": "n", "qop": "auth", "nc": "00000001", "cnonce": "c",
    }  # fmt: skip
    plain = compute_response(algorithm=Algorithm.SHA256, **common)  # type: ignore[arg-type]
    sess = compute_response(algorithm=Algorithm.SHA256_SESS, **common)  # type: ignore[arg-type]
    assert plain != sess and len(plain) == len(sess) == 64


def test_verify_rejects_garbage() -> None:
    assert not verify("Basic dXNlcjpwYXNz", "GET", "p")
    assert not verify('Digest username="u"', "GET", "p")
    assert not verify("Digest realm=", "GET", "p")


def test_credentials_repr_hides_password() -> None:
    assert "secret" not in repr(DigestCredentials("u", "secret"))


# -- DigestClient -------------------------------------------------------------------------


def register_request() -> Request:
    headers = Headers(
        [
            ("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKfirst;rport"),
            ("Max-Forwards", "70"),
            ("From", "<sip:alice@example.com>;tag=abc"),
            ("To", "<sip:alice@example.com>"),
            ("Call-ID", "cid@192.0.2.1"),
            ("CSeq", "7 REGISTER"),
            ("Contact", "<sip:alice@192.0.2.1:5060>"),
        ]
    )
    return Request("REGISTER", parse_sip_uri("sip:example.com"), headers)


def challenge_response(status: int, *values: str) -> Response:
    name = "WWW-Authenticate" if status == 401 else "Proxy-Authenticate"
    return Response(status, "Unauthorized", Headers([(name, value) for value in values]))


def make_client(password: str = "pw", realm: str | None = None) -> DigestClient:
    return DigestClient(DigestCredentials("alice", password, realm), IdFactory(random.Random(1)))


def test_authorize_adds_header_bumps_cseq_and_branch() -> None:
    client = make_client()
    request = register_request()
    response = challenge_response(
        401,
        'Digest realm="example.com", nonce="n1", qop="auth", algorithm=MD5',
        'Digest realm="example.com", nonce="n2", qop="auth", algorithm=SHA-256',
    )
    retry = client.authorize(request, response)
    assert retry is not None
    assert retry.cseq.seq == 8 and retry.cseq.method == "REGISTER"
    branch = retry.top_via.branch
    assert branch is not None and branch.startswith(BRANCH_MAGIC) and branch != "z9hG4bKfirst"
    assert retry.top_via.has_rport
    assert request.cseq.seq == 7 and request.top_via.branch == "z9hG4bKfirst"  # original kept
    (value,) = retry.headers.get_fields("Authorization")
    creds = Authorization.parse(value)
    assert creds.algorithm is Algorithm.SHA256 and creds.nonce == "n2"
    assert creds.uri == "sip:example.com" and creds.nc == "00000001"
    assert verify(value, "REGISTER", "pw", username="alice")
    assert [name for name, _ in retry.headers.fields()][:2] == ["Via", "Max-Forwards"]


def test_authorize_refuses_rejected_credentials_but_honours_stale() -> None:
    client = make_client(password="wrong")
    first = client.authorize(
        register_request(), challenge_response(401, 'Digest realm="example.com", nonce="n1"')
    )
    assert first is not None
    # the same realm challenges again: the password was wrong, stop
    again = challenge_response(401, 'Digest realm="example.com", nonce="n2", qop="auth"')
    assert client.authorize(first, again) is None
    # stale=true: the nonce only expired, answer with the new one
    stale = challenge_response(401, 'Digest realm="example.com", nonce="n3", stale=true')
    second = client.authorize(first, stale)
    assert second is not None
    assert second.cseq.seq == first.cseq.seq + 1
    (value,) = second.headers.get_fields("Authorization")  # old credentials replaced
    assert Authorization.parse(value).nonce == "n3"


def test_nonce_count_increments_per_nonce() -> None:
    client = make_client()
    challenge = Challenge.parse('Digest realm="r", nonce="n", qop="auth"')
    other = Challenge.parse('Digest realm="r", nonce="m", qop="auth"')
    ncs = [
        Authorization.parse(client.answer("REGISTER", "sip:r", c)).nc
        for c in (challenge, challenge, other)
    ]
    assert ncs == ["00000001", "00000002", "00000001"]
    cnonces = {
        Authorization.parse(client.answer("REGISTER", "sip:r", challenge)).cnonce for _ in range(3)
    }
    assert len(cnonces) == 3


def test_proxy_challenge_keeps_other_credentials() -> None:
    client = make_client()
    request = register_request()
    request.headers.add(
        "Authorization", 'Digest username="alice", realm="a", nonce="x", uri="sip:a", response="0"'
    )
    retry = client.authorize(request, challenge_response(407, 'Digest realm="proxy", nonce="p"'))
    assert retry is not None
    assert len(retry.headers.get_fields("Authorization")) == 1
    (value,) = retry.headers.get_fields("Proxy-Authorization")
    assert Authorization.parse(value).realm == "proxy"


def test_authorize_gives_up_without_usable_challenge() -> None:
    client = make_client(realm="example.com")
    request = register_request()
    assert client.authorize(request, challenge_response(401, 'Basic realm="example.com"')) is None
    assert (
        client.authorize(request, challenge_response(401, 'Digest realm="other", nonce="n"'))
        is None
    )
    assert client.authorize(request, Response(403, "Forbidden", Headers())) is None
    assert client.authorize(request, challenge_response(401)) is None
