"""The mock outbox (like Mailpit): every SMS and e-mail the portal "sent".

It stands for the person's phone and mailbox, so it sits outside the portal's
maintenance page and rate limit. ``GET /_outbox/api/messages[?to=ADDR]`` answers JSON,
newest first; ``GET /_outbox`` shows the same messages to a person.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from probe.mock_portal.runtime import OutboxMessage
from probe.mock_portal.sessions import render, runtime_of


def _messages(request: Request) -> list[OutboxMessage]:
    runtime = runtime_of(request)
    wanted = request.query_params.get("to")
    with runtime.lock:
        messages = list(runtime.outbox)
    if wanted:
        messages = [m for m in messages if m.to == wanted]
    return messages


async def messages_api(request: Request) -> Response:
    return JSONResponse(
        {"messages": [m.as_json() for m in _messages(request)]},
        headers={"Cache-Control": "no-store"},
    )


async def outbox_page(request: Request) -> Response:
    return render(
        request,
        "outbox.html",
        {"title": "Boîte d'envoi de démonstration", "messages": _messages(request)},
        headers={"Cache-Control": "no-store"},
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/_outbox", outbox_page),
        Route("/_outbox/api/messages", messages_api),
    ]
