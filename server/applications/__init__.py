"""Applying and tracking (一表申请, 联办): a pure domain without Sanic; its errors are mapped at the edge."""
