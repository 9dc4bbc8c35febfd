"""``/api/docs``: Swagger UI 5 (it reads OpenAPI 3.1, which FastAPI writes) from the files
the ``fastapi-offline`` package ships, served by this app and started by a script of its
own: the CSP ``script-src 'self'`` forbids inline code and any CDN, and stays as it is.
(``swagger-ui-bundle`` on PyPI still ships Swagger UI 4, which refuses OpenAPI 3.1.)"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

router = APIRouter(include_in_schema=False)
ASSETS = "/api/docs/assets"
SWAGGER_UI = Path(fastapi_offline.__file__).parent / "static"

PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Veille API</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head><body><main><h1 class="skip">Veille API</h1><div id="swagger-ui"></div></main>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body></html>"""


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs() -> HTMLResponse:
    return HTMLResponse(PAGE)


def mount(app: FastAPI) -> None:
    """The docs page and the vendored Swagger UI files it loads."""
    app.mount(ASSETS, StaticFiles(directory=str(SWAGGER_UI)), name="swagger-ui")
    app.include_router(router)
