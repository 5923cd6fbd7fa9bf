#!/usr/bin/python3
"""asyncio: a server and a client coroutine ping-ponging over tcp:// on one event loop.

    PYTHONPATH=build/release/bindings/python /usr/bin/python3 bindings/python/examples/asyncio_pingpong.py
"""

import asyncio

import shoal
import shoal.asyncio


async def main():
    ctx = shoal.asyncio.Context()
    server = ctx.socket(shoal.REP)
    server.bind("tcp://127.0.0.1:*")
    client = ctx.socket(shoal.REQ)
    client.connect(server.last_endpoint.decode())

    async def serve():
        while True:
            request = await server.recv_json()
            await server.send_json({"pong": request["ping"]})

    task = asyncio.create_task(serve())
    for i in range(3):
        await client.send_json({"ping": i})
        print(await client.recv_json())
    task.cancel()
    ctx.destroy(linger=0)


asyncio.run(main())
