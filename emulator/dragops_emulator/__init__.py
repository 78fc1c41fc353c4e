"""dragops_emulator: a faithful local DRAGOPS API server.

An independent implementation of the contract in dragops-api.md; it shares no code with dragops_sync,
so a misreading of the contract is not mirrored on both sides.
"""
