"""Root conftest: loads the stop-the-line plugin that orders and gates every stage."""

# The plugin loads from the checkout, uninstalled; if pytest-stopline is also
# installed, its entry point has this very name and pytest registers it once.
# pytester drives the plugin's own tests; tests.containers holds the Docker
# fixtures the build and smoke stages share.
pytest_plugins = ["pytest_stopline.plugin", "pytester", "tests.containers"]
