"""The suite: behaviour catalogue, scenarios by area, the pytest plugin and the command."""
