"""The city desk: a unit's 附件2 table pre-filled, checked before it is sent, and kept by version."""
