from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import pytest

from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.rpc.router import ArgDecoder, ArgsError, MethodNotFoundError, Router


class V1AuthorizeArgs(msgspec.Struct, kw_only=True):
    GetMaxUsage: bool = False
    GetAttributes: bool = False
    AttributeIDs: list[str] | None = None
    Tenant: str = ""
    Event: dict[str, Any] = msgspec.field(default_factory=dict)


class Demo(Api):
    namespace = "DemoSv1"
    namespace_aliases = ("DemoV1",)

    @rpc_method("Echo", aliases=("Repeat",))
    def echo(self, args: V1AuthorizeArgs, ctx: CallContext) -> V1AuthorizeArgs:
        return args

    @rpc_method("Later")
    async def later(self, args: str, ctx: CallContext) -> str:
        return args.upper()


def test_go_net_rpc_texts_for_unknown_methods() -> None:
    router = Router()
    router.add_api(Demo())
    assert router.lookup("DemoV1.Repeat").name == "DemoV1.Repeat"
    cases = {
        "Nope": "rpc: service/method request ill-formed: Nope",
        "": "rpc: service/method request ill-formed: ",
        "X.y": "rpc: can't find service X.y",
        "DemoSv1.Nope": "rpc: can't find method DemoSv1.Nope",
    }
    for name, text in cases.items():
        with pytest.raises(MethodNotFoundError) as info:
            router.lookup(name)
        assert str(info.value) == text


def test_duplicates_are_refused() -> None:
    router = Router()
    router.add_api(Demo())
    with pytest.raises(ValueError, match=r"duplicate RPC method DemoSv1\.Echo"):
        router.add_api(Demo())


async def test_internal_calls_skip_encoding() -> None:
    router = Router()
    router.add_api(Demo())
    assert await router.call("DemoSv1.Later", "abc") == "ABC"
    args = V1AuthorizeArgs(Tenant="t")
    assert await router.call("DemoSv1.Echo", args) is args


def test_subset_keeps_only_the_given_namespaces() -> None:
    router = Router()
    router.add_api(Demo())
    assert router.subset(["DemoV1"]).names() == ["DemoV1.Echo", "DemoV1.Later", "DemoV1.Repeat"]


class TestArgDecoder:
    dec = ArgDecoder(V1AuthorizeArgs)

    def test_first_element_only_extras_ignored(self) -> None:
        got = self.dec.decode(b'[{"GetMaxUsage":true,"Tenant":"t","Unknown":1},{"x":1}]')
        assert got == V1AuthorizeArgs(GetMaxUsage=True, Tenant="t")

    def test_empty_array_is_the_zero_value(self) -> None:
        assert self.dec.decode(b"[]") == V1AuthorizeArgs()
        assert self.dec.decode(b"[null]") == V1AuthorizeArgs()  # Go leaves it zero too
        assert ArgDecoder(str).decode(b"[]") == ""

    def test_field_names_match_case_insensitively_like_go(self) -> None:
        got = self.dec.decode(b'[{"getmaxusage":true,"TENANT":"t","Event":{"account":"1001"}}]')
        assert got.GetMaxUsage is True
        assert got.Tenant == "t"
        assert got.Event == {"account": "1001"}  # map keys stay case-sensitive

    def test_exact_name_wins_over_folded_one(self) -> None:
        assert self.dec.decode(b'[{"tenant":"low","Tenant":"exact"}]').Tenant == "exact"

    def test_numbers_in_events_are_exact(self) -> None:
        got = self.dec.decode(b'[{"Event":{"Cost":0.1,"DialogID":1183}}]')
        assert got.Event == {"Cost": Decimal("0.1"), "DialogID": 1183}

    @pytest.mark.parametrize(
        ("params", "text"),
        [
            (
                b'[{"GetMaxUsage":"yes"}]',
                "json: cannot unmarshal string into Go struct field "
                "V1AuthorizeArgs.GetMaxUsage of type bool",
            ),
            (
                b'[{"AttributeIDs":"a"}]',
                "json: cannot unmarshal string into Go struct field "
                "V1AuthorizeArgs.AttributeIDs of type []string",
            ),
            (
                b'[{"AttributeIDs":["a",1]}]',
                "json: cannot unmarshal number into Go struct field "
                "V1AuthorizeArgs.AttributeIDs of type string",
            ),
            (
                b'{"GetMaxUsage":true}',
                "json: cannot unmarshal object into Go value of type [1]interface {}",
            ),
            (
                b'"x"',
                "json: cannot unmarshal string into Go value of type [1]interface {}",
            ),
        ],
    )
    def test_type_errors_read_like_go(self, params: bytes, text: str) -> None:
        with pytest.raises(ArgsError) as info:
            self.dec.decode(params)
        assert str(info.value) == text
