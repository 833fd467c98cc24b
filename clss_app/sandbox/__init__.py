"""Local stand-ins for the external systems (payment provider, …), one small Starlette server."""
