"""Scenario tests, one folder per area. Each test is the scenario of one catalogue behaviour."""
