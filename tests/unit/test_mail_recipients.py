"""The SMTP envelope recipient of an outbox email: a plain address is taken as it stands, and that
must always be what the standard parser (`email.utils.getaddresses`) would have given."""
from __future__ import annotations

import random
import string
from email.utils import getaddresses

import pytest

from involve.mail.smtp import _PLAIN_ADDRESS, recipients

ODD = ["sam.okafor@example.org", "o'brien@example.org", "a+b@example.co.uk", "x@localhost", "a..b@example.org",
       ".a@example.org", "a.@example.org", "a@b@example.org", "Sam <sam@example.org>",
       "sam@example.org, ann@example.org",
       '"sam okafor"@example.org', "sam@[127.0.0.1]", "sam@example.org (Sam)", "sam @example.org", "sam@-x.org",
       "sam@example.org.", "sam@exa_mple.org", "", "@example.org", "sam@", "ü@example.org", "sam@exämple.org",
       "sam;x@example.org", "sam\\x@example.org", "sam@example.org\n", "=?utf-8?q?x?=@example.org"]


@pytest.mark.parametrize("to", ODD)
def test_odd_addresses_are_parsed_as_the_standard_parser_does(to):
    assert recipients(to) == [addr for _, addr in getaddresses([to])]


def test_random_addresses_taken_as_they_stand_are_what_the_parser_gives():
    rnd = random.Random(17)
    alphabet = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-.@<>()[],;:\" \\"
    plain = 0
    for _ in range(20_000):
        to = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 14))) + rnd.choice(["", "@example.org"])
        if _PLAIN_ADDRESS.fullmatch(to):
            plain += 1
            assert [to] == [addr for _, addr in getaddresses([to])], to
    assert plain > 500  # the sample does exercise the quick path
