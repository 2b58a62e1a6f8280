"""What the accounting-tool connectors (Lexware Office, sevDesk) share: the tax vocabulary they
map from and the HTTP plumbing of their clients."""
