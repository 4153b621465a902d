"""Accounts and access: who is calling (citizen, operator, department system) and what they may do."""
