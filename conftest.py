"""Root conftest: loads the stop-the-line plugin that orders and gates every stage."""

# pytester drives the plugin's own tests, which run pytest inside pytest.
pytest_plugins = ["pipeline.plugin", "pytester"]
