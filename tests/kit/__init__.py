"""Plain helpers shared by the test suites (fixtures stay in the conftest.py files).

Import them by module: `from kit.graphs import webhook_graph`, `from kit.clients import client_for`.

* `graphs`: graphData builders (nodes, wires, the Webhook Logger graph).
* `documents`: pattern files' contents (the design's examples) and the test owner.
* `sync_dirs`: sync directories on disk (settings, pattern files, the example repository).
* `git`: real git repositories in temp dirs.
* `clients`: clients bound to an emulator and the sleep/clock doubles they accept.
* `emulator`: the emulator's REST API over plain HTTP (create, deploy, execute, error bodies, request log).
* `webhooks`: signed webhook deliveries and deployed webhook patterns.
* `live`: live models as the API returns them and snapshots of what an emulator holds.
* `sync_runs`: running the sync: one cycle, the CLI in-process, the daemon in a thread.
* `waiting`: waiting for a condition by polling.
* `provider`: the stack config a Pulumi provider receives, unique resource names.
"""
