#!/usr/bin/python3
"""shoal and pyzmq on one wire: a shoal ROUTER serving pyzmq DEALERs over tcp:// (ZMTP 3.1).

    PYTHONPATH=build/release/bindings/python /usr/bin/python3 bindings/python/examples/pyzmq_interop.py
"""

import zmq

import shoal

ctx = shoal.Context()
router = ctx.socket(shoal.ROUTER)
router.bind("tcp://127.0.0.1:*")
endpoint = router.last_endpoint.decode()

zctx = zmq.Context()
dealers = []
for name in (b"alice", b"bob"):
    d = zctx.socket(zmq.DEALER)
    d.setsockopt(zmq.IDENTITY, name)
    d.connect(endpoint)
    d.send(b"hello from " + name)
    dealers.append(d)

for _ in dealers:
    ident, body = router.recv_multipart()
    router.send_multipart([ident, b"hi " + ident])
for d in dealers:
    print(d.recv().decode())
for d in dealers:
    d.close(linger=0)
zctx.term()
ctx.destroy(linger=0)
