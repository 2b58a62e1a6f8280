"""sevDesk: the tax mapping and the one client seam."""
