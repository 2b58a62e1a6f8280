"""Sample data for the demo workspace. Each later feature adds what a newcomer should see."""


def seed_workspace(workspace, user) -> None:
    """Fill a fresh demo workspace with customers, catalog and quotes (grows with the product)."""
