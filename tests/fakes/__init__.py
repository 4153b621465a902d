"""Local stand-ins for outside services, speaking their documented wire formats on 127.0.0.1."""
