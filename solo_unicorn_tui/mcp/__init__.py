"""The MCP server agents use to talk to their mission (``solo-unicorn mcp``), and its wiring
into each agent CLI's per-session configuration."""
