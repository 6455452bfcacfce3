"""Helpers the test suite shares: a private database, a private Mosquitto, free ports."""
