import pytest
from django.core.management import CommandError, call_command


def test_push_quote_command_runs_the_same_executor(connection, mixed_quote, stripe_api, capsys):
    call_command("push_quote", mixed_quote.number)
    out = capsys.readouterr().out
    assert "[Subscription] 6× monthly recurring + 2× one-time on first invoice" in out
    assert f"Pushed {mixed_quote.number}." in out
    assert len(stripe_api.client().v1.subscriptions.list().data) == 2
    call_command("push_quote", mixed_quote.number)  # again: nothing new
    assert len(stripe_api.client().v1.subscriptions.list().data) == 2


def test_push_quote_preview_sends_nothing(connection, mixed_quote, stripe_api, capsys):
    stripe_api.clear_requests()
    call_command("push_quote", mixed_quote.number, "--preview")
    assert "[Subscription] 1× yearly recurring" in capsys.readouterr().out
    assert stripe_api.requests(method="POST") == []


def test_push_quote_refuses_unknown_numbers(db):
    with pytest.raises(CommandError, match="No quote"):
        call_command("push_quote", "Q-1999-0001")
