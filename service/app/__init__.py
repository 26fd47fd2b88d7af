"""The prediction service's HTTP app: FastAPI on ONNX Runtime, serving a verified bundle."""

from service.app.app import create_app

__all__ = ["create_app"]
