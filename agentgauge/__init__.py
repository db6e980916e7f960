"""agentgauge, the application: the command line, the local stack (embedded broker and local
job), the demo and the simulator, wired from one set of settings. Nothing imports it."""
