"""SSL contexts from the ``tls`` config section.

``server_policy`` follows Go's ``tls.ClientAuthType``: 0 no client certificate, 1 request
one, 2 require any, 3 verify if given, 4 require and verify (the CGRateS default).
Python's ``ssl`` cannot require a certificate without verifying it, so 2 verifies too and
1 behaves as 3; both are stricter than Go, never looser.
"""

from __future__ import annotations

import ssl
from typing import Protocol

__all__ = ["TlsSettings", "client_context", "server_context"]


class TlsSettings(Protocol):
    """The ``tls`` section's keys (read-only, as the frozen config provides them)."""

    @property
    def server_certificate(self) -> str: ...
    @property
    def server_key(self) -> str: ...
    @property
    def client_certificate(self) -> str: ...
    @property
    def client_key(self) -> str: ...
    @property
    def ca_certificate(self) -> str: ...
    @property
    def server_policy(self) -> int: ...


def server_context(tls: TlsSettings) -> ssl.SSLContext:
    """The server side of ``rpc_json_tls`` / ``http_tls``; errors name the missing file."""
    if not tls.server_certificate or not tls.server_key:
        raise ValueError("tls: server_certificate and server_key are needed for TLS listeners")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(tls.server_certificate, tls.server_key)
    policy = tls.server_policy
    if policy == 0:
        ctx.verify_mode = ssl.CERT_NONE
    elif policy in (1, 3):
        ctx.verify_mode = ssl.CERT_OPTIONAL
    else:
        ctx.verify_mode = ssl.CERT_REQUIRED
    if policy != 0:
        if tls.ca_certificate:
            ctx.load_verify_locations(tls.ca_certificate)
        else:
            ctx.load_default_certs(ssl.Purpose.CLIENT_AUTH)
    return ctx


def client_context(tls: TlsSettings, *, skip_verify: bool = False) -> ssl.SSLContext:
    """The client side for ``tls: true`` rpc_conns (``general.http_skip_tls_verify``)."""
    ctx = ssl.create_default_context(cafile=tls.ca_certificate or None)
    if tls.client_certificate and tls.client_key:
        ctx.load_cert_chain(tls.client_certificate, tls.client_key)
    if skip_verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx
