"""The operators' domain: review, takeover (转人工), teaching the guide, reports, 好差评 and 投诉建议.

Pure of Sanic: functions take what they need (settings values, knowledge, the clock) as arguments and
raise `OperatorsError`, which the edge maps to HTTP once.
"""
