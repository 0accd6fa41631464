"""Every RFC 4475 torture message against the verdict in MANIFEST.tsv."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from alexphone.core.errors import ParseError
from alexphone.sip.message import Request, Response
from alexphone.sip.parser import parse
from alexphone.sip.uri import AbsoluteUri, SipUri
from alexphone.sip.validation import check_request

DATA = Path(__file__).resolve().parents[2] / "data" / "rfc4475"
MANIFEST = list(csv.DictReader((DATA / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t"))
BY_NAME = {row["file"].removesuffix(".dat"): row for row in MANIFEST}

# what the parser does with each message: "ok", or the ParseError status
PARSER_VERDICT: dict[str, str | int] = dict.fromkeys(BY_NAME, "ok")
PARSER_VERDICT.update({
    "badinv01": 400, "clerr": 400, "ncl": 400, "scalar02": 400, "scalarlg": 400,
    "quotbal": 400, "ltgtruri": 400, "lwsruri": 400, "lwsstart": 400, "trws": 400,
    "escruri": 400, "baddate": 400, "regbadct": 400, "badaspec": 400, "baddn": 400,
    "badvers": 505, "mismatch01": 400, "mismatch02": 400, "bigcode": 400,
    "insuf": 400, "multi01": 400, "mcl01": 400,
})  # fmt: skip

# the answer of a plain UA (no REGISTER, no extensions, SDP only) to the semantic ones
UA_METHODS = frozenset({"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"})
UA_ANSWER: dict[str, int | None] = {
    "badbranch": 400, "unkscm": 416, "novelsc": 416, "bext01": 420, "invut": 415,
    "regaut01": 405, "sdp01": 406, "zeromf": None, "intmeth": 501, "esc02": 501,
    "wsinv": None, "esc01": None, "semiuri": None, "inv2543": None,
}  # fmt: skip


def load(name: str) -> bytes:
    """Return the bytes of one torture message."""
    return (DATA / f"{name}.dat").read_bytes()


def parsed(name: str) -> Request:
    """Parse one torture request that must parse."""
    message = parse(load(name))
    assert isinstance(message, Request)
    return message


def parsed_response(name: str) -> Response:
    """Parse one torture response that must parse."""
    message = parse(load(name))
    assert isinstance(message, Response)
    return message


def ua_check(request: Request, *, registrar: bool = False) -> Response | None:
    """Run check_request as a plain UA (or a registrar) would."""
    methods = UA_METHODS | {"REGISTER"} if registrar else UA_METHODS
    return check_request(
        request,
        allowed_methods=frozenset(methods),
        supported_extensions=frozenset(),
        accepted_types=frozenset({"application/sdp"}),
    )


def test_manifest_lists_every_message() -> None:
    assert len(MANIFEST) == 49
    assert {p.name for p in DATA.glob("*.dat")} == {row["file"] for row in MANIFEST}


def test_verdict_table_covers_manifest() -> None:
    assert set(PARSER_VERDICT) == set(BY_NAME)
    for name, row in BY_NAME.items():
        # every "valid" message parses and every "invalid" one is rejected
        if row["verdict"] == "valid":
            assert PARSER_VERDICT[name] == "ok", name
        if row["verdict"] == "invalid":
            assert PARSER_VERDICT[name] != "ok", name


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_parser_verdict(name: str) -> None:
    verdict = PARSER_VERDICT[name]
    if verdict == "ok":
        message = parse(load(name))
        assert parse(bytes(message)) == message  # round trip
    else:
        with pytest.raises(ParseError) as caught:
            parse(load(name))
        assert caught.value.status == verdict


@pytest.mark.parametrize("name", sorted(UA_ANSWER))
def test_ua_semantic_answer(name: str) -> None:
    request = parsed(name)
    assert isinstance(request, Request)
    response = ua_check(request)
    expected = UA_ANSWER[name]
    if expected is None:
        assert response is None
    else:
        assert response is not None
        assert response.status == expected
        assert response.headers.get("Call-ID") == request.call_id
        assert response.to.tag is not None


def test_semantic_answer_headers() -> None:
    bext = ua_check(parsed("bext01"))
    assert bext is not None
    assert bext.headers.get_all("Unsupported") == [
        "nothingSupportsThis",
        "nothingSupportsThisEither",
    ]
    invut = ua_check(parsed("invut"))
    assert invut is not None and invut.headers.get("Accept") == "application/sdp"
    intmeth = ua_check(parsed("intmeth"))
    assert intmeth is not None and "INVITE" in intmeth.headers.get_all("Allow")


def test_registrar_answers() -> None:
    assert ua_check(parsed("unksm2"), registrar=True) is not None
    answer = ua_check(parsed("unksm2"), registrar=True)
    assert answer is not None and answer.status == 400  # To is isbn:, not an AOR
    for name in ("cparam01", "cparam02", "regescrt", "escnull", "regaut01"):
        assert ua_check(parsed(name), registrar=True) is None, name


def test_error_messages_name_the_fault() -> None:
    cases = {
        "mismatch01": "CSeq method INVITE does not match request method OPTIONS",
        "badvers": "SIP version SIP/7.0 is not supported",
        "insuf": "Missing mandatory header(s): From, To, Call-ID",
        "mcl01": "Content-Length header repeated with conflicting values",
        "clerr": "Content-Length 9999 exceeds the",
        "escruri": "Request-URI must not carry headers",
    }
    for name, text in cases.items():
        with pytest.raises(ParseError, match=text.replace("(", r"\(").replace(")", r"\)")):
            parse(load(name))


def test_wsinv_fields() -> None:
    request = parsed("wsinv")
    assert request.max_forwards == 68
    assert request.cseq.seq == 9 and request.cseq.method == "INVITE"
    assert request.headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    assert request.headers.get("UnknownHeaderWithUnusualValue") == ";;,,;;,;"
    assert request.headers.get("Subject") == ""
    assert [via.branch for via in request.vias] == ["390skdjuw", "z9hG4bK9ikj8", "z9hG4bK30239"]
    assert [via.transport for via in request.vias] == ["UDP", "TCP", "UDP"]
    assert request.from_.display_name == 'J Rosenberg \\"'
    assert request.from_.tag == "98asjd8"
    assert request.to.tag == "1918181833n"
    contact = request.contacts[0]
    assert contact.display_name == 'Quoted string ""'
    assert contact.param("newparam") == "newvalue" and contact.param("q") == "0.33"
    assert len(request.body) == 150


def test_intmeth_fields() -> None:
    request = parsed("intmeth")
    assert request.method == "!interesting-Method0123456789_*+`.%indeed'~"
    assert request.to.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    assert isinstance(request.uri, SipUri)
    assert request.uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"
    assert request.uri.password == "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"
    assert request.headers.get("extensionHeader-!.%*+_`'~") == "\ufeff大停電"


def test_escapes() -> None:
    esc01 = parsed("esc01")
    assert isinstance(esc01.uri, SipUri) and esc01.uri.user == "sips:user@example.com"
    assert isinstance(esc01.to.uri, SipUri) and esc01.to.uri.user == "user"
    assert isinstance(esc01.from_.uri, SipUri) and esc01.from_.uri.user == "I have spaces"
    contact_uri = esc01.contacts[0].uri
    assert isinstance(contact_uri, SipUri)
    assert contact_uri.user == "caller"
    assert contact_uri.params == (("lr", None), ("name", "value%41"))  # no recursive unescape
    escnull = parsed("escnull")
    users = [c.uri.user for c in escnull.contacts if isinstance(c.uri, SipUri)]
    assert users == ["\x00", "\x00\x00"]
    assert isinstance(escnull.to.uri, SipUri) and escnull.to.uri.user == "null-\x00-null"
    esc02 = parsed("esc02")
    assert esc02.method == "RE%47IST%45R"
    assert esc02.to.display_name == "%Z%45"
    assert len(esc02.contacts) == 2
    assert esc02.headers.get("C%6Fntact") == "<sip:alias2@host2.example.com>"


def test_other_valid_fields() -> None:
    assert parsed("lwsdisp").from_.display_name == "caller"
    longreq = parsed("longreq")
    assert len(longreq.vias) == 34
    assert longreq.to.display_name is not None and "extremeextreme" in longreq.to.display_name
    dblreq = parsed("dblreq")
    assert isinstance(dblreq, Request) and dblreq.method == "REGISTER" and dblreq.body == b""
    semiuri = parsed("semiuri")
    assert isinstance(semiuri.uri, SipUri) and semiuri.uri.user == "user;par=u@example.net"
    assert semiuri.uri.host == "example.com"
    assert [v.transport for v in parsed("transports").vias] == [
        "UDP", "SCTP", "TLS", "UNKNOWN", "TCP"
    ]  # fmt: skip
    mpart = parsed("mpart01")
    assert len(mpart.body) == 553 and b"\x00" in mpart.body
    unreason = parsed_response("unreason")
    assert isinstance(unreason, Response) and unreason.status == 200
    assert unreason.reason.startswith("= 2**3 * 5**2 но сто")
    noreason = parsed_response("noreason")
    assert isinstance(noreason, Response) and noreason.status == 100 and noreason.reason == ""
    inv = parsed("inv2543")
    assert inv.max_forwards is None and inv.top_via.branch is None and inv.from_.tag is None
    assert inv.body == load("inv2543").split(b"\r\n\r\n", 1)[1]


def test_register_contact_params() -> None:
    cparam01 = parsed("cparam01").contacts[0]
    assert cparam01.param("unknownparam") == ""
    assert isinstance(cparam01.uri, SipUri) and not cparam01.uri.has_param("unknownparam")
    cparam02 = parsed("cparam02").contacts[0]
    assert cparam02.param("unknownparam") is None
    assert isinstance(cparam02.uri, SipUri) and cparam02.uri.has_param("unknownparam")
    regescrt = parsed("regescrt").contacts[0].uri
    assert isinstance(regescrt, SipUri)
    assert regescrt.headers == (("Route", "<sip:sip.example.com>"),)
    assert "?Route=%3Csip:sip.example.com%3E" in str(regescrt)


def test_semantic_parse_results() -> None:
    unkscm = parsed("unkscm")
    assert unkscm.uri == AbsoluteUri("nobodyknowsthisscheme", "totallyopaquecontent")
    unksm2 = parsed("unksm2")
    assert isinstance(unksm2.to.uri, AbsoluteUri) and unksm2.to.uri.scheme == "isbn"
    assert str(unksm2.contacts[0].uri) == "name:John_Smith"
    assert parsed("zeromf").max_forwards == 0
    assert parsed("badbranch").top_via.branch == "z9hG4bK"
    bcast = parsed_response("bcast")
    assert isinstance(bcast, Response) and bcast.vias[1].host == "255.255.255.255"
    assert (
        parsed("regaut01").headers.get("Authorization") == "NoOneKnowsThisScheme opaque-data=here"
    )
