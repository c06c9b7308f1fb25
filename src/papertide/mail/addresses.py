"""Addresses and header values checked before they reach a message: where header injection is stopped.

Everything a caller, a user or a setting puts into a header passes through here, so a value can never
carry a line break (which would start a new header) and an address is one plain, deliverable mailbox.
"""

from __future__ import annotations

import re
import unicodedata
from email import policy
from email.headerregistry import Address

from papertide.errors import InvalidInput

MAX_ADDRESS_LENGTH = 254  # RFC 5321 4.5.3.1.3 (a path of 256 octets, less the angle brackets)
MAX_LOCAL_PART_LENGTH = 64
MAX_HEADER_VALUE_LENGTH = 4000

_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 ftext: printable ASCII but the colon
_FORBIDDEN_CATEGORIES = {"Cc", "Zl", "Zp"}  # controls (CR, LF, NUL, ...) and Unicode line/paragraph separators


def check_header_value(value: str, *, field: str) -> str:
    """``value`` unchanged if it is safe as one header line, else :class:`InvalidInput` naming ``field``.

    Any line break (CR, LF, or a Unicode line separator) or other control character is refused, tab aside:
    it would let the value end its header and start another one.
    """
    if not isinstance(value, str):
        raise InvalidInput(f"{field}: expected text, got {type(value).__name__}")
    for char in value:
        if char != "\t" and unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            raise InvalidInput(
                f"{field}: a header value must not contain a line break or control character (found U+{ord(char):04X})"
            )
    if len(value) > MAX_HEADER_VALUE_LENGTH:
        raise InvalidInput(f"{field}: header value longer than {MAX_HEADER_VALUE_LENGTH} characters")
    return value


def check_header_name(name: str) -> str:
    """``name`` unchanged if it is a valid header field name (printable ASCII, no colon or space)."""
    if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
        raise InvalidInput(f"header name {name!r}: only printable ASCII without spaces or ':' is allowed")
    return name


def parse_address(value: str | Address, *, field: str) -> Address:
    """One mailbox, ``user@example.org`` or ``Display Name <user@example.org>``, checked and normalised.

    Refused with :class:`InvalidInput` naming ``field``: line breaks, several addresses, anything the
    parser had to guess at, a quoted or non-ASCII local part (relays without SMTPUTF8 reject those), a
    domain that is not a host name. A non-ASCII domain is converted to its IDNA (``xn--``) form.
    """
    if isinstance(value, Address):
        display_name, addr_spec = value.display_name, value.addr_spec
        check_header_value(display_name, field=field)
        check_header_value(addr_spec, field=field)
    else:
        check_header_value(value, field=field)
        try:
            header = policy.default.header_factory("to", value.strip())
        except Exception:  # the stdlib parser fails in odd ways on odd input ("a@" raises IndexError)
            raise InvalidInput(f"{field}: invalid email address {value!r}") from None
        if not header.addresses:
            raise InvalidInput(f"{field}: an email address is required")
        if len(header.addresses) > 1:
            raise InvalidInput(f"{field}: one address expected, got {len(header.addresses)}: {value!r}")
        if header.defects:
            raise InvalidInput(f"{field}: invalid email address {value!r} ({header.defects[0]})")
        display_name, addr_spec = header.addresses[0].display_name, header.addresses[0].addr_spec
    local, at, domain = addr_spec.rpartition("@")
    if not at or not local or not domain:
        raise InvalidInput(f"{field}: invalid email address {addr_spec!r} (expected name@domain)")
    if not _LOCAL_PART.fullmatch(local) or len(local) > MAX_LOCAL_PART_LENGTH:
        raise InvalidInput(f"{field}: invalid email address {addr_spec!r} (the part before @ is not supported)")
    domain = _host_name(domain, addr_spec, field)
    if len(local) + 1 + len(domain) > MAX_ADDRESS_LENGTH:
        raise InvalidInput(f"{field}: email address longer than {MAX_ADDRESS_LENGTH} characters")
    return Address(display_name=display_name, username=local, domain=domain)


def _host_name(domain: str, addr_spec: str, field: str) -> str:
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidInput(f"{field}: invalid email address {addr_spec!r} (bad domain)") from None
    labels = domain.split(".")
    if len(domain) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidInput(f"{field}: invalid email address {addr_spec!r} (bad domain)")
    return domain.lower()
