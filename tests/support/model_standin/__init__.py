"""A local stand-in for the model providers' HTTP APIs, so the real agent CLIs run offline.

:mod:`.server` serves any number of dialects (Anthropic Messages, OpenAI Responses, Chat
Completions, Gemini) from one ``ThreadingHTTPServer`` on 127.0.0.1; each dialect module turns
a test's :class:`~.server.Script` of turns into that provider's wire format.
"""
