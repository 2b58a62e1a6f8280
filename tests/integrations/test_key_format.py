import pytest

from integrations.stripe.account import KeyFormatError, parse_key


@pytest.mark.parametrize(
    ("raw", "kind", "mode"),
    [
        ("rk_test_51AbCdEfGhIjKlMn", "restricted", "test"),
        ("  rk_live_51AbCdEfGhIjKlMn\n", "restricted", "live"),
        ("sk_test_51AbCdEfGhIjKlMn", "secret", "test"),
        ("sk_live_51AbCdEf GhIjKlMn", "secret", "live"),
    ],
)
def test_it_accepts_restricted_and_secret_keys_trimmed(raw, kind, mode):
    """Whitespace anywhere is removed; rk_ and sk_ keys of both modes are recognised."""
    info = parse_key(raw)
    assert (info.kind, info.mode) == (kind, mode)
    assert " " not in info.key and "\n" not in info.key
    assert info.masked == f"{info.key[:8]}…{info.key[-4:]}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("pk_test_51AbCdEfGhIjKlMn", "publishable key"),
        ("pk_live_51AbCdEfGhIjKlMn", "publishable key"),
        ("whsec_abcdefghijklmnop", "webhook signing secret"),
        ("hello", "does not look like a Stripe API key"),
        ("rk_test_", "too short"),
        ("", "Paste your Stripe key"),
    ],
)
def test_it_rejects_other_keys_with_a_specific_message(raw, expected):
    with pytest.raises(KeyFormatError) as exc:
        parse_key(raw)
    assert expected in str(exc.value)
