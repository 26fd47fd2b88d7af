"""pytest-stopline: run the stages of a pipeline in order and stop the line at the first failed one."""
