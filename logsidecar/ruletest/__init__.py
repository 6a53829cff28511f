"""Rule unit tests (`logsidecar test`): test files, series selectors, the virtual-time runner."""
