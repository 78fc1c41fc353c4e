"""The plugin package's entry point: Pulumi runs it with the engine's address as the first argument."""

from pulumi_dragops_native.plugin import main

main()
