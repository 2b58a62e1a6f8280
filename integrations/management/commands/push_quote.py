from django.core.management.base import BaseCommand, CommandError

from integrations.models import Push, StripeConnection
from integrations.push.actions import PushRefused, do_retry_push, do_start_push
from integrations.push.executor import build_plan, execute_push
from mspercury import tenancy
from quotes.models import Quote


class Command(BaseCommand):
    help = "Push an accepted quote to its workspace's Stripe account (the same executor as the UI)."

    def add_arguments(self, parser):
        parser.add_argument("number", help="the quote number, e.g. Q-2026-0001")
        parser.add_argument("--workspace", help="workspace public id, if several use the number")
        parser.add_argument(
            "--send-now",
            action="store_true",
            help="one-time-only quotes: finalize and send the invoice",
        )
        parser.add_argument("--preview", action="store_true", help="show the plan; send nothing")

    def handle(self, *args, number, workspace=None, send_now=False, preview=False, **options):
        # An operator's command names a quote, not a workspace: find it across tenants, then
        # do everything else inside its workspace alone.
        with tenancy.system_context():
            quotes = Quote.objects.filter(number=number)
            if workspace:
                quotes = quotes.filter(workspace__public_id=workspace)
            found = list(quotes.values_list("pk", "workspace_id")[:2])
        if not found:
            raise CommandError(f"No quote {number}.")
        if len(found) > 1:
            raise CommandError(f"Several workspaces have a quote {number}; pass --workspace.")
        quote_pk, workspace_pk = found[0]
        with tenancy.workspace_context(workspace_pk):
            quote = Quote.objects.select_related("workspace", "customer").get(pk=quote_pk)
            self._push(quote, send_now=send_now, preview=preview)

    def _push(self, quote, *, send_now, preview):
        connection = StripeConnection.objects.for_workspace(quote.workspace)
        if connection is None:
            raise CommandError("The quote's workspace has no Stripe connection.")
        plan = build_plan(quote, connection, send_now=send_now)
        self.stdout.write(f"{quote.number} → Stripe ({connection.mode})")
        for op in plan.operations:
            if op.kind in ("subscription", "invoice"):
                self.stdout.write(f"  [{op.kind.title()}] {op.label}")
        for adjustment in plan.adjustments:
            self.stdout.write(f"  adjustment: {adjustment.message}")
        for problem in plan.problems:
            self.stdout.write(
                f"  {'problem' if problem.blocking else 'warning'}: {problem.message}"
            )
        if preview:
            return
        if plan.blocked:
            raise CommandError("Blocked; nothing was sent.")
        try:
            push, _created = do_start_push(None, quote, send_now=send_now)
        except PushRefused as exc:
            raise CommandError(exc.message) from None
        if push.status == Push.Status.FAILED:
            do_retry_push(None, push)
        result = execute_push(push.pk)
        push.refresh_from_db()
        for step in push.steps.all():
            self.stdout.write(f"  {step.status:9} {step.label} {step.stripe_id}")
        if result != "succeeded":
            raise CommandError(f"Push {result}: {push.error}")
        self.stdout.write(self.style.SUCCESS(f"Pushed {quote.number}."))
