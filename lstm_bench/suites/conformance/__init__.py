"""Every conformance check on every implementation the plugin options select (``--impl``, ``--kind``)."""
