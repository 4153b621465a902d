"""TORTOISE_ORM for tortoise's own CLI: `tortoise -c server.tortoise_conf.TORTOISE_ORM makemigrations`."""

from server.config import load_settings
from server.db import tortoise_config

TORTOISE_ORM = tortoise_config(load_settings())
