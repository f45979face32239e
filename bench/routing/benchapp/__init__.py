"""The views the routing benchmark times; identical under every variant."""
