"""The demo: the whole system on one laptop, only the Bluetooth radios simulated.

The top of the house: it may import every package, and nothing imports it
(tests/test_architecture.py checks both). `veille demo` reaches it through the
command table of `veille.cli`, by name. See docs/architecture.md, "Packages".

- `cli`: the ``veille demo`` subcommand, light (loads the rest only when run)
- `options`: what a run is asked for, and the story's defaults
- `runner`: starts the services in order, plays the story, stops producers first
- `services`: each real service (collector, rules, web) in a thread of the demo
- `gateway`: the real gateway on the simulator's radio, the demo household
- `broker`: the embedded MQTT broker (amqtt), loopback only
- `seed`: the care team, accounts and consent the web app needs before a reading
- `progress`: what the console prints while readings flow and alerts open
"""
