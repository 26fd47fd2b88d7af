"""Delivery: the registry, the Swarm stack, the front door and the release history.

The deploy stage (tests/deploy) and `make status|rollback|deploy|undeploy`
(`python -m scripts.deploy`) use these same functions; the shell scripts
beside them install and start the components.
"""
