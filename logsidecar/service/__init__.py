"""The service: the parts the composition root (`logsidecar.app`) wires together."""
