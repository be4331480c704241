"""vulnshop: a deliberately vulnerable demo shop. Do not deploy."""
