"""Everything about the agent CLIs themselves: their output events, parsers and profiles."""
