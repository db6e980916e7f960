"""Adapters for agent frameworks, for teams not on OpenTelemetry (docs/otlp.md, "Adapters"):
``streams.integrations.langchain`` (a LangChain callback handler) and
``streams.integrations.openai_agents`` (an OpenAI Agents SDK trace processor). Each needs its
framework (the ``langchain`` and ``openai-agents`` extras) and costs nothing until imported."""
