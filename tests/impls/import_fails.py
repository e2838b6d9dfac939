raise RuntimeError("this module breaks on import")
