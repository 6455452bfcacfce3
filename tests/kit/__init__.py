"""The one test kit: fixtures, waiting (tests.kit.wait), chat flows (tests.kit.chat), SQL (tests.kit.sql).

The parts that benchmarks and the sandbox use too live on the product side, in `sandbox/`: the Bot API double
(sandbox.botapi), a private Mosquitto and database (sandbox.broker, sandbox.database), the programs as child
processes (sandbox.programs) and the factories for users, devices, memberships and readings (sandbox.seed).
"""
