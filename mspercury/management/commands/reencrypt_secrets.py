"""Re-encrypt stored secrets under the newest key after MSPERCURY_ENCRYPTION_KEYS gained one.

Rotation: put the new key first ("v2:…,v1:…"), deploy, run this command, then drop the old key.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from mspercury import secrets, tenancy


class Command(BaseCommand):
    help = "Re-encrypt every encrypted secret not yet under the first key of the key ring."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Count (and test-decrypt) the rows that need re-encryption; change nothing.",
        )
        parser.add_argument("--batch-size", type=int, default=200)

    def handle(self, *args, **options):
        # Key rotation covers every workspace's secrets: the one job that must see them all.
        with tenancy.system_context():
            self._handle(**options)

    def _handle(self, *, dry_run: bool = False, batch_size: int = 200, **options):
        apps.check_models_ready()  # every EncryptedSecret has registered itself by now
        ring = secrets.get_keyring()
        self.stdout.write(f"Current key: {ring.current_id}" + (" (dry run)" if dry_run else ""))
        failed_total = 0
        seen = set()
        for model, descriptor in secrets.REGISTRY:
            label = f"{model._meta.label_lower}.{descriptor.name}"
            if label in seen or model._meta.abstract:
                continue
            seen.add(label)
            done, failed = self._reencrypt(model, descriptor, ring, dry_run, batch_size)
            failed_total += failed
            verb = "to re-encrypt" if dry_run else "re-encrypted"
            self.stdout.write(f"{label}: {done} {verb}, {failed} failed")
        if failed_total:
            raise CommandError(
                f"{failed_total} secret(s) could not be decrypted with the key ring; "
                "they are unchanged"
            )

    def _reencrypt(self, model, descriptor, ring, dry_run, batch_size) -> tuple[int, int]:
        column = descriptor.column
        stale = (
            model._default_manager.exclude(**{column: ""})
            .exclude(**{f"{column}__startswith": f"{ring.current_id}:"})
            .order_by("pk")
        )
        done = failed = 0
        last_pk = None
        while True:
            with transaction.atomic():
                batch_qs = stale if last_pk is None else stale.filter(pk__gt=last_pk)
                batch = list(batch_qs.select_for_update()[:batch_size])
                if not batch:
                    return done, failed
                changed = []
                for obj in batch:
                    token = getattr(obj, column)
                    context = descriptor.context(obj)
                    try:
                        plaintext = secrets.decrypt(token, context=context, keyring=ring)
                    except secrets.DecryptionError as exc:
                        failed += 1
                        self.stderr.write(
                            f"{model._meta.label_lower} {_row_name(obj)} "
                            f"(key {secrets.key_id_of(token)!r}): {exc}"
                        )
                        continue
                    setattr(obj, column, secrets.encrypt(plaintext, context=context, keyring=ring))
                    changed.append(obj)
                if changed and not dry_run:
                    model._default_manager.bulk_update(changed, [column])
                done += len(changed)
                last_pk = batch[-1].pk


def _row_name(obj) -> str:
    return str(getattr(obj, "public_id", None) or f"pk={obj.pk}")
