"""Root conftest: loads the stop-the-line plugin that orders and gates every stage."""

# pytester drives the plugin's own tests; tests.containers holds the Docker
# fixtures the build and smoke stages share.
pytest_plugins = ["pipeline.plugin", "pytester", "tests.containers"]
