from django.dispatch import Signal

# Sent after a push has failed (kwargs: push, failure); notifications subscribe to it.
push_failed = Signal()
