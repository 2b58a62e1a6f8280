from django.dispatch import Signal

# Sent after a push has failed (kwargs: push, failure); notifications subscribe to it.
push_failed = Signal()

# Sent after a push has succeeded (kwargs: push); a failure notification of it is resolved.
push_succeeded = Signal()
