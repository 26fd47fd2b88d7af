"""Root conftest: loads the stop-the-line plugin that orders and gates every stage."""

pytest_plugins = ["pipeline.plugin"]
