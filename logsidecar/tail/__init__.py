"""Reading log files: framing, identity, streams, discovery, watching."""
