"""The media WebSocket (Twilio Media Streams). Filled in by the voice loop; until then it refuses every connection."""


async def media_app(scope, receive, send) -> None:
    await receive()
    await send({"type": "websocket.close", "code": 1008})
