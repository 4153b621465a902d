"""Clients of outside services (WeChat, SMS), each behind a small interface with documented errors."""
